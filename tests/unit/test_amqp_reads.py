"""Buffered py-amqp reads: exactly the bytes asked for, in order, and nothing lost when a read times out."""

import socket

import pytest
from amqp.transport import TCPTransport

from kit.amqp_reads import buffer_reads


class Socket:
    """Hands out the stream in the pieces given; raises socket.timeout where a piece is None."""

    def __init__(self, pieces):
        self.pieces = list(pieces)
        self.asked: list[int] = []

    def recv(self, size):
        self.asked.append(size)
        piece = self.pieces.pop(0)
        if piece is None:
            raise TimeoutError()
        assert len(piece) <= size
        return piece


def transport(pieces, held=b""):
    t = TCPTransport.__new__(TCPTransport)  # no connection: only the read path is exercised
    t._read_buffer, t.raise_on_initial_eintr = held, True
    t.sock = Socket(pieces)
    t._quick_recv = t.sock.recv
    buffer_reads(t)
    return t


def test_reads_return_exactly_what_is_asked_across_pieces():
    stream = bytes(range(256)) * 4
    t = transport([stream[:5], stream[5:700], stream[700:]])
    out = [t._read(n) for n in (7, 1, 300, 400, 316)]
    assert b"".join(out) == stream
    assert [len(x) for x in out] == [7, 1, 300, 400, 316]


def test_one_recv_serves_many_frames():
    t = transport([b"a" * 7000])
    for _ in range(1000):
        assert t._read(7) == b"a" * 7
    assert len(t.sock.asked) == 1 and t.sock.asked[0] >= 7000


def test_a_timeout_part_way_keeps_what_was_received():
    t = transport([b"head", None, b"er-rest"])
    with pytest.raises(socket.timeout):
        t._read(6)
    assert t._read(6) == b"header"
    assert t._read(5) == b"-rest"


def test_bytes_py_amqp_already_held_come_first():
    t = transport([b"def"], held=b"abc")
    assert t._read(6) == b"abcdef"


def test_a_closed_connection_is_an_error_not_a_short_read():
    t = transport([b"ab", b""])
    with pytest.raises(OSError, match="closed"):
        t._read(4)
