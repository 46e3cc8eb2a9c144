"""Automatic moderation's SQL: each brand's policy, and when an author was first seen.

The policy is stored as the JSON the brand PUT (``live.automod.policy.Policy``), so a
field added later takes its default for brands that never set it.
"""

import time
from typing import Any

import sqlalchemy as sa

from live.store.base import StoreBase
from live.store.tables import automod_policies, room_viewers, rooms


class AutomodStore(StoreBase):
    async def automod_policy(self, brand_id: str) -> dict[str, Any] | None:
        """The brand's policy as stored, or None where it never set one (the defaults apply)."""
        row = await self._first(sa.select(automod_policies.c.policy).where(automod_policies.c.brand_id == brand_id))
        return None if row is None else dict(row["policy"])

    async def put_automod_policy(self, brand_id: str, policy: dict[str, Any]) -> None:
        stmt = self._insert_ignore(automod_policies).values(brand_id=brand_id, policy=policy, updated_at=int(time.time() * 1000))
        stmt = stmt.on_conflict_do_update(index_elements=["brand_id"], set_={"policy": stmt.excluded.policy, "updated_at": stmt.excluded.updated_at})
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def first_seen(self, user_id: str, brand_id: str | None, room_id: str) -> int | None:
        """When the user first joined any of the brand's rooms (a brandless room: this one), as recorded."""
        rooms_of = room_viewers.c.room_id == room_id if brand_id is None else room_viewers.c.room_id.in_(sa.select(rooms.c.id).where(rooms.c.brand_id == brand_id))
        query = sa.select(sa.func.min(room_viewers.c.first_seen)).where(room_viewers.c.user_id == user_id, rooms_of)
        async with self.engine.connect() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        return None if value is None else int(value)
