"""The gunicorn worker of ``livegate serve``: gunicorn's threaded worker, with
request reading taken off the threads.

gunicorn's ``gthread`` worker gives a connection to one of its threads as soon
as a byte arrives, and that thread then reads the rest of the request from the
socket: a client that sends its headers and then a byte of body now and then
holds the thread, and with it one of the worker's few solver slots, for as
long as it likes. Eight such clients stopped a two-worker service.

:class:`BufferingWorker` reads every request in the worker's event loop (the
selector of gunicorn's main thread, which already watches kept-alive
connections) into a buffer of its connection, and hands the connection to a
thread only once the request has arrived in full: the head (at most
:data:`MAX_HEAD_BYTES`) and the body (by ``Content-Length`` or chunked
framing, up to ``MAX_CONTENT_LENGTH``). The thread's parser (gunicorn's own,
unchanged: it alone decides what is valid HTTP) then reads from that buffer.
A slow or idle client therefore costs a buffer and a file descriptor, not a
thread. The limits:

- ``READ_TIMEOUT`` (app configuration, default 10 s): a connection that has
  not delivered a whole request within that time of being opened (or of its
  previous answer, or of the first byte of a request on a kept-alive
  connection) is closed; with ``408`` if a request had begun. Checked once a
  second, so closed within ``READ_TIMEOUT`` + 1 s. Each close is counted in
  the app's metrics (``livegate_slow_connections_closed_total``), and each
  refusal written here (408, 413, 431, and what gunicorn's parser refuses) by its code and by a line of the access log
  (``refused_by: "server"``; no request id, since no app saw the request).
- gunicorn's ``worker_connections`` (``MAX_CONNECTIONS``, default 1000): past
  it, the worker stops accepting until a connection ends (the kernel queues
  the rest); buffers are therefore bounded by ``MAX_CONNECTIONS`` ×
  (``MAX_HEAD_BYTES`` + ``MAX_CONTENT_LENGTH``).
- an answer is written by its thread only as far as the client takes it
  within :data:`SEND_WAIT` (at once if it is :data:`BEHIND`); the rest is written by the event
  loop as the client reads, and a connection to which it could write nothing for
  ``READ_TIMEOUT``, whose client took less than :data:`READING` of what the kernel holds for it
  meanwhile, is closed (one line in the log, counted as ``answer_unread``).
  Such answers are kept up to :data:`UNREAD_MAX` bytes a worker, each up to
  :data:`ANSWER_KEPT_MAX`; past
  either, the thread writes the answer itself, each write bounded by
  ``READ_TIMEOUT``.

Whole requests wait for a thread in three lanes, each first come, first served. The health
checks and ``/metrics`` (:data:`PROBES`) go first. A request on a
connection whose previous answer was a client error (4xx) waits behind every request in the
ordinary lane, only one thread at a time serves that lane, and while more of them wait it rests
between two of them as long as the last one took of its CPU. Clients that keep sending what is
refused (20 misspelt document ids, say, each costing a nearest-id search) therefore share at
most half of one core of each worker, and the other threads stay free for everyone else. No
request is refused for it, and a connection whose answer is not a client error is back in the
ordinary lane with its next request. A request other than a probe that has waited for a thread
longer than ``QUEUE_TIMEOUT`` (app configuration, default 1 s) is not served late: the thread that
takes it up answers ``503 overloaded`` with ``Retry-After`` at once, and closes the connection, so
that a saturated worker sheds what it cannot serve in time instead of answering every client
seconds late (counted as ``livegate_rejected_requests_total{code="overloaded"}``).

Under ``livegate serve``, a worker stops accepting connections while it holds more than its
share of them, so that a burst of connections is spread over the workers rather than taken by
whichever waits (:mod:`livegate.http.spread`).

Every :data:`TRIM_INTERVAL` seconds in which it answered something, the worker hands the
memory freed meanwhile back to the system (:mod:`livegate.http.memory`), so that its resident
size follows what it holds.

A body over ``MAX_CONTENT_LENGTH`` is not read: a ``Content-Length`` over it is
handed over at the end of its head and the app answers 413; chunks announced
over it are answered 413 here. Either answer says ``Connection: close`` (the
body is never drained). A request handed over before it is whole (unclear
framing) gets only the bytes read so far: its thread never waits for more.
gunicorn's request parser decides what is valid HTTP; its refusals are written
in the API's error shape (:meth:`BufferingWorker.handle_error`), and its own
limits on a header's size and count are lifted (``livegate serve``), so that
the head's one bound is :data:`MAX_HEAD_BYTES` (431).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import selectors
import socket
import sys
import termios
import threading
import time
from collections import deque
from concurrent import futures
from functools import partial
from typing import Any

from gunicorn import glogging, http
from gunicorn.http import errors as parsing
from gunicorn.workers.gthread import TConn, ThreadWorker

from ..words import Message
from .errors import plain_error
from .headers import API_HEADERS
from .logs import READY, log_access
from .memory import release_free_memory
from .metrics import EXTENSION as METRICS
from .spread import RECHECK, Shares

__all__ = ["MAX_HEAD_BYTES", "BufferingWorker", "frame"]

_log = logging.getLogger("livegate")
_OUTQ: int | None = getattr(termios, "TIOCOUTQ", None)
"""The ioctl that tells a socket's unsent bytes (``SIOCOUTQ`` is ``TIOCOUTQ`` on Linux)."""
UNREAD_WARNING = "a client (%s) did not read its answer for %g s (READ_TIMEOUT): connection closed"

