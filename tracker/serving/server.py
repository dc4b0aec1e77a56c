"""The production HTTP server: gunicorn threads that never wait for a slow client's request head.

Gunicorn's ``gthread`` worker hands a connection to a thread as soon as its first byte arrives;
the thread then blocks until the request line and headers are complete, with no time limit. A
client that sends half a request therefore holds a thread for ever, and a few of them stop the
server (the ``sync`` worker it replaces was worse: one such client per process was enough).

:class:`HeadFirstWorker` keeps every connection in the worker's event loop until its whole
request head has arrived, reading whatever bytes are there without blocking, and closes it when
the head is not complete ``header_timeout`` seconds after the connection was accepted (or after
a kept-alive connection's next request started). Only a complete head reaches a thread, so any
number of slow clients, up to ``worker_connections`` per process, cost a socket each and no
thread. The request body is then read in the thread as the application asks for it (an upload
streams straight into the evidence store); each read waits at most ``body_timeout`` seconds for
the next byte, so a stalled body frees its thread while a body that keeps arriving, however
large, is never cut off.

Its threads compute one request at a time (``running``, :mod:`tracker.serving.turns`): the others
wait their turn in the order they came, and a request steps out of its turn whenever it would
wait on its client (:class:`_ClientSocket`), so slow links hold threads, never the turn.

The worker serves plain HTTP/1.1 only: TLS is terminated by the front proxy (README).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import gc
import select
import selectors
import socket
import time
from collections.abc import Callable
from concurrent import futures
from functools import partial
from typing import Any

from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from tracker.serving.shares import ConnectionShares
from tracker.serving.turns import Gate

HEAD_END = b"\r\n\r\n"
# A request head larger than this is refused (431) without a thread ever seeing it: every head
# the tracker expects (a browser's, with its cookie) is a few kilobytes.
MAX_HEAD_BYTES = 64 * 1024
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Connection: close\r\nContent-Length: 0\r\n\r\n"
)
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
# A connection closed after its answer: how long, and for how many bytes, the worker reads and
# drops what the client still sends before closing it (gunicorn's close_graceful's bounds).
LINGER_SECONDS = 2.0
LINGER_BYTES = 64 * 1024


class _ClientSocket(socket.socket):
    """A client connection that steps out of its request's turn when it would wait on the client.

    In a request thread the socket blocks: a read with nothing there yet, or a write the client
    is not taking, would keep the turn (and every request behind it) for as long as the client
    likes. Outside a turn (the event loop's own non-blocking reads) nothing changes.
    """

    gate: Gate | None = None

    @classmethod
    def taking(cls, client: socket.socket, gate: Gate) -> _ClientSocket:
        """The same connection (``client`` is detached) as this class."""
        sock = cls(client.family, client.type, client.proto, fileno=client.detach())
        sock.gate = gate
        return sock

    def _waits(self, event: int) -> bool:
        """Whether a blocking call in a turn would wait for ``event`` now."""
        if self.gate is None or not self.gate.inside() or self.gettimeout() == 0.0:
            return False
        if self.fileno() < 0:  # closed: the call itself says so
            return False
        poll = select.poll()
        poll.register(self, event)
        return not poll.poll(0)

    def _out_of_turn_if_waiting(self, event: int) -> contextlib.AbstractContextManager[None]:
        """Out of the turn for a blocking call that would wait for ``event`` now."""
        if self._waits(event):
            return self.gate.stepped_out()  # type: ignore[union-attr]
        return contextlib.nullcontext()

    def recv(self, size: int, flags: int = 0) -> bytes:
        with self._out_of_turn_if_waiting(select.POLLIN):
            return super().recv(size, flags)

    def recv_into(self, buffer: Any, size: int = 0, flags: int = 0) -> int:
        with self._out_of_turn_if_waiting(select.POLLIN):
            return super().recv_into(buffer, size, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        # e.g. a "100 Continue" to a client that is not reading
        with self._out_of_turn_if_waiting(select.POLLOUT):
            return super().send(data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        if self.gate is None or not self.gate.inside():
            return super().sendall(data, flags)
        rest = data
        if self.gettimeout() is None:
            # What the kernel takes at once is sent in the turn; the rest, if the client is
            # slow to take it, out of it. (Never waiting, these sends need no poll first.)
            view = memoryview(data).cast("B")
            sent = 0
            try:
                while sent < len(view):
                    sent += super().send(view[sent:], flags | socket.MSG_DONTWAIT)
                return None
            except BlockingIOError:
                rest = view[sent:]
        with self.gate.stepped_out():
            return super().sendall(rest, flags)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        # A download: as long as the client takes (outside a turn, stepping out does nothing).
        with self.gate.stepped_out() if self.gate else contextlib.nullcontext():
            return super().sendfile(file, offset, count)


class _IdleBoundUnreader(SocketUnreader):
    """Socket reads in a request thread that wait at most ``idle`` seconds for a byte.

    A shorter timeout already on the socket (gunicorn bounds its drain of an unread body) wins.
    """

    def __init__(self, sock: socket.socket, idle: float, buffered: bytes = b"") -> None:
        super().__init__(sock)
        self.idle = idle
        self.buf.write(buffered)

    def chunk(self, size_hint: int | None = None) -> bytes:
        prior = self.sock.gettimeout()
        self.sock.settimeout(self.idle if prior is None else min(prior, self.idle))
        try:
            return super().chunk(size_hint)
        finally:
            self.sock.settimeout(prior)


class _Connection(TConn):
    """A client connection, with the bytes of its next request head gathered so far."""

    def __init__(
        self,
        *args: Any,
        body_timeout: float,
        linger: Callable[[_Connection], None] | None = None,
    ) -> None:
        super().__init__(*args)
        self.body_timeout = body_timeout
        self.head = bytearray()
        self.head_deadline = 0.0
        self.pending = b""  # a complete head waiting for the parser, read before the socket
        self.linger = linger
        self.linger_deadline = 0.0
        self.drained = 0

    def close(self, graceful: bool = False) -> None:
        """A graceful close lingers in the worker's event loop (:meth:`HeadFirstWorker.linger`)
        rather than in gunicorn's, which waits there for the client, holding every other
        connection up for as long as two seconds."""
        if graceful and self.linger is not None:
            self.linger(self)
        else:
            super().close(graceful)

    def init(self) -> None:
        first = not self.initialized
        super().init()
        if first and self.parser is not None:
            self.parser.unreader = _IdleBoundUnreader(self.sock, self.body_timeout, self.pending)
            self.pending = b""


def _read_ready(sock: socket.socket, size: int) -> bytes | None:
    """What a non-blocking socket holds (at most ``size`` bytes): None when nothing yet, ``b""``
    when the client closed or the connection failed."""
    try:
        return sock.recv(size)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def head_complete(head: bytes | bytearray) -> bool:
    """Whether ``head`` holds a whole request head (or something the parser will refuse at once).

    A bare LF as a line end is refused by gunicorn's parser as soon as it sees it, so that head
    goes to the parser too rather than wait for an end it will never have.
    """
    return HEAD_END in head or head.count(b"\n") != head.count(b"\r\n")


class HeadFirstWorker(ThreadWorker):
    """A ``gthread`` worker whose threads only ever see complete request heads (module doc)."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0
    running: int = 1  # requests computing at once (tracker.serving.turns)
    shares: ConnectionShares | None = None  # the workers' connections (tracker.serving.shares)
    slot: int | None = None

    @property
    def nr_conns(self) -> int:
        """Open connections (gunicorn's count), written to the shares at each change."""
        return self._nr_conns

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._nr_conns = value
        if self.shares is not None:
            self.shares.record(self.slot, value)

    def init_process(self) -> None:
        # Connections gathering a head, oldest first: all share one timeout, so that is also
        # the order of their deadlines.
        self.heads: dict[_Connection, None] = {}
        # Connections closing after their answer, oldest (and so first due) first.
        self.lingering: dict[_Connection, None] = {}
        self.gate = Gate(self.running)
        if self.shares is not None:
            self.slot = self.shares.claim()
        few_memory_arenas()
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        connection = _Connection(
            self.cfg,
            _ClientSocket.taking(client, self.gate),
            address,
            listener.getsockname(),
            body_timeout=self.body_timeout,
            linger=self.linger,
        )
        self._gather_head(connection)

    def _gather_head(self, conn: _Connection) -> None:
        conn.sock.setblocking(False)
        conn.head_deadline = time.monotonic() + self.header_timeout
        self.heads[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_head, conn))

    def _stop_gathering(self, conn: _Connection) -> None:
        del self.heads[conn]
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn: _Connection, answer: bytes = b"") -> None:
        """Close a connection that will not be served, telling the client why when it can."""
        if answer:
            with contextlib.suppress(OSError):
                conn.sock.send(answer)  # non-blocking: whatever fits, or nothing
        self.nr_conns -= 1
        conn.close()

    def _read_head(self, conn: _Connection, _sock: socket.socket) -> None:
        """Runs in the event loop when the socket is readable: never blocks."""
        data = _read_ready(conn.sock, MAX_HEAD_BYTES)
        if data is None:
            return
        if not data:  # the client went away
            self._stop_gathering(conn)
            self._drop(conn)
            return
        conn.head += data
        if head_complete(conn.head):
            self._stop_gathering(conn)
            self.enqueue_req(conn)
        elif len(conn.head) >= MAX_HEAD_BYTES:
            self._stop_gathering(conn)
            self._drop(conn, _TOO_LARGE)

    def handle(self, conn: _Connection) -> Any:
        """Runs in a thread, with a complete head: hand it to the parser before the socket."""
        conn.data_ready = True  # never wait for a first byte in a thread
        head, conn.head = bytes(conn.head), bytearray()
        if conn.initialized:
            conn.parser.unreader.unread(head)
        else:
            conn.pending = head
        with self.gate.turn():
            return super().handle(conn)

    def handle_request(self, req: Any, conn: _Connection) -> Any:
        """A worker holding more than its share of connections closes this one after answering
        (``Connection: close``): the client's next connection may land on another worker."""
        if self.shares is not None and self.shares.over_share(self.slot):
            req.must_close = True
        return super().handle_request(req, conn)

    def on_client_socket_readable(self, conn: _Connection, client: socket.socket) -> None:
        """A kept-alive connection's next request starts: gather its head in the loop too."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._gather_head(conn)

    def finish_request(self, conn: _Connection, fs: futures.Future) -> None:
        """Bytes read past the last request (a pipelined next one) go through the gathering too.

        Gunicorn would hand them straight back to a thread, which would then wait, for as long
        as the client likes, for the rest of that head.
        """
        keep = (
            self.alive
            and not fs.cancelled()
            and fs.exception() is None
            and fs.result() is True
            and conn.parser is not None
        )
        if keep and (pending := conn.parser.unreader.take_buffered()):
            conn.head = bytearray(pending)
            if head_complete(conn.head):
                self.enqueue_req(conn)
            else:
                self._gather_head(conn)
            return
        super().finish_request(conn, fs)

    def linger(self, conn: _Connection) -> None:
        """Close ``conn`` after its answer as RFC 9112 (9.6) asks, without waiting: send FIN,
        then read and drop in the event loop what the client still sends (so that the kernel
        never answers unread bytes with a reset that could cut the answer short), and close
        when the client has closed too, or after :data:`LINGER_BYTES` or
        :data:`LINGER_SECONDS`."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))
        except (OSError, ValueError, KeyError):  # already gone, or closed by the request
            with contextlib.suppress(OSError):
                conn.sock.close()
            return
        conn.linger_deadline = time.monotonic() + LINGER_SECONDS
        self.lingering[conn] = None

    def _drain(self, conn: _Connection, _sock: socket.socket) -> None:
        data = _read_ready(conn.sock, LINGER_BYTES)
        if data is None:
            return
        conn.drained += len(data)
        if not data or conn.drained >= LINGER_BYTES:
            self._end_linger(conn)

    def _end_linger(self, conn: _Connection) -> None:
        del self.lingering[conn]
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        with contextlib.suppress(OSError):
            conn.sock.close()

    def murder_pending(self) -> None:
        """Called by the event loop about once a second: also closes heads past their time,
        and lingering connections past theirs."""
        super().murder_pending()
        now = time.monotonic()
        while self.lingering:
            conn = next(iter(self.lingering))
            if conn.linger_deadline > now:
                break
            self._end_linger(conn)
        while self.heads:
            conn = next(iter(self.heads))
            if conn.head_deadline > now:
                break
            self._stop_gathering(conn)
            # A client that sent nothing is closed silently, as an idle keep-alive would be.
            self._drop(conn, _TIMED_OUT if conn.head else b"")


