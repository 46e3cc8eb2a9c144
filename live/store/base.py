"""The engine every concern of the store shares, and the dialect helpers they all need.

SQLite by default, PostgreSQL by URL, the same tables on both. What differs between
the two dialects (the ``INSERT … ON CONFLICT`` construct, ``max`` or ``greatest``) is
decided here, once, so the concern modules read the same on both.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import ColumnElement

from live.store.tables import is_current, migrate_connection

Row = dict[str, Any]  # one row as the callers see it: column name -> value


class RawJSON:
    """A JSON column's value already serialized (the transcript row of an event the fan-out
    encoded): written as it is, not parsed and serialized again."""

    __slots__ = ("text",)

    def __init__(self, data: bytes) -> None:
        self.text = data.decode()


def _to_json(value: Any) -> str:
    """Every JSON column's serializer: orjson (the stdlib's is slow), RawJSON as it is."""
    return value.text if isinstance(value, RawJSON) else orjson.dumps(value).decode()


Insert = postgresql.Insert | sqlite.Insert  # both have on_conflict_do_nothing/do_update


def insert_ignore(dialect: str, table: sa.Table) -> Insert:
    """The dialect's INSERT, which has ON CONFLICT (both SQLite and PostgreSQL do)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@cache
def insert_or_skip(dialect: str, table: sa.Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``table``, built once per dialect (``insert_many``)."""
    return insert_ignore(dialect, table).on_conflict_do_nothing()


def greatest(dialect: str) -> Callable[..., ColumnElement[Any]]:
    """The SQL function giving the larger of its arguments (SQLite's two-argument ``max``)."""
    return sa.func.greatest if dialect == "postgresql" else sa.func.max


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    values: Callable[[Row], Sequence[Any]]  # a row's values, in the statement's parameter order
    json_at: tuple[int, ...]  # where those are JSON columns: serialized here, as the engine would


_compiled: dict[tuple[Insert, str, tuple[str, ...]], _Compiled] = {}


def _compile(stmt: Insert, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    cache_key = (stmt, dialect.name, keys)
    if (done := _compiled.get(cache_key)) is None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
        order = list(compiled.positiontup or ())
        json = {c.name for c in stmt.table.c if isinstance(c.type, sa.JSON)}
        values = itemgetter(*order) if len(order) > 1 else lambda row: tuple(row[k] for k in order)
        done = _compiled[cache_key] = _Compiled(compiled.string, values, tuple(i for i, k in enumerate(order) if k in json))
    return done


async def insert_many(conn: AsyncConnection, stmt: Insert, rows: Sequence[Row]) -> None:
    """Many rows in one INSERT, as the driver's own executemany: the statement compiled once
    (per dialect and set of columns), each row a tuple.

    SQLAlchemy's executemany builds every row's parameters in Python on the event loop;
    the persister writes each chat post's entry, event and member rows, and this is
    2–4 µs a row cheaper (``docs/benchmarks.md``). ``stmt`` must live as long as the
    process (the ``@cache``d statements): it keys the compiled form. Every row has the
    first one's keys.
    """
    if not rows:
        return
    compiled = _compile(stmt, conn.dialect, tuple(rows[0]))
    values, json_at = compiled.values, compiled.json_at
    params = [_serialize(values(row), json_at) for row in rows] if json_at else [values(row) for row in rows]
    await conn.exec_driver_sql(compiled.sql, params)


def _serialize(values: Sequence[Any], json_at: tuple[int, ...]) -> tuple[Any, ...]:
    out = list(values)
    for i in json_at:
        out[i] = _to_json(out[i])
    return tuple(out)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL with synchronous=NORMAL: a commit is one append to the log file, not a journal
    file created, synced and deleted (~10 % of a small-rooms node's CPU). A process crash
    loses nothing committed; an OS crash or power cut may lose the last commits, which
    the room log (Redis) still holds in production. Readers no longer wait for writers."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class StoreBase:
    """One engine and the read helpers; each concern of ``Store`` is a subclass of this."""

    def __init__(self, url: str) -> None:
        # SQLite: several processes may share a file (tests, a laptop cluster); wait for the lock.
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: AsyncEngine = create_async_engine(url, connect_args=connect_args, json_serializer=_to_json)
        self._dialect = self.engine.dialect.name
        if self._dialect == "sqlite":
            sa.event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    async def migrate(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(migrate_connection)

    async def ready(self) -> bool:
        """The database answers and its schema is the newest (raises if it does not answer)."""
        async with self.engine.connect() as conn:
            return bool(await conn.run_sync(is_current))

    async def close(self) -> None:
        await self.engine.dispose()

    def _insert_ignore(self, table: sa.Table) -> Insert:
        return insert_ignore(self._dialect, table)

    async def _all(self, query: sa.Executable) -> list[Row]:
        """Every row of a read, as dicts."""
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def _first(self, query: sa.Executable) -> Row | None:
        """The first row of a read, or None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return dict(row) if row else None

    async def _scalar(self, query: sa.Executable) -> Any:
        """The one value a read returns (a count)."""
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).scalar_one()
