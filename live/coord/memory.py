"""Leases and presence of the embedded server: one process is the only node.

It holds every room's lease, a room's viewers are its own, and there is no other
node to send reactions to.
"""

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
    async def report(self, reports: Reports) -> dict[RoomId, int]:
        return {room: viewers for room, (viewers, _) in reports.items()}