MAX_HEAD_BYTES = 32 * 1024
"""Largest request head (request line and headers) read before a request is refused with 431."""

MORE, COMPLETE, HAND_OVER, HEAD_TOO_LARGE, BODY_TOO_LARGE = (
    "more",
    "complete",
    "hand over",
    "head too large",
    "body too large",
)
"""What :func:`frame` says of a buffer: wait for more bytes; a whole request is there; give it
to gunicorn's parser as it is (unclear framing, or a ``Content-Length`` over the limit: the
parser or the app answers from the bytes read so far, and the connection is closed after); the
head is too large; the chunks announced add up to more than the body limit."""

TRIM_INTERVAL = 10.0
"""Seconds between two hand-backs of freed memory, in a worker that answered something meanwhile
(each takes at most a few milliseconds: docs/performance.md#rss-trim)."""

_CHUNK_LINE = 1024
"""Longest chunk-size line (with extensions) waited for."""

ANSWER_KEPT_MAX = 512 * 1024
"""Most of one answer kept for its client to take later, without a thread (livegate's answers
and pages are 60-150 KB); past it (Swagger UI's files), the thread writes the answer itself."""

BEHIND = 256 * 1024
"""Bytes of earlier answers still unsent in a connection's kernel buffer past which its client
counts as behind: its next answer is left to the event loop at once (no :data:`SEND_WAIT`). A
hundred connections that pipelined evaluations and read nothing each cost a thread 0.25 s."""

READING = 64 * 1024
"""Bytes of what the kernel holds for a connection that its client must take in ``READ_TIMEOUT``
to count as reading while the event loop cannot write to it (6.4 KB/s at the default 10 s)."""

SEND_WAIT = 0.25
"""Longest a thread waits for its client to make room for more of its answer before it leaves
the rest to the event loop: a client that reads keeps up, even on a busy machine (its answer is
written as gunicorn writes it, no event-loop turn added: at 50 ms, clients starved of CPU under
load were handed over often enough to cost 4-6 % more CPU a request); one that does not costs
the thread this long, once."""

UNREAD_MAX = 32 * 1024 * 1024
"""Most bytes of answers a worker keeps for clients that have not read them yet; past it, a
thread writes the next such answer itself, waiting for its client up to ``READ_TIMEOUT``."""

STOP_LINGER = 2.0
"""Seconds a stopping worker still waits for the first byte of a request on a connection it
accepted (or answered) that recently: a client whose request was on its way when the worker was
told to stop (a reload, a graceful stop) is answered, not reset."""

FULL_SAID_EVERY = 60.0
"""Seconds between two warnings that a worker holds ``MAX_CONNECTIONS`` connections (one client
holding idle connections kept liveness probes waiting, and nothing was logged), or that it cannot
accept one (out of file descriptors)."""

OUT_OF_FILES_HOLD = 0.5
"""Seconds a worker out of file descriptors stops accepting before it tries again."""


