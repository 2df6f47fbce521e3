"""Connections spread over ``livegate serve``'s workers.

gunicorn's workers share one listening socket, and a new connection goes to
whichever of them calls ``accept`` first. A worker that is waiting accepts at
once; a busy one waits for the GIL first. So a client that opens its
connections at once (a connection pool, a load balancer, ``wrk``) can find most
or all of them on one worker, and with keep-alive they stay there: that worker
then serves on one core while the other idles. Measured on the 2-worker
server: 16 connections opened at once split 11/5, 14/2 and 13/3; and right
after a burst of evaluations one worker held all 16 for a whole run, at a third
of the usual rate (docs/performance.md#spread).

Each worker therefore publishes how many connections it holds in a table that
the master shares with its workers (:class:`Shares`: one slot per worker, given
by the master before the fork and freed when the worker exits). A worker does
not accept while it holds more than :data:`SLACK` connections (or an eighth)
above the fewest that another live worker holds: it leaves a waiting connection
to the others, and looks again :data:`RECHECK` seconds later if it still waits.
The worker with the fewest always accepts, so connections never wait for a
fair share. A worker that has not written its slot for :data:`STALE` seconds
(stuck, or not started yet) does not count, nor one that is stopping.
"""

from __future__ import annotations

import ctypes
import mmap
import time

__all__ = ["RECHECK", "SLACK", "STALE", "Shares"]

SLACK = 1
"""Connections a worker may hold above the least loaded live worker and still accept, or an eighth
of what that worker holds if more (a burst of hundreds of connections is then taken in turns of
dozens, not of one or two, each turn costing a wait of up to :data:`RECHECK`)."""

RECHECK = 0.002
"""Seconds a worker that left a waiting connection to the others does not look at the listening
socket: if the connection still waits then (the others were slow to take it, or have since taken
enough to make this worker the least loaded), it compares again. Only while a connection waits;
an idle worker is not woken for this."""

STALE = 2.5
"""Seconds after which a worker's count is ignored if it has not written it again (a worker's
event loop writes it at least once a second)."""


class Shares:
    """The connections each worker holds, in memory shared by the master and its workers (an
    anonymous shared mapping made before the workers are forked). Per slot: the count (-1 when no
    live worker writes it) and when it was written (``time.monotonic``, the same clock in every
    process of the machine)."""

    def __init__(self, slots: int):
        self._map = mmap.mmap(-1, ctypes.sizeof(ctypes.c_double) * 2 * slots)
        self._table = (ctypes.c_double * (2 * slots)).from_buffer(self._map)
        self.slots = slots
        self._taken: set[int] = set()  # the master's own record of the slots it gave
        for slot in range(slots):
            self._table[2 * slot] = -1.0

    # -- the master ---------------------------------------------------------------------
    def assign(self) -> int | None:
        """A free slot for a worker about to be forked, or None if all are taken (that worker
        then accepts as it pleases and is not counted)."""
        for slot in range(self.slots):
            if slot not in self._taken:
                self._taken.add(slot)
                self._table[2 * slot] = -1.0
                return slot
        return None

    def release(self, slot: int | None) -> None:
        """The worker holding ``slot`` has exited."""
        if slot is not None:
            self._taken.discard(slot)
            self._table[2 * slot] = -1.0

    # -- a worker -----------------------------------------------------------------------
    def publish(self, slot: int, connections: int) -> None:
        """This worker holds ``connections`` now."""
        self._table[2 * slot + 1] = time.monotonic()
        self._table[2 * slot] = float(connections)

    def withdraw(self, slot: int) -> None:
        """This worker accepts no more (it is stopping): leave it out of the others' comparison."""
        self._table[2 * slot] = -1.0

    def fair(self, slot: int, connections: int) -> bool:
        """Whether a worker holding ``connections`` may accept another: it holds at most
        :data:`SLACK` more than the least loaded other live worker, or an eighth of what that one
        holds if more (or there is no other)."""
        now = time.monotonic()
        fewest = None
        table = self._table
        for other in range(self.slots):
            if other == slot:
                continue
            count = table[2 * other]
            if count >= 0 and now - table[2 * other + 1] < STALE and (fewest is None or count < fewest):
                fewest = count
        return fewest is None or connections <= fewest + max(SLACK, int(fewest) // 8)
