"""Erasure and retention: what a brand may ask of its persisted sessions — erase one user
everywhere (ids pseudonymized, names and their own text erased) or purge sessions
that ended before a time. ``scrub`` is the JSON rewrite both entries and events go through."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from live.store.base import StoreBase
from live.store.tables import entries, events, orders, room_members, room_samples, room_viewers, rooms

_BODY_KEYS: tuple[tuple[sa.Table, tuple[str, ...]], ...] = ((events, ("room_id", "seq", "idx")), (entries, ("room_id", "seq")))


async def _scrub_bodies(conn: AsyncConnection, room_ids: list[str], user: str, alias: str, erased: str) -> int:
    """Rewrite every event and entry body of the rooms that names the user; how many changed."""
    changed = 0
    for table, key in _BODY_KEYS:
        cols = [table.c[k] for k in key]
        for row in (await conn.execute(sa.select(*cols, table.c.body).where(table.c.room_id.in_(room_ids)))).all():
            body = scrub(row.body, user, alias, erased)
            if body != row.body:
                changed += 1
                await conn.execute(table.update().where(*(table.c[k] == getattr(row, k) for k in key)).values(body=body))
    return changed


class PrivacyStore(StoreBase):
    async def erase_user(self, brand_id: str, user_id: str, alias: str, erased: str) -> int:
        """Replace a user's id, name and text in every persisted row of the brand's rooms.

        Entries are rewritten the same way as events, so re-folding an erased session
        still gives the same counts (the text becomes ``erased``, never empty).
        """
        async with self.engine.begin() as conn:
            room_ids = list((await conn.execute(sa.select(rooms.c.id).where(rooms.c.brand_id == brand_id))).scalars())
            if not room_ids:
                return 0
            changed = await _scrub_bodies(conn, room_ids, user_id, alias, erased)
            for table in (orders, room_viewers):
                result = await conn.execute(table.update().where(table.c.room_id.in_(room_ids), table.c.user_id == user_id).values(user_id=alias))
                changed += result.rowcount
            result = await conn.execute(room_members.update().where(room_members.c.room_id.in_(room_ids), room_members.c.user_id == user_id).values(user_id=alias, name="erased"))
            changed += result.rowcount
        return changed

    async def purge(self, brand_id: str, ended_before: int) -> list[str]:
        """Drop the log, transcript and stats of the brand's sessions that ended before a time."""
        query = sa.select(rooms.c.id).where(rooms.c.brand_id == brand_id, rooms.c.status == "ended", rooms.c.ended_at < ended_before)
        async with self.engine.begin() as conn:
            room_ids = [r.id for r in (await conn.execute(query)).all()]
            if room_ids:
                for table in (events, entries, room_samples, room_viewers, room_members):
                    await conn.execute(table.delete().where(table.c.room_id.in_(room_ids)))
        return room_ids


def scrub(value: Any, user: str, alias: str, erased: str) -> Any:
    """A JSON value with ``user`` replaced by ``alias``, their names and their own text erased."""
    if isinstance(value, list):
        return [scrub(v, user, alias, erased) for v in value]
    if not isinstance(value, dict):
        return value
    is_ref = value.get("id") == user and "name" in value  # a UserRef
    is_actor = value.get("user_id") == user and "name" in value  # an Actor
    out: dict[str, Any] = {}
    for k, v in value.items():
        if (k in ("user_id", "by") and v == user) or (is_ref and k == "id"):
            out[k] = alias
        elif (is_ref or is_actor) and k == "name":
            out[k] = "erased"
        else:
            out[k] = scrub(v, user, alias, erased)
    author = value.get("user")
    if isinstance(author, dict) and author.get("id") == user and "text" in value:
        out["text"] = erased  # a message or question they wrote
    actor, command = value.get("actor"), out.get("command")
    if isinstance(actor, dict) and actor.get("user_id") == user and isinstance(command, dict) and "text" in command:
        out["command"] = {**command, "text": erased}  # the log entry of it
    return out
