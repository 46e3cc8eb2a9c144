"""Orders: one row per reservation, written from the log by the persister, then updated
as it becomes paid, cancelled or expired, and when its checkout link is known.
(Messages to the merchant: ``webhooks``.)"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from live.store.base import Row, StoreBase, insert_many, insert_or_skip
from live.store.tables import orders, products, room_tenant, rooms

MY_ORDERS_LIMIT = 200


async def write_orders(conn: AsyncConnection, new_orders: Sequence[Row], changes: Sequence[Row], links: Sequence[Row] = ()) -> None:
    """Part of the persister's batch: new reservations (idempotent), status changes, checkout links.

    Changes are applied in seq order and only over an older one, so a retried or
    reordered batch never puts an order back to an earlier status. A link is the latest
    one the log gave (rewriting it is harmless).
    """
    await insert_many(conn, insert_or_skip(conn.dialect.name, orders), new_orders)
    for change in changes:
        key = (orders.c.room_id == change["room_id"], orders.c.reservation_id == change["reservation_id"])
        await conn.execute(orders.update().where(*key, orders.c.updated_seq < change["seq"]).values(status=change["status"], updated_seq=change["seq"], updated_at=change["ts"]))
    for link in links:
        key = (orders.c.room_id == link["room_id"], orders.c.reservation_id == link["reservation_id"])
        await conn.execute(orders.update().where(*key).values(checkout_url=link["checkout_url"]))


class OrderStore(StoreBase):
    async def list_orders(self, room_id: str) -> list[dict[str, Any]]:
        return await self._all(orders.select().where(orders.c.room_id == room_id).order_by(orders.c.reservation_id))

    async def get_order(self, room_id: str, reservation_id: int) -> dict[str, Any] | None:
        """One order with its room's tenant (``owner``: the brand, or a brandless host)."""
        query = sa.select(orders, room_tenant.label("owner")).join(rooms, rooms.c.id == orders.c.room_id).where(orders.c.room_id == room_id, orders.c.reservation_id == reservation_id)
        return await self._first(query)

    async def my_orders(self, user_id: str, room_id: str | None) -> list[dict[str, Any]]:
        """A buyer's orders, newest first, with the product's title and image from its catalog."""
        query = (
            sa.select(
                orders.c.room_id,
                orders.c.reservation_id,
                orders.c.offer_id,
                orders.c.product_id,
                products.c.title,
                products.c.image_url,
                orders.c.units,
                orders.c.price,
                orders.c.currency,
                orders.c.status,
                orders.c.reserved_at,
                orders.c.expires_at,
                orders.c.updated_at,
                orders.c.checkout_url,
                rooms.c.brand_id,
            )
            .join(rooms, rooms.c.id == orders.c.room_id)
            .outerjoin(products, sa.and_(products.c.owner == room_tenant, products.c.id == orders.c.product_id))
            .where(orders.c.user_id == user_id)
            .order_by(orders.c.reserved_at.desc(), orders.c.room_id, orders.c.reservation_id.desc())
            .limit(MY_ORDERS_LIMIT)
        )
        if room_id is not None:
            query = query.where(orders.c.room_id == room_id)
        return await self._all(query)
