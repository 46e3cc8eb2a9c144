"""Writes each room's folded log to SQL afterwards, in batches, idempotently.

The room runtime hands over every folded entry with its public event messages.
They are written every persist interval (or sooner when a batch fills) in one
transaction; a failed write keeps the batch and retries with backoff, so nothing
acknowledged is dropped while the process lives. When a room's end entry is
persisted, its log is trimmed.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from live import protocol as p
from live.log.base import RoomLog
from live.store import Store
from rooms.commands import Entry
from rooms.state import RoomState, Status
from rooms.types import RoomId

log = logging.getLogger("live.persister")

MAX_BACKOFF_SECONDS = 10.0


@dataclass
class _Batch:
    entries: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deletions: list[tuple[str, int]] = field(default_factory=list)
    rooms: dict[str, RoomState] = field(default_factory=dict)
    last_seq: dict[str, int] = field(default_factory=dict)
    ended: set[RoomId] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.entries)


class Persister:
    def __init__(self, store: Store, log_: RoomLog, *, interval_ms: int, batch: int) -> None:
        self._store = store
        self._log = log_
        self._interval = interval_ms / 1000
        self._batch_size = batch
        self._batch = _Batch()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def add(self, state: RoomState, entry: Entry, messages: list[dict[str, Any]]) -> None:
        b = self._batch
        room = state.room_id
        b.entries.append({"room_id": room, "seq": entry.seq, "ts": entry.ts, "body": p.entry_to_dict(entry)})
        for idx, msg in enumerate(messages):
            b.events.append({"room_id": room, "seq": entry.seq, "idx": idx, "ts": entry.ts, "type": msg["type"], "body": msg})
            if msg["type"] == "chat.deleted":
                b.deletions.append((room, msg["message_id"]))
        if state.status is not Status.NONE:
            b.rooms[room] = state
        b.last_seq[room] = entry.seq
        if state.status is Status.ENDED:
            b.ended.add(room)
        if len(b) >= self._batch_size:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.flush()

    async def _run(self) -> None:
        backoff = self._interval
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), backoff)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
                backoff = self._interval
            except Exception:
                log.exception("persisting failed; will retry")
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def flush(self) -> None:
        """Write what is pending now; on failure it stays pending for the next try."""
        async with self._lock:
            batch, self._batch = self._batch, _Batch()
            if not batch.entries and not batch.rooms:
                return
            try:
                await self._store.write_batch(
                    [_room_row(s, batch.last_seq[r]) for r, s in batch.rooms.items()],
                    batch.entries,
                    batch.events,
                    batch.deletions,
                )
            except BaseException:
                self._requeue(batch)
                raise
            for room in batch.ended:
                await self._log.trim(room, batch.last_seq[room])

    def _requeue(self, batch: _Batch) -> None:
        newer = self._batch
        batch.entries += newer.entries
        batch.events += newer.events
        batch.deletions += newer.deletions
        batch.rooms.update(newer.rooms)
        batch.last_seq.update(newer.last_seq)
        batch.ended |= newer.ended
        self._batch = batch


def _room_row(s: RoomState, persisted_seq: int) -> dict[str, Any]:
    return {
        "id": s.room_id,
        "title": s.title,
        "host_id": s.host_id,
        "brand_id": s.brand_id,
        "status": s.status.value,
        "starts_at": s.starts_at,
        "created_at": s.created_at,
        "went_live_at": s.went_live_at,
        "ended_at": s.ended_at,
        "message_count": s.message_count,
        "persisted_seq": persisted_seq,
    }
