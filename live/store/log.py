"""The persisted log: the persister's batch write, and every read of rooms, entries and events.

Writes are idempotent by ``(room, seq[, idx])`` so a batch written twice (a retry, or a
second persister after a takeover) changes nothing. The batch also carries the orders
and members a stretch of the log produced; how those rows are written belongs to
``orders`` and ``points``, which this module calls inside the same transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from live.store.base import Insert, Row, StoreBase, greatest, insert_ignore, insert_many, insert_or_skip
from live.store.orders import write_orders
from live.store.points import write_members
from live.store.privacy import erase_in_room
from live.store.tables import entries, events, room_tenant, rooms
from live.store.webhooks import write_outbox
from rooms.commands import PrivacyErase
from rooms.events import STAFF_TYPES


@dataclass(frozen=True, slots=True)
class Batch:
    """What the persister writes in one transaction, for one or more rooms.

    Rows of one room are in seq order; ``order_changes`` must be (an older change never
    overwrites a newer one, but a change must follow the order it changes).
    """

    rooms: Sequence[Row] = ()  # registry rows, upserted (persisted_seq never goes back)
    entries: Sequence[Row] = ()  # the log: room_id, seq, ts, body
    events: Sequence[Row] = ()  # the public transcript: room_id, seq, idx, ts, type, body
    deletions: Sequence[tuple[str, int]] = ()  # (room_id, message seq) of deleted chat
    new_orders: Sequence[Row] = ()  # one row per reservation
    order_changes: Sequence[Row] = ()  # room_id, reservation_id, status, seq, ts
    order_links: Sequence[Row] = ()  # room_id, reservation_id, checkout_url: where the buyer pays
    members: Sequence[Row] = ()  # a member's points and badges in a room, as totals
    webhooks: Sequence[Row] = ()  # messages to the merchant's checkout (the outbox)
    erasures: Sequence[tuple[str, PrivacyErase, int]] = ()  # (room_id, the entry's command, its seq)


@cache
def _room_upsert(dialect: str) -> Insert:
    """One statement for every room row of a batch (executemany), built once per dialect."""
    stmt = insert_ignore(dialect, rooms)
    keep = ("id", "created_at", "persisted_seq")
    updates: dict[str, Any] = {c.name: stmt.excluded[c.name] for c in rooms.c if c.name not in keep}
    updates["persisted_seq"] = greatest(dialect)(rooms.c.persisted_seq, stmt.excluded.persisted_seq)
    return stmt.on_conflict_do_update(index_elements=["id"], set_=updates)


async def _other_epoch(conn: AsyncConnection, room_rows: Sequence[Row], dialect: str) -> set[str]:
    """The rooms SQL holds under another epoch than the batch's (locked until commit)."""
    if not room_rows:
        return set()
    query = sa.select(rooms.c.id, rooms.c.epoch).where(rooms.c.id.in_([r["id"] for r in room_rows]))
    if dialect == "postgresql":
        query = query.with_for_update()
    held = {row.id: row.epoch for row in await conn.execute(query)}
    return {r["id"] for r in room_rows if held.get(r["id"]) not in (None, r.get("epoch"))}


def _without(batch: Batch, refused: set[str]) -> Batch:
    def keep(rows: Sequence[Row]) -> list[Row]:
        return [r for r in rows if r["room_id"] not in refused]

    return Batch(
        rooms=[r for r in batch.rooms if r["id"] not in refused],
        entries=keep(batch.entries),
        events=keep(batch.events),
        deletions=[d for d in batch.deletions if d[0] not in refused],
        new_orders=keep(batch.new_orders),
        order_changes=keep(batch.order_changes),
        order_links=keep(batch.order_links),
        members=keep(batch.members),
        webhooks=keep(batch.webhooks),
        erasures=[e for e in batch.erasures if e[0] not in refused],
    )


async def _mark_deleted(conn: AsyncConnection, deletions: Sequence[tuple[str, int]]) -> None:
    for room_id, message_id in deletions:
        await conn.execute(events.update().where(events.c.room_id == room_id, events.c.seq == message_id, events.c.type == "chat.message").values(deleted=True))


