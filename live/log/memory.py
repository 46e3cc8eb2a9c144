"""The embedded log: one process, rooms in memory, no Redis.

Durability comes from SQL: the persister writes every entry within one persist
interval, and a restarted process seeds a room back from there under a new epoch
(the unpersisted tail may be gone). Losing the history means losing the process, so
no open subscription ever sees its epoch change (``on_reset`` is never called), and
there are no other nodes whose reactions would arrive (``on_signal`` neither).
"""

import time
import uuid
from typing import Any

import orjson

from live.errors import EpochChanged
from live.log.base import History, ResetHandler, SignalHandler, Subscriber
from rooms.commands import Actor, Command, Entry
from rooms.types import Millis, RoomId, Seq


class _Room:
    __slots__ = ("entries", "first_seq", "last_seq", "last_ts", "snapshot", "subscriber")

    def __init__(self, snapshot: tuple[int, dict[str, Any]] | None) -> None:
        self.snapshot = snapshot
        self.last_seq = snapshot[0] if snapshot else 0
        self.first_seq = self.last_seq + 1
        self.entries: list[Entry] = []  # entries[i].seq == first_seq + i
        self.last_ts = 0
        self.subscriber: Subscriber | None = None


class MemoryLog:
    def __init__(self, node_id: str = "local") -> None:
        self.node_id = node_id
        self.epoch = uuid.uuid4().hex[:12]  # one history per process
        self._rooms: dict[RoomId, _Room] = {}

    async def seed(self, room: RoomId, snapshot: tuple[int, dict[str, Any]] | None) -> str:
        self._rooms.setdefault(room, _Room(snapshot))
        return self.epoch

    async def open(self, room: RoomId, deliver: Subscriber, on_reset: ResetHandler, on_signal: SignalHandler) -> History:
        log = self._rooms.get(room)
        if log is None:
            return History(None, None, [])
        log.subscriber = deliver
        start = max(0, (log.snapshot[0] if log.snapshot else 0) + 1 - log.first_seq)
        return History(self.epoch, log.snapshot, log.entries[start:])

    async def lost_for(self, room: RoomId) -> int:
        return 0  # this process is the only node: nobody else holds a part of the history

    async def close_room(self, room: RoomId) -> None:
        if (log := self._rooms.get(room)) is not None:
            log.subscriber = None

    async def append(self, room: RoomId, epoch: str, actor: Actor, command: Command, origin: str | None = None) -> Seq:
        log = self._rooms.get(room)
        if log is None or epoch != self.epoch:
            raise EpochChanged(room)
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

    wants_snapshots = False

    async def save_snapshot(self, room: RoomId, seq: int, state: bytes) -> None:
        """Kept for a room reopened after a trim; otherwise this process folds every
        room it has from the start, so periodic snapshots are not wanted."""
        if (log := self._rooms.get(room)) is not None:
            log.snapshot = (seq, orjson.loads(state))

    async def trim(self, room: RoomId, upto: int) -> None:
        log = self._rooms.get(room)
        if log is None or upto < log.first_seq:
            return
        drop = min(upto, log.last_seq) - log.first_seq + 1
        del log.entries[:drop]
        log.first_seq += drop

    async def close(self) -> None:
        self._rooms.clear()
