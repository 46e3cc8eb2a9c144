"""SQL storage (SQLAlchemy 2 async): the rooms registry, the persisted log and transcript.

SQLite by default, PostgreSQL by URL; the same tables, created by Alembic
migrations (live/migrations). Writes are idempotent by ``(room, seq)`` so a batch
written twice (a retry, or a second persister after a takeover) changes nothing.
"""

import asyncio
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rooms.events import STAFF_TYPES

metadata = sa.MetaData()

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("host_id", sa.String(128), nullable=False),
    sa.Column("brand_id", sa.String(128), index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("starts_at", sa.BigInteger),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("went_live_at", sa.BigInteger),
    sa.Column("ended_at", sa.BigInteger),
    sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("persisted_seq", sa.BigInteger, nullable=False, server_default="0"),
)

# The log itself, entry by entry: enough to re-fold a room from scratch.
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
)

# Public events, as viewers saw them: the transcript.
events = sa.Table(
    "events",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("idx", sa.SmallInteger, primary_key=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
)


products = sa.Table(
    "products",
    metadata,
    sa.Column("owner", sa.String(128), primary_key=True),  # the brand (or host) whose catalog it is
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("image_url", sa.String(500)),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("stock", sa.Integer, nullable=False, server_default="0"),
)

# One row per reservation, updated as it becomes paid, cancelled or expired.
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("reservation_id", sa.BigInteger, primary_key=True),
    sa.Column("offer_id", sa.BigInteger, nullable=False),
    sa.Column("product_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("units", sa.Integer, nullable=False),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("affiliate_id", sa.String(128)),
    sa.Column("idempotency_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reserved_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("updated_seq", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("webhook_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("webhook_delivered_at", sa.BigInteger),
    sa.Column("webhook_next_at", sa.BigInteger, nullable=False, server_default="0"),
)


# A member's points and badges in one room: written as totals (idempotent), summed per brand.
room_members = sa.Table(
    "room_members",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("badges", sa.JSON, nullable=False),
)

# Edge signals for analytics, sampled by the room's lease holder (viewers, reactions).
room_samples = sa.Table(
    "room_samples",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("ts", sa.BigInteger, primary_key=True),
    sa.Column("viewers", sa.Integer, nullable=False),
    sa.Column("reactions", sa.Integer, nullable=False),
)

# Every signed-in user who joined a room, once.
room_viewers = sa.Table(
    "room_viewers",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("first_seen", sa.BigInteger, nullable=False),
)

REGULAR_SESSIONS = 3
LOOP_FRIENDLY_ROWS = 200  # rows per statement where a batch may be large  # sessions of a brand with points in each, for the "regular" badge


def _migrate(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Nodes starting together must not run the same migration twice.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(7253001)"))
    cfg = Config()
    cfg.set_main_option("script_location", "live:migrations")
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


class Store:
    def __init__(self, url: str) -> None:
        # SQLite: several processes may share a file (tests, a laptop cluster); wait for the lock.
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: AsyncEngine = create_async_engine(url, connect_args=connect_args)
        self._dialect = self.engine.dialect.name
        self._upsert: Any = None

    async def migrate(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_migrate)

    async def close(self) -> None:
        await self.engine.dispose()

    def _insert_ignore(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which has ON CONFLICT (both SQLite and PostgreSQL do)."""
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)

    def _room_upsert(self) -> Any:
        """One statement for every room row of a batch (executemany), built once."""
        if self._upsert is None:
            stmt = self._insert_ignore(rooms)
            keep = ("id", "created_at", "persisted_seq")
            updates = {c.name: stmt.excluded[c.name] for c in rooms.c if c.name not in keep}
            biggest = sa.func.max if self._dialect == "sqlite" else sa.func.greatest
            updates["persisted_seq"] = biggest(rooms.c.persisted_seq, stmt.excluded.persisted_seq)
            self._upsert = stmt.on_conflict_do_update(index_elements=["id"], set_=updates)
        return self._upsert

    async def write_batch(
        self,
        room_rows: Sequence[dict[str, Any]],
        entry_rows: Sequence[dict[str, Any]],
        event_rows: Sequence[dict[str, Any]],
        deletions: Sequence[tuple[str, int]],
        new_orders: Sequence[dict[str, Any]] = (),
        order_changes: Sequence[dict[str, Any]] = (),
        members: Sequence[dict[str, Any]] = (),
    ) -> None:
        """One transaction: rooms, entries, events, deletions, orders and their changes.

        Every part is idempotent: a batch written twice leaves the same rows.
        """
        async with self.engine.begin() as conn:
            if room_rows:
                await conn.execute(self._room_upsert(), list(room_rows))
            if entry_rows:
                await conn.execute(self._insert_ignore(entries).on_conflict_do_nothing(), list(entry_rows))
            if event_rows:
                await conn.execute(self._insert_ignore(events).on_conflict_do_nothing(), list(event_rows))
            if new_orders:
                await conn.execute(self._insert_ignore(orders).on_conflict_do_nothing(), list(new_orders))
            for change in order_changes:  # in seq order; an older change never overwrites a newer one
                await conn.execute(
                    orders.update()
                    .where(orders.c.room_id == change["room_id"], orders.c.reservation_id == change["reservation_id"], orders.c.updated_seq < change["seq"])
                    .values(status=change["status"], updated_seq=change["seq"], updated_at=change["ts"])
                )
            if members:
                stmt = self._insert_ignore(room_members)
                update = {k: stmt.excluded[k] for k in ("name", "points", "badges")}
                await conn.execute(stmt.on_conflict_do_update(index_elements=["room_id", "user_id"], set_=update), list(members))
            for room_id, message_id in deletions:
                await conn.execute(
                    events.update()
                    .where(events.c.room_id == room_id, events.c.seq == message_id, events.c.type == "chat.message")
                    .values(deleted=True)
                )

    async def get_room(self, room_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(rooms.select().where(rooms.c.id == room_id))).mappings().first()
        return dict(row) if row else None

    async def list_rooms(self, *, status: str | None, brand_id: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        query = rooms.select().order_by(rooms.c.created_at.desc(), rooms.c.id).limit(limit).offset(offset)
        if status:
            query = query.where(rooms.c.status == status)
        if brand_id:
            query = query.where(rooms.c.brand_id == brand_id)
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def transcript(self, room_id: str, *, after: int, limit: int, types: Sequence[str]) -> list[dict[str, Any]]:
        query = (
            sa.select(events.c.seq, events.c.idx, events.c.body, events.c.deleted)
            .where(events.c.room_id == room_id, events.c.seq > after, events.c.type.not_in(list(STAFF_TYPES)))
            .order_by(events.c.seq, events.c.idx)
            .limit(limit)
        )
        if types:
            query = query.where(events.c.type.in_(list(types)))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        out = []
        for row in rows:
            body = dict(row.body)
            if row.deleted:
                body["message"] = {**body["message"], "text": None, "deleted": True}
            out.append(body)
        return out

    async def event_rows(self, room_id: str) -> list[dict[str, Any]]:
        query = sa.select(events.c.seq, events.c.idx, events.c.body).where(events.c.room_id == room_id).order_by(events.c.seq, events.c.idx)
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def load_entries(self, room_id: str) -> list[dict[str, Any]]:
        query = sa.select(entries.c.body).where(entries.c.room_id == room_id).order_by(entries.c.seq)
        async with self.engine.connect() as conn:
            return [row.body for row in (await conn.execute(query)).all()]

    # --- catalog and orders ---------------------------------------------------------

    async def upsert_products(self, owner: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        stmt = self._insert_ignore(products)
        keep = ("owner", "id")
        stmt = stmt.on_conflict_do_update(index_elements=["owner", "id"], set_={c.name: stmt.excluded[c.name] for c in products.c if c.name not in keep})
        async with self.engine.begin() as conn:
            await conn.execute(stmt, [{"owner": owner, **row} for row in rows])

    async def list_products(self, owner: str) -> list[dict[str, Any]]:
        query = products.select().where(products.c.owner == owner).order_by(products.c.id)
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def get_product(self, owner: str, product_id: str) -> dict[str, Any] | None:
        query = products.select().where(products.c.owner == owner, products.c.id == product_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return dict(row) if row else None

    async def list_orders(self, room_id: str) -> list[dict[str, Any]]:
        query = orders.select().where(orders.c.room_id == room_id).order_by(orders.c.reservation_id)
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def webhooks_due(self, now: int, limit: int) -> list[dict[str, Any]]:
        """Reservations whose webhook has not been delivered and whose next try is due."""
        query = (
            orders.select()
            .where(orders.c.webhook_delivered_at.is_(None), orders.c.status == "reserved", orders.c.webhook_next_at <= now)
            .order_by(orders.c.webhook_next_at)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def webhook_result(self, room_id: str, reservation_id: int, *, delivered_at: int | None, next_at: int) -> None:
        key = (orders.c.room_id == room_id, orders.c.reservation_id == reservation_id)
        async with self.engine.begin() as conn:
            await conn.execute(
                orders.update().where(*key).values(webhook_attempts=orders.c.webhook_attempts + 1, webhook_delivered_at=delivered_at, webhook_next_at=next_at)
            )

    # --- points and badges ------------------------------------------------------------

    async def brand_badges(self, brand_id: str, user_id: str) -> tuple[str, ...]:
        """Badges a user has earned across a brand's sessions."""
        query = (
            sa.select(sa.func.count())
            .select_from(room_members.join(rooms, rooms.c.id == room_members.c.room_id))
            .where(rooms.c.brand_id == brand_id, room_members.c.user_id == user_id, room_members.c.points > 0)
        )
        async with self.engine.connect() as conn:
            sessions = (await conn.execute(query)).scalar_one()
        return ("regular",) if sessions >= REGULAR_SESSIONS else ()

    async def brand_leaderboard(self, brand_id: str, limit: int) -> list[dict[str, Any]]:
        points = sa.func.sum(room_members.c.points).label("points")
        query = (
            sa.select(room_members.c.user_id, sa.func.max(room_members.c.name).label("name"), points, sa.func.count().label("sessions"))
            .select_from(room_members.join(rooms, rooms.c.id == room_members.c.room_id))
            .where(rooms.c.brand_id == brand_id)
            .group_by(room_members.c.user_id)
            .order_by(points.desc(), room_members.c.user_id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = [dict(r) for r in (await conn.execute(query)).mappings()]
        for row in rows:
            row["badges"] = ["regular"] if row["sessions"] >= REGULAR_SESSIONS else []
        return rows

    async def room_leaderboard(self, room_id: str, limit: int) -> list[dict[str, Any]]:
        query = (
            sa.select(room_members.c.user_id, room_members.c.name, room_members.c.points, room_members.c.badges)
            .where(room_members.c.room_id == room_id)
            .order_by(room_members.c.points.desc(), room_members.c.user_id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    # --- session stats -----------------------------------------------------------------

    async def add_samples(self, samples: Sequence[dict[str, Any]], viewers: Sequence[dict[str, Any]]) -> None:
        """Record samples and joins. SQLAlchemy prepares the rows on the event loop, so a
        big batch (5,000 viewers who just joined) goes in chunks, letting the fan-out run between."""
        async with self.engine.begin() as conn:
            if samples:
                await conn.execute(self._insert_ignore(room_samples).on_conflict_do_nothing(), list(samples))
            for start in range(0, len(viewers), LOOP_FRIENDLY_ROWS):
                await conn.execute(self._insert_ignore(room_viewers).on_conflict_do_nothing(), list(viewers[start : start + LOOP_FRIENDLY_ROWS]))
                await asyncio.sleep(0)

    async def session_stats(self, room_id: str) -> tuple[list[tuple[int, int, int]], int]:
        samples = sa.select(room_samples.c.ts, room_samples.c.viewers, room_samples.c.reactions).where(room_samples.c.room_id == room_id).order_by(room_samples.c.ts)
        unique = sa.select(sa.func.count()).select_from(room_viewers).where(room_viewers.c.room_id == room_id)
        async with self.engine.connect() as conn:
            points = [(r.ts, r.viewers, r.reactions) for r in (await conn.execute(samples)).all()]
            return points, (await conn.execute(unique)).scalar_one()

    async def events_between(self, room_id: str, *, after: int, start_ts: int | None, end_ts: int | None, types: Sequence[str], limit: int) -> list[dict[str, Any]]:
        query = sa.select(events.c.body, events.c.deleted).where(events.c.room_id == room_id, events.c.seq > after).order_by(events.c.seq, events.c.idx).limit(limit)
        if start_ts is not None:
            query = query.where(events.c.ts >= start_ts)
        if end_ts is not None:
            query = query.where(events.c.ts < end_ts)
        if types:
            query = query.where(events.c.type.in_(list(types)))
        async with self.engine.connect() as conn:
            return [dict(r.body) | {"_deleted": r.deleted} for r in (await conn.execute(query)).all()]

    async def brand_rooms(self, brand_id: str) -> list[dict[str, Any]]:
        query = rooms.select().where(rooms.c.brand_id == brand_id).order_by(rooms.c.created_at)
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def erase_user(self, brand_id: str, user_id: str, alias: str, erased: str) -> int:
        """Replace a user's id, name and text in every persisted row of the brand's rooms.

        Entries are rewritten the same way as events, so re-folding an erased session
        still gives the same counts (the text becomes ``erased``, never empty).
        """
        room_ids = [r["id"] for r in await self.brand_rooms(brand_id)]
        if not room_ids:
            return 0
        changed = 0
        async with self.engine.begin() as conn:
            for table, key in ((events, ("room_id", "seq", "idx")), (entries, ("room_id", "seq"))):
                cols = [table.c[k] for k in key]
                for row in (await conn.execute(sa.select(*cols, table.c.body).where(table.c.room_id.in_(room_ids)))).all():
                    body = scrub(row.body, user_id, alias, erased)
                    if body != row.body:
                        changed += 1
                        await conn.execute(table.update().where(*(table.c[k] == getattr(row, k) for k in key)).values(body=body))
            for table in (orders, room_viewers):
                result = await conn.execute(table.update().where(table.c.room_id.in_(room_ids), table.c.user_id == user_id).values(user_id=alias))
                changed += result.rowcount
            result = await conn.execute(
                room_members.update().where(room_members.c.room_id.in_(room_ids), room_members.c.user_id == user_id).values(user_id=alias, name="erased")
            )
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
