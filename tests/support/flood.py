"""A flood of one request, from its own process (so that its clients do not slow down the
measuring ones in the test process): ``connections`` kept-alive connections to 127.0.0.1, each
sending ``request`` again as soon as the previous answer has arrived, for ``seconds`` at most
and ``limit`` requests at most. Prints the number of answers by status as JSON.

    python -m tests.support.flood PORT CONNECTIONS SECONDS REQUEST_FILE [LIMIT]
"""

from __future__ import annotations

import collections
import json
import selectors
import signal
import socket
import sys
import time

from tests.support.server import HOST


class _Client:
    def __init__(self, port: int, request: bytes):
        self.sock = socket.create_connection((HOST, port), timeout=5)
        self.sock.setblocking(False)
        self.request = request
        self.buf = b""

    def answer(self) -> int | None:
        """The status of the whole answer at the start of the buffer (consumed), or None."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("latin-1").lower()
        length = next(
            (int(line.split(":", 1)[1]) for line in head.split("\r\n") if line.startswith("content-length:")), 0
        )
        if len(self.buf) < end + 4 + length:
            return None
        self.buf = self.buf[end + 4 + length :]
        return int(head.split(" ", 2)[1])


_STOP: list[bool] = []
"""Set by SIGTERM: the flood ends early and still prints its counts (the test terminates it when done)."""


def flood(port: int, connections: int, seconds: float, request: bytes, limit: int = 1_000_000) -> dict[str, int]:
    selector = selectors.DefaultSelector()
    statuses: collections.Counter = collections.Counter()
    clients = [_Client(port, request) for _ in range(connections)]
    for client in clients:
        client.sock.sendall(request)
        selector.register(client.sock, selectors.EVENT_READ, client)
    deadline = time.monotonic() + seconds
    sent = connections
    while time.monotonic() < deadline and sum(statuses.values()) < limit and not _STOP:
        for key, _ in selector.select(0.1):
            client = key.data
            try:
                data = client.sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                statuses["closed"] += 1
                selector.unregister(client.sock)
                continue
            client.buf += data
            while (status := client.answer()) is not None:
                statuses[str(status)] += 1
                if sent < limit:
                    client.sock.setblocking(True)
                    client.sock.sendall(client.request)
                    client.sock.setblocking(False)
                    sent += 1
    for client in clients:
        client.sock.close()
    return dict(statuses)


if __name__ == "__main__":
    port, connections, seconds, path = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    limit = int(sys.argv[5]) if len(sys.argv) > 5 else 1_000_000
    signal.signal(signal.SIGTERM, lambda *_: _STOP.append(True))
    with open(path, "rb") as f:
        print(json.dumps(flood(port, connections, seconds, f.read(), limit)))
