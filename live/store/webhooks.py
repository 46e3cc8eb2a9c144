"""The webhook outbox: messages to the merchant's checkout, and each one's delivery record.

The persister writes a row for every order transition and offer end in the same
transaction as the entry that caused it (so a message exists exactly when its entry is
persisted, once, whatever the retries); the room's lease holder sends due rows and
records each attempt.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from live.store.base import Row, StoreBase, insert_ignore
from live.store.tables import webhook_outbox


async def write_outbox(conn: AsyncConnection, rows: Sequence[Row]) -> None:
    """Part of the persister's batch: new messages, idempotent by id."""
    if rows:
        await conn.execute(insert_ignore(conn.dialect.name, webhook_outbox).on_conflict_do_nothing(), list(rows))


class WebhookStore(StoreBase):
    async def webhooks_pending(self, limit: int) -> list[dict[str, Any]]:
        """Undelivered messages, oldest first; a room's in the order its log caused them."""
        query = webhook_outbox.select().where(webhook_outbox.c.delivered_at.is_(None)).order_by(webhook_outbox.c.created_at, webhook_outbox.c.seq, webhook_outbox.c.id).limit(limit)
        return await self._all(query)

    async def webhook_attempt(self, message_id: str, *, delivered_at: int | None, next_at: int, status: int | None, error: str | None) -> None:
        """Count one attempt; ``delivered_at`` set means it went through, else try at ``next_at``."""
        async with self.engine.begin() as conn:
            await conn.execute(
                webhook_outbox.update()
                .where(webhook_outbox.c.id == message_id)
                .values(attempts=webhook_outbox.c.attempts + 1, delivered_at=delivered_at, next_at=next_at, last_status=status, last_error=(error or None) and error[:200])
            )

    async def webhook_log(self, room_id: str, limit: int) -> list[dict[str, Any]]:
        """A room's messages and how their delivery went, newest first."""
        columns = [c for c in webhook_outbox.c if c.name != "payload"]
        query = sa.select(*columns).where(webhook_outbox.c.room_id == room_id).order_by(webhook_outbox.c.seq.desc(), webhook_outbox.c.id).limit(limit)
        return await self._all(query)