# gc.set_threshold's: new objects per young collection, young collections per middle one, middle
# ones per full one (Python's defaults: 700, 10, 10). Why: settle_collector().
SERVER_GC_THRESHOLDS = (10_000, 10, 100)


def settle_collector() -> None:
    """Set Python's cycle collector for a long-running server, before it forks its workers."""
    # Everything built so far (the app, the catalogue and its compiled rules, the modules) lives
    # as long as the process: frozen, the cycle collector stops rescanning it at every full
    # collection in each worker (milliseconds a request), and the workers forked from here
    # share its pages instead of copying those the collector would touch.
    gc.freeze()
    # What a worker keeps between requests (the evaluators' bounded memos, the replay's
    # baselines, the portfolio rows shown) turns over as systems come and go; Python's default
    # thresholds then ran a full collection every ~40 system pages, each scanning all of it for
    # 200-450 ms while the request waited (5.7 s of 800 pages' 23 s). Fewer young collections
    # (most of a request's objects are gone by the next one) and a full one only after 100 of
    # the middle generation's: 1.1 s for the same 800 pages, p99 265 -> 58 ms, same RSS.
    gc.set_threshold(*SERVER_GC_THRESHOLDS)


MEMORY_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number


def few_memory_arenas() -> None:
    """Let the C allocator keep at most :data:`MEMORY_ARENAS` arenas in this process.

    glibc gives each thread that allocates at once an arena of its own, up to eight per core:
    a worker's sixteen request threads then hold sixteen heaps, each keeping its freed pages,
    and the worker's memory only grows under load. Python's own allocator sits on top, so two
    arenas cost nothing measurable here. Elsewhere than glibc, nothing is changed.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_ARENA_MAX, MEMORY_ARENAS)
    except (OSError, AttributeError):  # not glibc: its own allocator, its own rules
        pass


def worker_class(
    header_timeout: float,
    body_timeout: float,
    running: int = 1,
    shares: ConnectionShares | None = None,
) -> type[HeadFirstWorker]:
    """The worker class for gunicorn's ``worker_class`` setting, with these timeouts,
    ``running`` requests computing at once and the workers' connection ``shares``."""
    return type(
        "HeadFirstWorker",
        (HeadFirstWorker,),
        {
            "header_timeout": float(header_timeout),
            "body_timeout": float(body_timeout),
            "running": int(running),
            "shares": shares,
        },
    )


