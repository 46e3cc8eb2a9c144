"""The embedded log: one process, rooms in memory, no Redis.

Durability comes from SQL: the persister writes every entry within one persist
interval, and a restarted process seeds a room's log back from there (under a new
epoch, since the unpersisted tail may be gone).
"""

import time
import uuid

from live.log.base import Subscriber
from rooms.commands import Actor, Command, Entry
from rooms.types import Millis, RoomId, Seq


class _RoomLog:
    __slots__ = ("entries", "first_seq", "last_seq", "last_ts", "subscriber")

    def __init__(self) -> None:
        self.entries: list[Entry] = []  # entries[i].seq == first_seq + i
        self.first_seq = 1
        self.last_seq = 0
        self.last_ts = 0
        self.subscriber: Subscriber | None = None


class MemoryLog:
    def __init__(self) -> None:
        self.epoch = uuid.uuid4().hex[:12]
        self._rooms: dict[RoomId, _RoomLog] = {}

    def _room(self, room: RoomId) -> _RoomLog:
        log = self._rooms.get(room)
        if log is None:
            log = self._rooms[room] = _RoomLog()
        return log

    async def append(self, room: RoomId, actor: Actor, command: Command, origin: str | None = None) -> Seq:
        log = self._room(room)
        log.last_seq += 1
        log.last_ts = max(log.last_ts, int(time.time() * 1000))
        entry = Entry(seq=Seq(log.last_seq), ts=Millis(log.last_ts), actor=actor, command=command, origin=origin)
        log.entries.append(entry)
        if log.subscriber is not None:
            log.subscriber(entry)
        return entry.seq

    async def read(self, room: RoomId, after: int = 0, limit: int = 10_000) -> list[Entry]:
        log = self._rooms.get(room)
        if log is None:
            return []
        start = max(0, after + 1 - log.first_seq)
        return log.entries[start : start + limit]

    async def subscribe(self, room: RoomId, deliver: Subscriber) -> None:
        self._room(room).subscriber = deliver

    async def unsubscribe(self, room: RoomId) -> None:
        if (log := self._rooms.get(room)) is not None:
            log.subscriber = None

    async def seed(self, room: RoomId, entries: list[Entry]) -> None:
        log = self._room(room)
        if log.last_seq or not entries:
            return
        log.entries = list(entries)
        log.first_seq, log.last_seq, log.last_ts = entries[0].seq, entries[-1].seq, entries[-1].ts

    async def trim(self, room: RoomId, upto: int) -> None:
        log = self._rooms.get(room)
        if log is None or upto < log.first_seq:
            return
        drop = min(upto, log.last_seq) - log.first_seq + 1
        del log.entries[:drop]
        log.first_seq += drop

    async def last_seq(self, room: RoomId) -> int:
        log = self._rooms.get(room)
        return log.last_seq if log else 0

    async def close(self) -> None:
        self._rooms.clear()
