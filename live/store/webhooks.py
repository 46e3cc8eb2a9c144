"""The webhook outbox: messages to the merchant's checkout, and each one's delivery record.

The persister writes a row for every order transition and offer end in the same
transaction as the entry that caused it (so a message exists exactly when its entry is
persisted, once, whatever the retries); the room's lease holder sends due rows and
records each attempt.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from live.store.base import Row, StoreBase, insert_many, insert_or_skip
from live.store.tables import rooms, webhook_outbox


async def write_outbox(conn: AsyncConnection, rows: Sequence[Row]) -> None:
    """Part of the persister's batch: new messages, idempotent by id."""
    await insert_many(conn, insert_or_skip(conn.dialect.name, webhook_outbox), rows)


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

    async def schedule_reminders(self, now: int, leads: Sequence[int]) -> int:
        """A ``room.reminder`` message for every scheduled room starting within a lead time.

        Every node may run this: a reminder's id names its room and lead, so it is written once.
        """
        rows = []
        for lead in leads:
            query = sa.select(rooms.c.id, rooms.c.starts_at).where(rooms.c.status == "scheduled", rooms.c.starts_at > now, rooms.c.starts_at <= now + lead * 1000)
            for room in await self._all(query):
                data = {"room_id": room["id"], "seq": 0, "lead_seconds": lead}
                payload = {"type": "room.reminder", "timestamp": _stamp(now), "data": data}
                rows.append({"id": f"msg_{room['id']}_reminder_{lead}", "room_id": room["id"], "type": "room.reminder", "seq": 0, "payload": payload, "created_at": now, "next_at": 0})
        if rows:
            async with self.engine.begin() as conn:
                await write_outbox(conn, rows)
        return len(rows)


def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")
