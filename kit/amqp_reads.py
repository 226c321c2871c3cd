"""Buffered socket reads for a py-amqp connection that receives many small messages.

py-amqp asks the socket for exactly the bytes of the frame part it is
reading: a frame header, then its payload, then the end byte; three frames
make a message, so a consumer paid about six ``recv`` calls (each a trip
through eventlet's green socket) per message. ``buffer_reads`` makes one
connection's transport ask for up to ``READ_CHUNK`` bytes at a time and
serve the frame parts from what it holds, keeping py-amqp's contract:
exactly ``n`` bytes per call, and nothing lost when a read times out or
fails part-way (what was received stays for the next call).
"""

from __future__ import annotations

import errno
import types
from typing import Any

from amqp.transport import TCPTransport

READ_CHUNK = 65536
_RETRY = (errno.EAGAIN, errno.EINTR)


def _read(self: Any, n: int, initial: bool = False) -> bytes:
    buf, pos = self._passerelle_buf, self._passerelle_pos
    while len(buf) - pos < n:
        try:
            received = self._quick_recv(max(READ_CHUNK, n))
        except OSError as exc:
            if exc.errno in _RETRY:
                if initial and self.raise_on_initial_eintr:
                    raise TimeoutError() from None
                continue
            raise
        if not received:
            raise OSError("Server unexpectedly closed connection")
        # What is held is short (the rest of one chunk): copying it once per recv is cheap.
        buf, pos = buf[pos:] + received, 0
        self._passerelle_buf, self._passerelle_pos = buf, 0
    self._passerelle_pos = pos + n
    return buf[pos : pos + n]


def buffer_reads(transport: Any) -> None:
    """Serve this py-amqp TCP transport's reads from a buffer filled ``READ_CHUNK`` bytes at a time."""
    if not isinstance(transport, TCPTransport) or getattr(transport, "_passerelle_buf", None) is not None:
        return  # TLS transports read through their own buffer
    if transport._read_buffer:  # bytes py-amqp already holds (the handshake's tail) come first
        transport._passerelle_buf, transport._read_buffer = bytes(transport._read_buffer), b""
    else:
        transport._passerelle_buf = b""
    transport._passerelle_pos = 0
    transport._read = types.MethodType(_read, transport)
