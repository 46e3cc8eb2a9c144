"""This process's view of the rooms it serves: opens each room once, on demand."""

import asyncio
import logging
import uuid

from live import protocol as p
from live.log.base import RoomLog
from live.persister import Persister
from live.room import RoomRuntime
from live.settings import Settings
from live.store import Store
from rooms.types import RoomId

log = logging.getLogger("live.node")


class Node:
    def __init__(self, settings: Settings, log_: RoomLog, store: Store, persister: Persister) -> None:
        self.id = uuid.uuid4().hex[:8]
        self.settings = settings
        self.log = log_
        self.store = store
        self.persister = persister
        self.runtimes: dict[RoomId, RoomRuntime] = {}
        self._opening: dict[RoomId, asyncio.Lock] = {}

    async def runtime(self, room_id: RoomId, *, create: bool = False) -> RoomRuntime | None:
        """The room's runtime, opened from the log (or from SQL after a restart); None if unknown."""
        if (rt := self.runtimes.get(room_id)) is not None:
            return rt
        lock = self._opening.setdefault(room_id, asyncio.Lock())
        async with lock:
            if (rt := self.runtimes.get(room_id)) is not None:
                return rt
            if not await self.log.read(room_id, 0, 1):
                persisted = await self.store.load_entries(room_id)
                if persisted:
                    await self.log.seed(room_id, [p.entry_from_dict(body) for body in persisted])
                elif not create:
                    return None
            s = self.settings
            rt = RoomRuntime(
                room_id,
                log_=self.log,
                node_id=self.id,
                on_folded=self.persister.add,
                recent_events=s.recent_events,
                batch_window_ms=s.batch_window_ms,
                max_batch_window_ms=s.max_batch_window_ms,
                batch_viewers_per_ms=s.batch_viewers_per_ms,
                presence_interval_ms=s.presence_interval_ms,
            )
            await rt.open()
            self.runtimes[room_id] = rt
            return rt

    async def close(self) -> None:
        for rt in list(self.runtimes.values()):
            await rt.close()
        self.runtimes.clear()