def frame(buf: bytes | bytearray, body_limit: int) -> tuple[str, bool]:
    """Whether ``buf`` begins with a whole HTTP/1 request: (one of the states above, whether the
    request expects ``100 Continue`` before its body).

    This only decides *when* a request is handed to gunicorn's parser; the parser decides whether
    it is valid. Anything this does not understand is handed over at once and its connection
    closed after the answer, so a disagreement costs at most one socket timeout, never a request
    served from the wrong bytes."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if b"\n\n" in buf or b"\n\r\n" in buf:  # lines ended by LF alone: the parser refuses it at once
            return HAND_OVER, False
        return (HEAD_TOO_LARGE if len(buf) > MAX_HEAD_BYTES else MORE), False
    if end + 4 > MAX_HEAD_BYTES:
        return HEAD_TOO_LARGE, False
    lines = bytes(buf[:end]).split(b"\r\n")
    lengths, codings, expect = set(), [], False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            return HAND_OVER, False
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            lengths.add(value)
        elif name == b"transfer-encoding":
            codings += [c.strip().lower() for c in value.split(b",")]
        elif name == b"expect":
            expect = value.lower() == b"100-continue" and lines[0].endswith(b"HTTP/1.1")
    start = end + 4
    if codings:
        if lengths or codings[-1] != b"chunked":
            return HAND_OVER, False
        return _chunked(buf, start, body_limit), expect
    if not lengths:
        return COMPLETE, False
    if len(lengths) > 1:
        return HAND_OVER, False
    raw = lengths.pop()
    if not raw.isdigit() or len(raw) > 18:
        return HAND_OVER, False
    length = int(raw)
    if length > body_limit:
        return HAND_OVER, False
    return (COMPLETE if len(buf) >= start + length else MORE), expect and length > 0


def _chunked(buf: bytes | bytearray, pos: int, body_limit: int) -> str:
    total = 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return HAND_OVER if len(buf) - pos > _CHUNK_LINE else MORE
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return HAND_OVER
        if size_text.startswith((b"-", b"+", b"0x", b"0X")):
            return HAND_OVER
        if size == 0:  # the last chunk, then trailer lines, then an empty line
            if buf[eol + 2 : eol + 4] == b"\r\n":
                return COMPLETE
            if len(buf) < eol + 4:
                return MORE
            trailers_end = buf.find(b"\r\n\r\n", eol + 2)
            if trailers_end < 0:
                return HEAD_TOO_LARGE if len(buf) - eol > MAX_HEAD_BYTES else MORE
            return COMPLETE
        total += size
        if total > body_limit:
            return BODY_TOO_LARGE
        pos = eol + 2 + size + 2
        if len(buf) < pos:
            return MORE
        if buf[pos - 2 : pos] != b"\r\n":
            return HAND_OVER


_DETAIL_MAX = 200
"""Longest part of gunicorn's words about a refused request quoted in the answer (they may quote
a header of 32 KiB)."""


def parser_refusal(exc: BaseException) -> tuple[int, str, Message] | None:
    """The answer to a request gunicorn's parser refused (its status, code and words, gunicorn's
    own reason quoted), or None if the fault is not the request's (a header the app wrote, the
    server's configuration: a 500). gunicorn's statuses are kept (RFC 9112: 501 for a transfer
    coding it does not know, 417 for an expectation it cannot meet)."""
    bad_response = (parsing.InvalidResponseHeader, parsing.InvalidResponseHeaderName, parsing.ConfigurationProblem)
    if not isinstance(exc, parsing.ParseException) or isinstance(exc, bad_response):
        return None
    detail = str(exc).strip()
    detail = detail if len(detail) <= _DETAIL_MAX else detail[:_DETAIL_MAX] + "…"
    if isinstance(exc, parsing.UnsupportedTransferCoding):
        return 501, "unsupported_transfer_coding", Message("http.transfer_coding", detail=detail)
    if isinstance(exc, parsing.ExpectationFailed):
        return 417, "expectation_failed", Message("http.expectation_failed", detail=detail)
    if isinstance(exc, (parsing.LimitRequestHeaders, parsing.LimitRequestLine)):
        return 431, "request_header_fields_too_large", Message("http.header_limits", detail=detail)
    return 400, "malformed_request", Message("http.malformed_request", detail=detail)


REFUSED_REST_MAX = 0.1
"""Longest rest, in seconds, of the thread serving the refused lane between two of its requests."""

PROBES = frozenset({"/v1/health", "/v1/health/live", "/v1/health/ready", "/metrics"})
"""Paths whose ``GET`` (or ``HEAD``) waits in the probes' lane, ahead of every other request, and
is never refused for having waited: a saturated worker still answers its load balancer, its
orchestrator and its scraper as soon as a thread is free (behind 400 evaluations, a liveness probe
waited 3 s, and at 1,000 connections timed out: the orchestrator restarts the busiest pod)."""

OVERLOADED_RETRY_AFTER = 1
"""``Retry-After`` (seconds) of a request refused for having waited longer than ``QUEUE_TIMEOUT``."""


class _TimedSocket(socket.socket):
    """A connection's socket whose blocking mode has a time bound (``io_timeout`` seconds for
    each operation): gunicorn's threads switch the socket to blocking mode to read and write."""

    io_timeout: float = 10.0
    answering = False
    """Set by the thread writing an answer: what the client does not take within
    :data:`SEND_WAIT` is kept in :attr:`unread` (up to :data:`ANSWER_KEPT_MAX`) for the event
    loop to write, and the rest of the answer after it."""
    unread: bytearray | None = None

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.io_timeout)
        else:
            super().setblocking(False)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Write (part of) an answer. While answering: as far as the client takes it within
        :data:`SEND_WAIT`, the rest kept. Otherwise, or past :data:`ANSWER_KEPT_MAX` kept, at
        once; a client that reads none of it for ``io_timeout`` seconds is then told off in one
        line of the log and its connection closed (as a closed pipe: gunicorn logged a timeout
        with a 20-line traceback, an easy way to flood the log)."""
        if self.answering:
            if self.unread is None:
                view, sent = memoryview(data), 0
                # a client with answers still unread in the kernel's buffer is not waited for
                self.settimeout(SEND_WAIT if _unsent(self) < BEHIND else 0.0)
                try:
                    while sent < len(view):
                        sent += self.send(view[sent:], flags)
                    return
                except (TimeoutError, BlockingIOError):
                    self.unread = bytearray(view[sent:])
                    return
                finally:
                    self.settimeout(self.io_timeout)
            self.unread += data
            if len(self.unread) <= ANSWER_KEPT_MAX:
                return
            self.answering = False  # too large to keep: the rest is written here
            data, self.unread = bytes(self.unread), None
        try:
            super().sendall(data, flags)
        except TimeoutError as exc:
            raise self._not_read() from exc

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """A file's answer (gunicorn's ``sendfile``; Swagger UI's files): what was kept goes first,
        then the file, both written here."""
        self.answering = False
        if self.unread is not None:
            kept, self.unread = bytes(self.unread), None
            self.sendall(kept)
        try:
            return super().sendfile(file, offset, count)
        except TimeoutError as exc:  # (it was a 29-line traceback in the log)
            raise self._not_read() from exc

    def _not_read(self) -> BrokenPipeError:
        """A client that took none of its answer for ``io_timeout`` seconds: one line in the log,
        and the error gunicorn closes the connection on quietly (a closed pipe)."""
        try:
            peer = self.getpeername()[0]
        except OSError:
            peer = "?"
        _log.warning(UNREAD_WARNING, peer, self.io_timeout)
        return BrokenPipeError(errno.EPIPE, "the client does not read its answer")

    def leave_unread(self) -> bytes | None:
        """The end of an answer: what the client has not taken (None if it took it all)."""
        left, self.unread, self.answering = self.unread, None, False
        return bytes(left) if left else None


def _unsent(sock: socket.socket) -> int:
    """Bytes written to ``sock`` that its client has not yet received (Linux's ``SIOCOUTQ``; 0
    where it cannot be asked)."""
    if _OUTQ is None:
        return 0
    try:
        return int.from_bytes(fcntl.ioctl(sock.fileno(), _OUTQ, b"\0\0\0\0"), sys.byteorder, signed=True)
    except OSError:
        return 0


class _Writing:
    """A connection whose answer the event loop is writing: what is left, when it must be gone,
    and the outcome of its request (for gunicorn's ``finish_request`` once it is)."""

    __slots__ = ("deadline", "left", "outcome", "unsent")

    def __init__(self, left: bytes, deadline: float, outcome: futures.Future, unsent: int):
        self.left = memoryview(left)
        self.deadline = deadline
        self.outcome = outcome
        self.unsent = unsent
        """The kernel's unsent bytes of the connection when last looked at (:func:`_unsent`)."""


def _timed(sock: socket.socket, timeout: float) -> _TimedSocket:
    timed = _TimedSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    timed.io_timeout = timeout
    return timed


def _request_line(buf: bytes | bytearray) -> tuple[str | None, str | None]:
    """The method and path (without its query) of a request's first line, where it has arrived
    whole and reads as one (printable ASCII); else None for each."""
    end = buf.find(b"\r\n", 0, MAX_HEAD_BYTES)
    parts = bytes(buf[:end]).split(b" ") if end > 0 else []
    if len(parts) != 3 or not all(p and p.isascii() and p.decode("ascii").isprintable() for p in parts):
        return None, None
    return parts[0].decode("ascii"), parts[1].decode("ascii").split("?", 1)[0]


class _Reading:
    """A connection whose request is being read: its buffer and its deadline."""

    __slots__ = ("buf", "continued", "deadline", "since")

    def __init__(self, since: float, timeout: float):
        self.buf = bytearray()
        self.since = since
        self.deadline = since + timeout
        self.continued = False


class AppAccessLogger(glogging.Logger):
    """gunicorn's logger, without gunicorn's own access line. The app writes the access log
    (``livegate.access``, one JSON line a request); gunicorn would otherwise build the fields of
    a line of its own for every request whenever a logging configuration is given (``serve``
    always gives one), only for the ``gunicorn.access`` logger to drop it."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


class BufferingWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker whose threads are given whole requests (see the module)."""

    wsgi: Any

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.reading: dict[TConn, _Reading] = {}
        self.writing: dict[TConn, _Writing] = {}
        self.unread = 0
        """Bytes of answers kept for clients that have not read them (at most UNREAD_MAX)."""
        self.unread_lock = threading.Lock()
        self.read_timeout = 10.0
        self.queue_timeout = 1.0
        self.body_limit = 64 * 1024
        self.metrics: Any = None
        self.access_log = True
        self.lanes: tuple[deque, deque, deque] = (deque(), deque(), deque())
        """Whole requests waiting for a thread, (connection, its future): probes (:data:`PROBES`),
        ordinary ones, then those on connections just refused."""
        self.lanes_lock = threading.Lock()
        self.serving_refused = False
        """Whether a thread is serving a request of the refused lane (one at a time)."""
        self.answered = threading.local()
        """Per thread: whether the answer just written was a client error."""
        self.served_since_trim = False
        self.next_trim = time.monotonic() + TRIM_INTERVAL
        self.shares: Shares | None = None
        self.slot: int | None = None
        self.held_until = 0.0
        self.full_said_at = -FULL_SAID_EVERY  # when "holding MAX_CONNECTIONS" was last logged
        self.out_of_files_said_at = -FULL_SAID_EVERY  # and "cannot accept a connection"
        """Until when (``time.monotonic``) this worker does not look at the listening socket,
        having left a waiting connection to a worker with fewer."""

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        if cfg.is_ssl:
            raise RuntimeError("livegate's worker reads plain HTTP/1: terminate TLS in front of it")

    def load_wsgi(self) -> None:
        super().load_wsgi()
        config = getattr(self.wsgi, "config", {})
        self.read_timeout = float(config.get("READ_TIMEOUT", self.read_timeout))
        self.queue_timeout = float(config.get("QUEUE_TIMEOUT", self.queue_timeout))
        self.body_limit = int(config.get("MAX_CONTENT_LENGTH", self.body_limit))
        self.metrics = getattr(self.wsgi, "extensions", {}).get(METRICS)
        self.access_log = bool(config.get("ACCESS_LOG", True))
        # the table of connections per worker and this worker's slot in it, given by livegate
        # serve's master before the fork (pre_fork); under another master, neither: the worker
        # then accepts as gunicorn's does
        self.shares = getattr(self.app, "shares", None)
        self.slot = getattr(self, "livegate_slot", None)
        self.wsgi = partial(_recording_refusals, self.wsgi, self.answered)

    # -- connections in ----------------------------------------------------------------
    def notify(self) -> None:
        """Once per turn of the event loop: also publish how many connections this worker holds
        (until it stops: it then withdraws as it stops accepting, :meth:`set_accept_enabled`), and
        in the metrics, with the requests waiting for a thread."""
        super().notify()
        if self.alive and self.shares is not None and self.slot is not None:
            self.shares.publish(self.slot, self.nr_conns)
        if self.metrics is not None:
            self.metrics.saturation(sum(len(lane) for lane in self.lanes), self.nr_conns)

    def set_accept_enabled(self, enabled: bool) -> None:
        """gunicorn's loop enables accepting each turn while the worker is below
        ``MAX_CONNECTIONS``; after a connection was left to the others, only once
        :data:`~livegate.http.spread.RECHECK` seconds have passed."""
        if enabled and time.monotonic() < self.held_until:
            enabled = False
        if not enabled and self.alive and self.nr_conns >= self.worker_connections:
            # full: new connections (a liveness probe's too) wait in the kernel's queue until one of
            # these closes (READ_TIMEOUT at the latest) — said, at most once a minute, not in silence
            now = time.monotonic()
            if now >= self.full_said_at + FULL_SAID_EVERY:
                self.full_said_at = now
                _log.warning("holding MAX_CONNECTIONS (%d) connections: new ones wait until one closes", self.nr_conns)
        if not self.alive and self.shares is not None and self.slot is not None:
            self.shares.withdraw(self.slot)
        super().set_accept_enabled(enabled)
        if not self.alive and not enabled:  # (unregistered first: gunicorn unregisters only what it registered)
            # Stopping: let go of the listening socket now, not after the drain (gunicorn's gthread
            # worker keeps it open until its requests are done). While any process held it, a new
            # connection was queued by the kernel, its request sent, and reset once the drain ended;
            # now, once the master and every stopping worker have let go, it is refused at once (a
            # client may retry that safely), and in a reload the new workers' copies go on accepting.
            for listener in self.sockets:
                listener.close()

    def handle_quit(self, sig: int, frame: Any) -> None:
        """SIGQUIT, the master's word for Ctrl-C (SIGINT): gunicorn's worker exits from its loop at
        once, and the requests in flight still finish in their threads before the process ends (up
        to the drain time: the master kills it then); the listening socket is let go first, as in a
        graceful stop (:meth:`set_accept_enabled`)."""
        for listener in self.sockets:
            listener.close()
        super().handle_quit(sig, frame)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """One turn's wait for events, no longer than until this worker looks at the listening
        socket again after leaving a connection to the others."""
        left = self.held_until - time.monotonic()
        super().wait_for_and_dispatch_events(min(timeout, left) if left > 0 else timeout)

    def accept(self, listener: Any) -> None:
        if self.shares is not None and self.slot is not None and not self.shares.fair(self.slot, self.nr_conns):
            # more than its share: leave the waiting connection to a worker with fewer, and stop
            # being woken for it until RECHECK has passed (then, if it still waits, look again)
            self.held_until = time.monotonic() + RECHECK
            super().set_accept_enabled(False)
            return
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                # out of file descriptors (or kernel memory): the connection waits in the kernel's
                # queue while this worker stops accepting for OUT_OF_FILES_HOLD (raised, it killed the
                # worker and every connection it held; held for RECHECK, 2 ms, it woke 420 times a second)
                now = time.monotonic()
                if now >= self.out_of_files_said_at + FULL_SAID_EVERY:
                    self.out_of_files_said_at = now
                    _log.warning(
                        "cannot accept a connection (%s): holding %d; accepting again shortly",
                        exc.strerror,
                        self.nr_conns,
                    )
                self.held_until = now + OUT_OF_FILES_HOLD
                super().set_accept_enabled(False)
                return
            raise
        self.nr_conns += 1
        conn = TConn(self.cfg, _timed(client, self.read_timeout), address, listener.getsockname())
        self._read(conn)

    def enqueue_req(self, conn: TConn) -> None:
        """Every way to a thread passes here: a kept-alive connection that became readable, or one
        with a pipelined request already read. Only a whole request goes on."""
        self._read(conn)

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read(conn)

    # -- reading -----------------------------------------------------------------------
    def _read(self, conn: TConn) -> None:
        state = _Reading(time.monotonic(), self.read_timeout)
        if conn.parser is not None:  # bytes read ahead by the previous request's parser
            state.buf += conn.parser.unreader.take_buffered()
        self.reading[conn] = state
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        if state.buf:
            self._advance(conn, state)

    def _on_readable(self, conn: TConn, client: Any) -> None:
        state = self.reading.get(conn)
        if state is None:
            return
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not data:  # the client closed its side: what it sent is all there is
            if state.buf:
                self._hand_over(conn, state, close=True)
            else:
                self._drop(conn)
            return
        state.buf += data
        self._advance(conn, state)

    def _advance(self, conn: TConn, state: _Reading) -> None:
        """Hand the request over, or refuse it, once its bytes allow."""
        status, expect = frame(state.buf, self.body_limit)
        if status == MORE:
            if expect and not state.continued:
                state.continued = True
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        elif status == HEAD_TOO_LARGE:
            self._refuse(conn, 431, "request_header_fields_too_large", Message("http.head_too_large"), state)
        elif status == BODY_TOO_LARGE:  # answered now: the rest of the body is never waited for
            said = Message("http.body_too_large", limit=self.body_limit)
            self._refuse(conn, 413, "body_too_large", said, state, field="(body)")
        else:
            self._hand_over(conn, state, close=status == HAND_OVER)

    def _leave(self, conn: TConn) -> None:
        """Stop reading ``conn`` in the event loop."""
        if self.reading.pop(conn, None) is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)

    def _hand_over(self, conn: TConn, state: _Reading, *, close: bool) -> None:
        self._leave(conn)
        if close:
            # what was read is all the thread gets: a read past it ends at once (end of file), so
            # the thread never waits for a client; a slow one held it for as long as it liked,
            # one byte every few seconds, behind a chunk announced over the limit
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RD)
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(state.buf))
        conn.livegate_line = method, path = _request_line(state.buf)
        conn.livegate_probe = method in ("GET", "HEAD") and path in PROBES
        conn.data_ready = True
        conn.livegate_close = close
        conn.livegate_ready = time.perf_counter()  # whole, waiting for a thread from now
        self._dispatch(conn)

    # -- lanes -------------------------------------------------------------------------------
    def _dispatch(self, conn: TConn) -> None:
        """Queue ``conn`` in its lane and give the pool one task, which serves whichever request
        leads the lanes when a thread takes it up (so as many tasks as waiting requests)."""
        future: futures.Future = futures.Future()
        future.add_done_callback(lambda done: self.method_queue.defer(self.finish_request, conn, done))
        lane = 0 if getattr(conn, "livegate_probe", False) else 2 if getattr(conn, "livegate_refused", False) else 1
        with self.lanes_lock:
            self.lanes[lane].append((conn, future))
        self.tpool.submit(self._serve_next)

    def _serve_next(self) -> None:
        """Serve the first probe, else the first ordinary request; or, if there is neither and no
        thread serves the refused lane, serve that lane until it is empty, resting after each
        request as long as it took of this thread's CPU (the lane uses at most half a core). The
        tasks of the refused requests served here have nothing left to do when they run, and end."""
        with self.lanes_lock:
            probes, ordinary, refused = self.lanes
            if probes:
                conn, future = probes.popleft()
            elif ordinary:
                conn, future = ordinary.popleft()
            elif refused and not self.serving_refused:
                self.serving_refused = True
                conn = None
            else:
                return
        if conn is not None:
            self._run(conn, future)
            return
        while True:
            with self.lanes_lock:
                if not refused:  # given up in the same hold of the lock: no request is left behind
                    self.serving_refused = False
                    return
                conn, future = refused.popleft()
            used = time.thread_time()
            self._run(conn, future)
            if refused:
                time.sleep(min(REFUSED_REST_MAX, time.thread_time() - used))

    def _run(self, conn: TConn, future: futures.Future) -> None:
        """Serve ``conn``'s request, or refuse it if it waited too long; its outcome, or what it
        raised, goes to ``finish_request`` through ``future`` (so this never raises)."""
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(False if self._shed(conn) else self.handle(conn))
            except BaseException as exc:  # finish_request closes the connection
                future.set_exception(exc)

    def _shed(self, conn: TConn) -> bool:
        """Whether ``conn``'s request, not a probe, has waited for a thread longer than
        ``QUEUE_TIMEOUT``; if so it is answered ``503 overloaded`` here, unread, and its
        connection is to be closed."""
        ready = getattr(conn, "livegate_ready", None)
        if ready is None or getattr(conn, "livegate_probe", False):
            return False
        waited = time.perf_counter() - ready
        if waited <= self.queue_timeout:
            return False
        method, path = getattr(conn, "livegate_line", (None, None))
        said = Message("http.overloaded", seconds=self.queue_timeout, retry=OVERLOADED_RETRY_AFTER)
        answer = self._refusal(
            503,
            "overloaded",
            said,
            method,
            path,
            round(waited * 1000, 3),
            conn.client,
            retry_after=OVERLOADED_RETRY_AFTER,
        )
        with contextlib.suppress(OSError):
            conn.sock.setblocking(True)  # a bounded send (_TimedSocket), as a thread writes
            conn.sock.sendall(answer)
        return True

    def _send(self, conn: TConn, data: bytes) -> None:
        with contextlib.suppress(OSError):
            conn.sock.send(data)

    def _refuse(
        self, conn: TConn, status: int, code: str, said: Message, state: _Reading, field: str | None = None
    ) -> None:
        method, path = _request_line(state.buf)
        latency_ms = round((time.monotonic() - state.since) * 1000, 3)
        answer = self._refusal(status, code, said, method, path, latency_ms, conn.client, field)
        self._send(conn, answer)
        self._drop(conn)

    def _refusal(
        self,
        status: int,
        code: str,
        said: Message,
        method: str | None,
        path: str | None,
        latency_ms: float | None,
        addr: Any,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> bytes:
        """The answer to a request the server refuses itself (no app saw it), counted and with its
        line in the access log."""
        if self.metrics is not None:
            self.metrics.rejected.labels(code=code).inc()
        headers = [*API_HEADERS, *([("Retry-After", str(retry_after))] if retry_after is not None else [])]
        answer = plain_error(status, code, said, headers, field)
        if self.access_log:
            log_access(
                request_id=None,
                method=method,
                path=path,
                status=status,
                latency_ms=latency_ms,
                wait_ms=None,
                size=len(answer),
                remote=addr[0] if isinstance(addr, tuple) else None,
                refused_by="server",
                code=code,
            )
        return answer

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """A request gunicorn's parser refused, or a fault outside the app: answered in the API's
        error shape (gunicorn writes an HTML page), counted and logged like the refusals written in
        the event loop. gunicorn's own handling stays for what is not the request's fault (it logs
        the traceback) but its answer is the API's 500."""
        refusal = parser_refusal(exc)
        if refusal is None:
            self.log.exception("Error handling request")
            status, code, said = 500, "internal_server_error", Message("http.internal_error")
        else:
            status, code, said = refusal
            self.log.warning("Invalid request from %s: %s", (addr or ("",))[0], said)
        answer = self._refusal(status, code, said, getattr(req, "method", None), getattr(req, "path", None), None, addr)
        with contextlib.suppress(OSError):
            client.setblocking(True)  # a bounded send (_TimedSocket), as a thread writes
            client.sendall(answer)

    def _drop(self, conn: TConn) -> None:
        self._leave(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Close the connections whose request has not arrived in time (and, once the worker is
        stopping, those that have not begun one for :data:`STOP_LINGER` seconds)."""
        super().murder_pending()
        now = time.monotonic()
        self._trim_if_due(now)
        for conn, state in list(self.reading.items()):
            if state.deadline <= now:
                if self.metrics is not None:
                    self.metrics.slow_connection_closed("request_begun" if state.buf else "idle")
                if state.buf:
                    self._refuse(
                        conn,
                        408,
                        "request_timeout",
                        Message("http.request_timeout", seconds=self.read_timeout),
                        state,
                    )
                else:
                    self._drop(conn)
            elif not self.alive and not state.buf and now - state.since >= STOP_LINGER:
                self._drop(conn)
        for conn, writing in list(self.writing.items()):
            if writing.deadline > now:
                continue
            unsent = _unsent(conn.sock)
            if unsent <= writing.unsent - READING:
                # the client reads what the kernel holds of its earlier answers (the socket is not
                # writable meanwhile): it is not stalled
                writing.unsent, writing.deadline = unsent, now + self.read_timeout
            else:
                _log.warning(
                    UNREAD_WARNING, conn.client[0] if isinstance(conn.client, tuple) else "?", self.read_timeout
                )
                if self.metrics is not None:
                    self.metrics.slow_connection_closed("answer_unread")
                self._drop_writing(conn)

    def _trim_if_due(self, now: float) -> None:
        """Hand freed memory back once :data:`TRIM_INTERVAL` has passed, if the worker answered
        something since the last time (an idle worker has freed nothing)."""
        if now < self.next_trim:
            return
        self.next_trim = now + TRIM_INTERVAL
        if self.served_since_trim:
            self.served_since_trim = False
            release_free_memory()

    # -- requests --------------------------------------------------------------------------
    def handle_request(self, req: Any, conn: TConn) -> bool:
        if getattr(conn, "livegate_close", False):
            req.must_close = True  # its body (if any) was not read: the connection cannot carry another
        # this worker sent 100 Continue itself if the body was awaited; a request handed over
        # without its body is answered without asking for it
        req._expected_100_continue = False
        self.answered.refused = False
        self.answered.ready = getattr(conn, "livegate_ready", None)
        self.served_since_trim = True
        sock = conn.sock
        sock.answering = True  # what the client does not take at once is left to the event loop
        try:
            result: bool = super().handle_request(req, conn)
        except BaseException:
            left = sock.leave_unread()
            with contextlib.suppress(OSError):
                if left:
                    sock.sendall(left)  # what was written before it failed, as gunicorn would have
            raise
        finally:
            conn.livegate_refused = self.answered.refused
        left = sock.leave_unread()
        if left:
            self._leave_unread(conn, left)
        return result

    def _leave_unread(self, conn: TConn, left: bytes) -> None:
        """Leave what the client has not taken of its answer to the event loop
        (``conn.livegate_unread``), so that a client that does not read holds no thread; or, with
        :data:`UNREAD_MAX` reached, write it here, waiting for the client up to ``READ_TIMEOUT``."""
        with self.unread_lock:
            keep = self.unread + len(left) <= UNREAD_MAX
            if keep:
                self.unread += len(left)
        if keep:
            conn.livegate_unread = left
        else:
            conn.sock.sendall(left)

    def finish_request(self, conn: TConn, fs: futures.Future) -> None:
        """In the event loop, once a thread has served ``conn``'s request: an answer the client has
        not taken in full is written from here first (gunicorn then keeps the connection for the
        next request, or closes it)."""
        left = getattr(conn, "livegate_unread", None)
        if not left:
            super().finish_request(conn, fs)
            return
        conn.livegate_unread = None
        self.writing[conn] = _Writing(left, time.monotonic() + self.read_timeout, fs, _unsent(conn.sock))
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_WRITE, partial(self._on_writable, conn))

    def _on_writable(self, conn: TConn, client: Any) -> None:
        state = self.writing.get(conn)
        if state is None:
            return
        try:
            sent = conn.sock.send(state.left)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop_writing(conn)
            return
        state.left = state.left[sent:]
        state.deadline = time.monotonic() + self.read_timeout  # it reads: READ_TIMEOUT from now
        state.unsent = _unsent(conn.sock)
        self._release(sent)
        if not state.left:
            self._stop_writing(conn)
            super().finish_request(conn, state.outcome)

    def _stop_writing(self, conn: TConn) -> None:
        state = self.writing.pop(conn, None)
        if state is not None:
            self._release(len(state.left))
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)

    def _drop_writing(self, conn: TConn) -> None:
        self._stop_writing(conn)
        self.nr_conns -= 1
        conn.close()

    def _release(self, size: int) -> None:
        with self.unread_lock:
            self.unread -= size


def _recording_refusals(app: Any, answered: threading.local, environ: dict, start_response: Any) -> Any:
    """``app``, noting in ``answered.refused`` whether its answer is a client error (4xx), and
    telling it when the request had arrived whole (:data:`READY`)."""
    ready = getattr(answered, "ready", None)
    if ready is not None:
        environ[READY] = ready

    def start(status: str, headers: list, exc_info: Any = None) -> Any:
        answered.refused = status.startswith("4")
        return start_response(status, headers, exc_info)

    return app(environ, start)
