"""tracker.serving.server's client sockets: a request steps out of its turn only to wait on a client.

The server itself, with real slow clients, is tried in tests/cli/test_serve.py.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tracker.serving.server import _ClientSocket
from tracker.serving.turns import Gate

WAIT = 5  # seconds: a bound on hanging


@pytest.fixture
def pair() -> Iterator[tuple[_ClientSocket, socket.socket, Gate]]:
    """The server's end of a connection (blocking, as in a request thread) and the client's."""
    gate = Gate(capacity=1, long_after=60)
    server, client = socket.socketpair()
    server = _ClientSocket.taking(server, gate)
    server.setblocking(True)
    client.settimeout(WAIT)
    yield server, client, gate
    server.close()
    client.close()


def steps_out(gate: Gate) -> list[str]:
    """Record each time the gate's current turn is stepped out of."""
    record: list[str] = []
    original = gate.stepped_out

    def stepped_out():
        record.append("out")
        return original()

    gate.stepped_out = stepped_out  # type: ignore[method-assign]
    return record


def turn_taken_meanwhile(gate: Gate, started: threading.Event) -> threading.Thread:
    """A thread that takes a turn once ``started`` is set: it gets in only if the turn is free."""
    got_in = threading.Event()

    def run() -> None:
        assert started.wait(WAIT)
        with gate.turn():
            got_in.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.got_in = got_in  # type: ignore[attr-defined]
    thread.start()
    return thread


def test_a_read_with_the_bytes_there_keeps_the_turn(pair):
    server, client, gate = pair
    record = steps_out(gate)
    client.sendall(b"GET / HTTP/1.1\r\n")
    with gate.turn():
        assert server.recv(1024) == b"GET / HTTP/1.1\r\n"
        assert gate.inside()
    assert record == []


def test_a_read_that_waits_on_the_client_gives_the_turn_away(pair):
    server, client, gate = pair
    reading = threading.Event()
    received: list[bytes] = []

    def request() -> None:
        with gate.turn():
            reading.set()
            received.append(server.recv(1024))  # nothing there yet: the client is slow
            assert gate.inside()  # back in its turn once the bytes came

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    other = turn_taken_meanwhile(gate, reading)
    assert other.got_in.wait(WAIT)  # while the first request still waits on its client
    client.sendall(b"body")
    thread.join(WAIT)
    assert received == [b"body"]


def test_an_answer_the_kernel_takes_at_once_is_sent_in_the_turn(pair):
    server, client, gate = pair
    record = steps_out(gate)
    with gate.turn():
        server.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    assert client.recv(1024) == b"HTTP/1.1 200 OK\r\n\r\n"
    assert record == []


def test_an_answer_the_client_is_slow_to_take_is_sent_out_of_the_turn(pair):
    server, client, gate = pair
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    answer = bytes(range(256)) * 16384  # 4 MiB: far more than the buffers hold
    sending = threading.Event()

    def request() -> None:
        with gate.turn():
            sending.set()
            server.sendall(answer)

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    other = turn_taken_meanwhile(gate, sending)
    assert other.got_in.wait(WAIT)  # while the client has not read a byte
    received = bytearray()
    while len(received) < len(answer):
        received += client.recv(65536)
    thread.join(WAIT)
    assert not thread.is_alive()
    assert bytes(received) == answer  # every byte, in order, whichever side of the turn


def test_outside_a_turn_the_socket_is_a_plain_socket(pair):
    server, client, gate = pair
    record = steps_out(gate)
    server.setblocking(False)  # as in the event loop
    with pytest.raises(BlockingIOError):
        server.recv(1024)
    server.sendall(b"x")
    assert client.recv(1) == b"x"
    assert record == []


def test_a_closed_socket_fails_as_a_socket_does_in_a_turn(pair):
    server, _client, gate = pair
    server.close()
    with gate.turn(), pytest.raises(OSError):
        server.recv(1024)
