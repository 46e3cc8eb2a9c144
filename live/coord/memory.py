"""Leases, presence and usage of the embedded server: one process is the only node.

It holds every room's lease, a room's viewers are its own, there is no other node to
send reactions to, and a user's usage is what this process counted.
"""

import time

from live.coord.presence import Reports
from rooms.types import RoomId


class MemoryLeases:
    def __init__(self) -> None:
        self._marks: dict[RoomId, int] = {}

    async def hold(self, rooms: list[RoomId]) -> set[RoomId]:
        return set(rooms)

    async def marks(self, rooms: list[RoomId]) -> dict[RoomId, int]:
        return {room: self._marks[room] for room in rooms if room in self._marks}

    async def mark(self, marks: dict[RoomId, int]) -> None:
        self._marks.update(marks)


class MemoryPresence:
    heartbeat_seconds: float | None = None  # the only node: it never has to say it is alive

    async def heartbeat(self) -> bool:
        return False

    async def report(self, reports: Reports) -> dict[RoomId, int]:
        return {room: viewers for room, (viewers, _) in reports.items()}


class MemoryUsage:
    def __init__(self) -> None:
        self._window = -1
        self._counts: dict[str, int] = {}

    async def add(self, counts: dict[str, int], window_ms: int) -> dict[str, int]:
        window = int(time.time() * 1000) // window_ms
        if window != self._window:
            self._window, self._counts = window, {}
        for k, n in counts.items():
            self._counts[k] = self._counts.get(k, 0) + n
        return {k: self._counts[k] for k in counts}
