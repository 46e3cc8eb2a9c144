"""Alembic environment. A node runs it at start with its own connection
(``live.store.Store.migrate``); by hand: ``alembic -x url=<async URL> upgrade head``."""

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from live.store import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_url(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_url(context.get_x_argument(as_dictionary=True).get("url", "sqlite+aiosqlite:///./live.db")))
