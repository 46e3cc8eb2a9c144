"""SQL storage (SQLAlchemy 2 async): the rooms registry, the persisted log and transcript.

SQLite by default, PostgreSQL by URL; the same tables, created by Alembic
migrations (live/migrations). Writes are idempotent by ``(room, seq)`` so a batch
written twice (a retry, or a second persister after a takeover) changes nothing.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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
    ) -> None:
        """One transaction: room registry upserts, then entries and events, then deletions."""
        async with self.engine.begin() as conn:
            if room_rows:
                await conn.execute(self._room_upsert(), list(room_rows))
            if entry_rows:
                await conn.execute(self._insert_ignore(entries).on_conflict_do_nothing(), list(entry_rows))
            if event_rows:
                await conn.execute(self._insert_ignore(events).on_conflict_do_nothing(), list(event_rows))
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
            .where(events.c.room_id == room_id, events.c.seq > after)
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

    async def load_entries(self, room_id: str) -> list[dict[str, Any]]:
        query = sa.select(entries.c.body).where(entries.c.room_id == room_id).order_by(entries.c.seq)
        async with self.engine.connect() as conn:
            return [row.body for row in (await conn.execute(query)).all()]
