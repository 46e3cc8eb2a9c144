"""Keepalive for thousands of sockets on one timer.

A timer per connection costs about half a kilobyte each (uvloop's handle, its libuv
timer, a bound method and a context), and joins in a burst would ping in a burst.
Here connections sit in one of ``SLOTS`` sets, and one timer visits a set every
``interval / SLOTS`` seconds: each connection is visited once per interval, at a phase
picked at random when it joined.
"""

import asyncio
import random
from typing import Protocol

SLOTS = 16


class Alive(Protocol):
    def keepalive(self) -> bool:
        """Ping, or give up on the peer; False: stop visiting."""
        ...


class KeepaliveWheel:
    __slots__ = ("_interval", "_sets", "_tick", "_timer")

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._sets: list[set[Alive]] = [set() for _ in range(SLOTS)]
        self._tick = 0
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, conn: Alive) -> int:
        """Visit ``conn`` once per interval from now on; returns its slot (-1: no keepalive)."""
        if self._interval <= 0:
            return -1
        slot = random.randrange(SLOTS)
        self._sets[slot].add(conn)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval / SLOTS, self._turn)
        return slot

    def unwatch(self, conn: Alive, slot: int) -> None:
        if slot >= 0:
            self._sets[slot].discard(conn)

    def _turn(self) -> None:
        self._tick = (self._tick + 1) % SLOTS
        due = self._sets[self._tick]
        for conn in list(due):
            if not conn.keepalive():
                due.discard(conn)
        self._timer = asyncio.get_running_loop().call_later(self._interval / SLOTS, self._turn) if any(self._sets) else None
