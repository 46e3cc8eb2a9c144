"""Points and badges: a member's totals per room (written by the persister) and what they
add up to across a brand's sessions. The SQL only counts; the rule that turns the count
into badges is the domain's (``rooms.rewards.brand_badges``)."""

from collections.abc import Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from live.store.base import Insert, Row, StoreBase, insert_ignore, insert_many
from live.store.tables import room_members, rooms
from rooms import rewards

_brand_members = room_members.join(rooms, rooms.c.id == room_members.c.room_id)


async def write_members(conn: AsyncConnection, members: Sequence[Row]) -> None:
    """Part of the persister's batch: each member's room totals, replacing the last ones."""
    await insert_many(conn, _member_upsert(conn.dialect.name), members)


@cache
def _member_upsert(dialect: str) -> Insert:
    stmt = insert_ignore(dialect, room_members)
    update = {k: stmt.excluded[k] for k in ("name", "points", "badges")}
    return stmt.on_conflict_do_update(index_elements=["room_id", "user_id"], set_=update)


class PointsStore(StoreBase):
    async def brand_badges(self, brand_id: str, user_id: str) -> tuple[str, ...]:
        """Badges a user has earned across a brand's sessions."""
        query = sa.select(sa.func.count()).select_from(_brand_members).where(rooms.c.brand_id == brand_id, room_members.c.user_id == user_id, room_members.c.points > 0)
        return rewards.brand_badges(await self._scalar(query))

    async def brand_leaderboard(self, brand_id: str, limit: int) -> list[dict[str, Any]]:
        """Top members of a brand: points summed over its sessions, sessions counted, badges."""
        points = sa.func.sum(room_members.c.points).label("points")
        query = (
            sa.select(room_members.c.user_id, sa.func.max(room_members.c.name).label("name"), points, sa.func.count().label("sessions"))
            .select_from(_brand_members)
            .where(rooms.c.brand_id == brand_id)
            .group_by(room_members.c.user_id)
            .order_by(points.desc(), room_members.c.user_id)
            .limit(limit)
        )
        rows = await self._all(query)
        for row in rows:
            row["badges"] = list(rewards.brand_badges(row["sessions"]))
        return rows

    async def room_leaderboard(self, room_id: str, limit: int) -> list[dict[str, Any]]:
        query = (
            sa.select(room_members.c.user_id, room_members.c.name, room_members.c.points, room_members.c.badges)
            .where(room_members.c.room_id == room_id)
            .order_by(room_members.c.points.desc(), room_members.c.user_id)
            .limit(limit)
        )
        return await self._all(query)
