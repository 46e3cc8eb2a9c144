"""Alembic environment: run with a connection handed in by ``live.store.Store.migrate``,
or from the command line with ``alembic -x url=...`` (see docs/operations.md)."""

from alembic import context
from sqlalchemy import create_engine

from live.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///./live.db")
    with create_engine(url).begin() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
