"""Viewers following brands and hosts: written by the viewer, read for reminders and go-live."""

from typing import Any

import sqlalchemy as sa

from live.store.base import StoreBase
from live.store.tables import follows

MAX_LISTED = 10_000  # followers a webhook lists (the total is always given)


class FollowStore(StoreBase):
    async def follow(self, user_id: str, kind: str, target: str, now: int) -> None:
        """Idempotent: following again changes nothing."""
        async with self.engine.begin() as conn:
            await conn.execute(self._insert_ignore(follows).values(user_id=user_id, kind=kind, target=target, created_at=now).on_conflict_do_nothing())

    async def unfollow(self, user_id: str, kind: str, target: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(follows.delete().where(follows.c.user_id == user_id, follows.c.kind == kind, follows.c.target == target))

    async def following(self, user_id: str) -> list[dict[str, Any]]:
        return await self._all(sa.select(follows.c.kind, follows.c.target, follows.c.created_at).where(follows.c.user_id == user_id).order_by(follows.c.created_at))

    async def follows_of(self, user_id: str, targets: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (kind, target) the user follows."""
        if not targets:
            return set()
        cond = sa.or_(*(sa.and_(follows.c.kind == k, follows.c.target == t) for k, t in targets))
        rows = await self._all(sa.select(follows.c.kind, follows.c.target).where(follows.c.user_id == user_id, cond))
        return {(r["kind"], r["target"]) for r in rows}

    async def followers(self, targets: list[tuple[str, str]], limit: int = MAX_LISTED) -> tuple[list[str], int]:
        """Distinct users following any of these (kind, target), oldest first, and how many in all."""
        if not targets:
            return [], 0
        cond = sa.or_(*(sa.and_(follows.c.kind == k, follows.c.target == t) for k, t in targets))
        first = sa.select(follows.c.user_id, sa.func.min(follows.c.created_at).label("since")).where(cond).group_by(follows.c.user_id).subquery()
        users = [r["user_id"] for r in await self._all(sa.select(first.c.user_id).order_by(first.c.since, first.c.user_id).limit(limit))]
        total = await self._scalar(sa.select(sa.func.count()).select_from(first))
        return users, int(total)
