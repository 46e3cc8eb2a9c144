"""The catalog: each brand's (or host's) products, upserted by the brand and read when a
host pins a product or opens an offer. Nothing here reads or writes a room."""

from collections.abc import Sequence
from typing import Any

from live.store.base import StoreBase
from live.store.tables import products


class CatalogStore(StoreBase):
    async def upsert_products(self, owner: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or replace each product of ``owner``'s catalog, by id."""
        if not rows:
            return
        stmt = self._insert_ignore(products)
        keep = ("owner", "id")
        stmt = stmt.on_conflict_do_update(index_elements=["owner", "id"], set_={c.name: stmt.excluded[c.name] for c in products.c if c.name not in keep})
        async with self.engine.begin() as conn:
            await conn.execute(stmt, [{"owner": owner, **row} for row in rows])

    async def list_products(self, owner: str) -> list[dict[str, Any]]:
        return await self._all(products.select().where(products.c.owner == owner).order_by(products.c.id))

    async def get_product(self, owner: str, product_id: str) -> dict[str, Any] | None:
        return await self._first(products.select().where(products.c.owner == owner, products.c.id == product_id))
