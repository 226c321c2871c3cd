"""JSON log lines that carry nameko's call id and the HTTP request id.

One request can be followed across services: the gateway starts the call id
stack with ``gateway.<request id>`` (the ``X-Request-Id`` it answered with),
nameko propagates the stack through RPC and event headers, and every line a
worker logs names the current ``call_id``, the ``call_id_stack`` and the
``request_id`` found at its root. The gateway binds the request id for the
lines it writes itself (``bind_request``).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import TextIO

_context = threading.local()  # green-thread local once eventlet has patched threading


def bind_call(call_id: str | None, call_id_stack: list[str] | None, service: str | None) -> None:
    _context.call_id = call_id
    _context.call_id_stack = list(call_id_stack or [])
    _context.service = service


def clear_call() -> None:
    _context.__dict__.clear()


REQUEST_PREFIX = "gateway."


def bind_request(request_id: str | None) -> None:
    """The HTTP request a gateway green thread is serving (cleared by ``clear_call``)."""
    _context.request_id = request_id


def request_id() -> str | None:
    """The request id of the current line: bound by the gateway, or the root of the call id stack."""
    bound = getattr(_context, "request_id", None)
    if bound:
        return bound
    for entry in getattr(_context, "call_id_stack", None) or ():
        if isinstance(entry, str) and entry.startswith(REQUEST_PREFIX):
            return entry[len(REQUEST_PREFIX) :]
    return None


class RefusalsAreNotErrors(logging.Filter):
    """An expected refusal (``kit.errors``: invalid input, not found, conflict, forbidden) is one INFO line.

    nameko logs every exception a worker raises as an ERROR with its traceback; these are the 4xx answers a
    service gives on purpose, and a normal day's log drowned in them (thousands of tracebacks). What nobody
    expected keeps its ERROR level and its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from kit.errors import REFUSALS

        if record.exc_info and isinstance(record.exc_info[1], REFUSALS):
            exc = record.exc_info[1]
            record.msg, record.args = "refused: %s: %s (%s)", (type(exc).__name__, exc, record.getMessage()[:120])
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, site: str | None = None):
        super().__init__()
        self.site = site

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.site:
            line["site"] = self.site
        for key in ("call_id", "call_id_stack", "service"):
            value = getattr(_context, key, None)
            if value:
                line[key] = value
        request = request_id()
        if request:
            line["request_id"] = request
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup(site: str | None = None, level: str = "INFO", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(site))
    handler.addFilter(RefusalsAreNotErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # py-amqp warns of late confirms on channels being closed: normal on proxy shutdown.
    logging.getLogger("amqp").setLevel("ERROR")
    for noisy in ("kombu", "nameko", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel("WARNING")
