"""Orders: one row per reservation, written from the log by the persister, then updated
as it becomes paid, cancelled or expired. (Messages to the merchant: ``webhooks``.)"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from live.store.base import Row, StoreBase, insert_ignore
from live.store.tables import orders


async def write_orders(conn: AsyncConnection, new_orders: Sequence[Row], changes: Sequence[Row]) -> None:
    """Part of the persister's batch: new reservations (idempotent), then status changes.

    Changes are applied in seq order and only over an older one, so a retried or
    reordered batch never puts an order back to an earlier status.
    """
    if new_orders:
        await conn.execute(insert_ignore(conn.dialect.name, orders).on_conflict_do_nothing(), list(new_orders))
    for change in changes:
        key = (orders.c.room_id == change["room_id"], orders.c.reservation_id == change["reservation_id"])
        await conn.execute(orders.update().where(*key, orders.c.updated_seq < change["seq"]).values(status=change["status"], updated_seq=change["seq"], updated_at=change["ts"]))


class OrderStore(StoreBase):
    async def list_orders(self, room_id: str) -> list[dict[str, Any]]:
        return await self._all(orders.select().where(orders.c.room_id == room_id).order_by(orders.c.reservation_id))
