"""Session stats: the edge signals the lease holder samples (viewers, reactions), who
joined, and a brand's rooms, for analytics. The numbers themselves are a re-fold
(``rooms.analytics``); this module only stores and reads their inputs."""

import asyncio
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from live.store.base import StoreBase, insert_many, insert_or_skip
from live.store.tables import room_samples, room_viewers, rooms

LOOP_FRIENDLY_ROWS = 200  # rows per statement where a batch may be large


class StatsStore(StoreBase):
    async def add_samples(self, samples: Sequence[dict[str, Any]], viewers: Sequence[dict[str, Any]]) -> None:
        """Record samples and joins. The rows are made into tuples on the event loop, so a
        big batch (5,000 viewers who just joined) goes in chunks, letting the fan-out run between."""
        async with self.engine.begin() as conn:
            await insert_many(conn, insert_or_skip(self._dialect, room_samples), samples)
            for start in range(0, len(viewers), LOOP_FRIENDLY_ROWS):
                await insert_many(conn, insert_or_skip(self._dialect, room_viewers), viewers[start : start + LOOP_FRIENDLY_ROWS])
                await asyncio.sleep(0)

    async def session_stats(self, room_id: str) -> tuple[list[tuple[int, int, int]], int]:
        """A room's samples as ``(ts, viewers, reactions)`` in time order, and its unique viewers."""
        samples = sa.select(room_samples.c.ts, room_samples.c.viewers, room_samples.c.reactions).where(room_samples.c.room_id == room_id).order_by(room_samples.c.ts)
        unique = sa.select(sa.func.count()).select_from(room_viewers).where(room_viewers.c.room_id == room_id)
        async with self.engine.connect() as conn:
            points = [(r.ts, r.viewers, r.reactions) for r in (await conn.execute(samples)).all()]
            return points, (await conn.execute(unique)).scalar_one()

    async def brand_rooms(self, brand_id: str, *, open_only: bool = False) -> list[dict[str, Any]]:
        """A brand's rooms, oldest first (``open_only``: scheduled and live ones)."""
        query = rooms.select().where(rooms.c.brand_id == brand_id, rooms.c.rehearsal_of.is_(None))
        if open_only:
            query = query.where(rooms.c.status.in_(("scheduled", "live")))
        return await self._all(query.order_by(rooms.c.created_at))