def serve(
    app: Callable[..., Any],
    *,
    bind: str,
    workers: int,
    threads: int,
    connections: int,
    header_timeout: float,
    body_timeout: float,
    running: int = 1,
    worker_exited: Callable[[int], None] | None = None,
) -> None:
    """Run ``app`` under gunicorn with :class:`HeadFirstWorker` until the server is stopped;
    ``worker_exited(pid)`` is called in the master after each worker process ends."""
    from gunicorn.app.base import BaseApplication

    shares = ConnectionShares(workers)

    def child_exit(_server: Any, worker: Any) -> None:
        shares.forget(worker.pid)
        if worker_exited is not None:
            worker_exited(worker.pid)

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set(
                "worker_class", worker_class(header_timeout, body_timeout, running, shares)
            )
            self.cfg.set("threads", threads)
            # Beyond this many connections a worker stops accepting; others wait in the backlog.
            self.cfg.set("worker_connections", connections)
            # Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads
            # new connections over them. On one shared socket, whichever worker woke first took
            # each connection, and a client keeps its connection alive: one worker could serve
            # most of a load test's clients (or a proxy's kept-alive upstreams) on one core
            # while the other idled, and the same load ran at half or twice the speed from one
            # run to the next. Binding still fails when another program holds the port. The
            # price: connections waiting in the backlog of a worker that dies are reset, where
            # a shared socket would have handed them to another worker. The kernel's spread is
            # random, so a worker holding more than its share closes connections until it does
            # not (tracker.serving.shares).
            self.cfg.set("reuse_port", True)
            # Idle time between requests on a kept-alive connection (gthread semantics).
            self.cfg.set("keepalive", 5)
            # A gthread worker's event loop beats every second whatever its threads do, so this
            # only catches a hung process; a long upload does not count against it.
            self.cfg.set("timeout", 60)
            # Gunicorn's control socket (for `gunicornc`) is not used; by default every instance
            # would share ~/.gunicorn/gunicorn.ctl, and the last one started would take it over.
            self.cfg.set("control_socket_disable", True)
            # Gunicorn's own lines through the process's logging (TRACKER_LOG_FORMAT), and no
            # access lines: the app writes one per request, naming its route where gunicorn's
            # would show the path and query string, which can hold a token (operations.logs).
            self.cfg.set("logger_class", "tracker.operations.logs.GunicornLogger")
            self.cfg.set("child_exit", child_exit)

        def load(self) -> Callable[..., Any]:
            return app

    settle_collector()
    Server().run()