class LogStore(StoreBase):
    async def write_batch(self, batch: Batch) -> set[str]:
        """One transaction: rooms, entries, events, orders and their changes, members, deletions,
        and any erasure the entries hold (``live.store.privacy.erase_in_room``).

        Every part is idempotent: a batch written twice leaves the same rows. A room's rows
        are refused, all of them, when SQL already holds the room under another log epoch
        than its row's ``epoch`` (the log was lost and reseeded since): an old epoch never
        writes over a new one. Returns the rooms refused.
        """
        dialect = self._dialect
        async with self.engine.begin() as conn:
            if refused := await _other_epoch(conn, batch.rooms, dialect):
                batch = _without(batch, refused)
            await insert_many(conn, _room_upsert(dialect), batch.rooms)
            await insert_many(conn, insert_or_skip(dialect, entries), batch.entries)
            await insert_many(conn, insert_or_skip(dialect, events), batch.events)
            await write_orders(conn, batch.new_orders, batch.order_changes, batch.order_links)
            await write_members(conn, batch.members)
            await write_outbox(conn, batch.webhooks)
            await _mark_deleted(conn, batch.deletions)  # after the events: it may delete one of them
            for room_id, who, seq in batch.erasures:  # last: it rewrites what came before
                await erase_in_room(conn, room_id, who, seq)
        return refused

    async def set_epoch(self, room_id: str, epoch: str) -> None:
        """The room's log was seeded anew under ``epoch``: from now on only it may write."""
        async with self.engine.begin() as conn:
            await conn.execute(rooms.update().where(rooms.c.id == room_id).values(epoch=epoch))

    async def get_room(self, room_id: str) -> dict[str, Any] | None:
        return await self._first(rooms.select().where(rooms.c.id == room_id))

    async def list_rooms(self, *, status: str | None, brand_id: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        # A rehearsal is private (its host's team only): never listed.
        query = rooms.select().where(rooms.c.rehearsal_of.is_(None)).order_by(rooms.c.created_at.desc(), rooms.c.id).limit(limit).offset(offset)
        if status:
            query = query.where(rooms.c.status == status)
        if brand_id:
            query = query.where(rooms.c.brand_id == brand_id)
        return await self._all(query)

    async def open_rooms_of(self, owner: str) -> list[str]:
        """The scheduled and live rooms of a tenant (a brand, or a brandless host)."""
        query = sa.select(rooms.c.id).where(room_tenant == owner, rooms.c.status.in_(["scheduled", "live"])).order_by(rooms.c.id)
        return [r["id"] for r in await self._all(query)]

    async def load_entries(self, room_id: str) -> list[dict[str, Any]]:
        """A room's log as persisted, in seq order (the bodies only)."""
        query = sa.select(entries.c.body).where(entries.c.room_id == room_id).order_by(entries.c.seq)
        return [row["body"] for row in await self._all(query)]

    async def transcript(self, room_id: str, *, after: int, limit: int, types: Sequence[str]) -> list[dict[str, Any]]:
        """Public events after a seq, as viewers saw them; a deleted message has no text."""
        query = (
            sa.select(events.c.seq, events.c.idx, events.c.body, events.c.deleted)
            .where(events.c.room_id == room_id, events.c.seq > after, events.c.type.not_in(list(STAFF_TYPES)))
            .order_by(events.c.seq, events.c.idx)
            .limit(limit)
        )
        if types:
            query = query.where(events.c.type.in_(list(types)))
        out = []
        for row in await self._all(query):
            body = dict(row["body"])
            if row["deleted"]:
                body["message"] = {**body["message"], "text": None, "deleted": True}
            out.append(body)
        return out

    async def event_rows(self, room_id: str) -> list[dict[str, Any]]:
        query = sa.select(events.c.seq, events.c.idx, events.c.body).where(events.c.room_id == room_id).order_by(events.c.seq, events.c.idx)
        return await self._all(query)

    async def events_between(self, room_id: str, *, after: int, start_ts: int | None, end_ts: int | None, types: Sequence[str], limit: int) -> list[dict[str, Any]]:
        """Events (staff ones too) after a seq within a time window; ``_deleted`` marks deleted chat."""
        query = sa.select(events.c.body, events.c.deleted).where(events.c.room_id == room_id, events.c.seq > after).order_by(events.c.seq, events.c.idx).limit(limit)
        if start_ts is not None:
            query = query.where(events.c.ts >= start_ts)
        if end_ts is not None:
            query = query.where(events.c.ts < end_ts)
        if types:
            query = query.where(events.c.type.in_(list(types)))
        return [dict(r["body"]) | {"_deleted": r["deleted"]} for r in await self._all(query)]
