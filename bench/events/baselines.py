"""The events benchmark's baselines, run on the benchmark's own broker in its own process tree.

* ``nameko_stock``: plain nameko services as nameko's documentation shows events (``bench.events.stock``): a
  service dispatching one event per ``self.dispatch`` call (``EventDispatcher``, nameko's defaults: a confirm
  awaited per event, persistent messages) and another handling them (``@event_handler``), each in its own
  process. Gives the dispatch rate and the rate from the first dispatch to the last event handled.
* ``pika_pipelined``: the fastest plain client here, pika (pinned in requirements.txt) on its asynchronous
  ``SelectConnection``: persistent messages published without waiting, publisher confirms with up to
  ``window`` in flight (acks read as they come, ``multiple`` included), into a quorum queue — the queue type
  the platform's consumers use — or a classic one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pika

ROOT = Path(__file__).resolve().parents[2]


def _payload(i: int) -> bytes:
    # About the size of a real internal event (a CloudEvents envelope with a small data object).
    return (
        b'{"specversion":"1.0","id":"%08d-0000-4000-8000-000000000000","type":"be.mire.beneficiary.'
        b'assessed.v1","source":"/missions/mirec/beneficiary","data":{"n":%d,"pad":"' % (i, i) + b"x" * 300 + b'"}}'
    )


def pika_pipelined(port: int, n: int, queue_type: str = "quorum", window: int = 1000) -> float:
    """``n`` persistent messages into a fresh ``queue_type`` queue, ``window`` confirms in flight; messages/s."""
    queue = f"bench.pika.{queue_type}"
    state = {"published": 0, "nacked": 0, "began": 0.0, "ended": 0.0, "error": None}
    pending: set[int] = set()  # delivery tags published and not yet confirmed
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    params = pika.ConnectionParameters("127.0.0.1", port, credentials=pika.PlainCredentials("guest", "guest"))

    def fill(channel):
        while state["published"] < n and len(pending) < window:
            state["published"] += 1
            pending.add(state["published"])
            channel.basic_publish("", queue, _payload(state["published"]), properties)

    def on_confirm(frame):
        method = frame.method
        tags = [t for t in pending if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        pending.difference_update(tags)
        if isinstance(method, pika.spec.Basic.Nack):
            state["nacked"] += len(tags)
        if state["published"] >= n and not pending:
            state["ended"] = time.perf_counter()
            connection.close()
        else:
            fill(channel_ref[0])

    channel_ref = []

    def on_purged(frame):
        channel = channel_ref[0]
        state["began"] = time.perf_counter()
        fill(channel)

    def on_declared(frame):
        channel_ref[0].queue_purge(queue, callback=on_purged)

    def on_channel(channel):
        channel_ref.append(channel)
        channel.confirm_delivery(on_confirm)
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": queue_type}, callback=on_declared)

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_failed(conn, exc):
        state["error"] = exc
        conn.ioloop.stop()

    def on_closed(conn, reason):
        conn.ioloop.stop()

    connection = pika.SelectConnection(
        params, on_open_callback=on_open, on_open_error_callback=on_failed, on_close_callback=on_closed
    )
    connection.ioloop.start()
    if state["error"] is not None or not state["ended"]:
        raise RuntimeError(f"pika baseline did not finish: {state['error'] or state}")
    if state["nacked"]:
        raise RuntimeError(f"the broker refused {state['nacked']} of the pika baseline's messages")
    cleanup = pika.BlockingConnection(params)
    cleanup.channel().queue_delete(queue)
    cleanup.close()
    return n / (state["ended"] - state["began"])


def _json_line(proc: subprocess.Popen, key: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench.events.stock exited without {key!r} (status {proc.wait()})")
        if line.startswith("{"):
            found = json.loads(line)
            if key in found:
                return found
    raise RuntimeError(f"bench.events.stock gave no {key!r} within {timeout:.0f} s")


def nameko_stock(port: int, n: int, timeout: float = 600) -> dict[str, float]:
    """Plain nameko services (``bench.events.stock``): {"dispatch": events/s, "delivered": events/s}."""

    def start(role):
        return subprocess.Popen(
            [sys.executable, "-m", "bench.events.stock", role, "--port", str(port), "--events", str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )

    handler = start("handler")
    dispatcher = None
    try:
        _json_line(handler, "ready", 60)  # its queue declared: no event is dispatched before it exists
        dispatcher = start("dispatcher")
        sent = _json_line(dispatcher, "dispatched", timeout)
        handled = _json_line(handler, "handled", timeout)
    finally:
        for proc in (dispatcher, handler):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return {"dispatch": n / sent["seconds"], "delivered": n / (handled["last"] - sent["began"])}
