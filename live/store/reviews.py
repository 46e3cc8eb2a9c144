"""Reviews of a brand's products: one per paid order, the helpful marks, the summaries.

A review belongs to the catalog's owner and product, not to the room its order came
from (the room is kept to count reviews in a session's analytics). Only ``published``
reviews are ever shown; ``held`` ones wait for the brand, ``hidden`` ones stay hidden.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from live.store.base import StoreBase
from live.store.tables import review_helpful, reviews

PUBLISHED = "published"
SORTS = {"newest": (reviews.c.created_at.desc(), reviews.c.id.desc()), "helpful": (reviews.c.helpful.desc(), reviews.c.created_at.desc(), reviews.c.id.desc())}


class ReviewStore(StoreBase):
    async def add_review(self, row: dict[str, Any]) -> int | None:
        """The new review's id; None if its order has one already."""
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(reviews.insert().values(**row))
        except IntegrityError:
            return None
        key = result.inserted_primary_key
        return int(key[0]) if key else None

    async def get_review(self, review_id: int) -> dict[str, Any] | None:
        return await self._first(reviews.select().where(reviews.c.id == review_id))

    async def review_of_order(self, room_id: str, reservation_id: int) -> dict[str, Any] | None:
        return await self._first(reviews.select().where(reviews.c.room_id == room_id, reviews.c.reservation_id == reservation_id))

    async def reviewed(self, room_id: str, reservation_ids: list[int]) -> set[int]:
        """Which of these orders of the room have a review (whatever its status)."""
        if not reservation_ids:
            return set()
        query = sa.select(reviews.c.reservation_id).where(reviews.c.room_id == room_id, reviews.c.reservation_id.in_(reservation_ids))
        return {int(row["reservation_id"]) for row in await self._all(query)}

    async def list_reviews(self, owner: str, product_id: str, *, sort: str, limit: int, offset: int, status: str = PUBLISHED) -> list[dict[str, Any]]:
        query = reviews.select().where(reviews.c.owner == owner, reviews.c.product_id == product_id, reviews.c.status == status)
        return await self._all(query.order_by(*SORTS[sort]).limit(limit).offset(offset))

    async def reviews_by_status(self, owner: str, status: str, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """An owner's reviews in one status: held ones oldest first (a queue), the others newest first."""
        order = (reviews.c.created_at, reviews.c.id) if status == "held" else (reviews.c.created_at.desc(), reviews.c.id.desc())
        query = reviews.select().where(reviews.c.owner == owner, reviews.c.status == status).order_by(*order).limit(limit).offset(offset)
        return await self._all(query)

    async def review_stars(self, owner: str, product_id: str) -> list[int]:
        """How many published reviews gave 1, 2, 3, 4 and 5 stars."""
        query = sa.select(reviews.c.stars, sa.func.count()).where(reviews.c.owner == owner, reviews.c.product_id == product_id, reviews.c.status == PUBLISHED).group_by(reviews.c.stars)
        counts = [0] * 5
        async with self.engine.connect() as conn:
            for stars, n in await conn.execute(query):
                counts[int(stars) - 1] = int(n)
        return counts

    async def mark_helpful(self, review_id: int, user_id: str, now: int) -> bool:
        """Count a user's mark once; False if they had marked it already."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(review_helpful.insert().values(review_id=review_id, user_id=user_id, created_at=now))
                await conn.execute(reviews.update().where(reviews.c.id == review_id).values(helpful=reviews.c.helpful + 1))
        except IntegrityError:
            return False
        return True

    async def set_review_status(self, review_id: int, status: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(reviews.update().where(reviews.c.id == review_id).values(status=status))

    async def room_reviews(self, room_id: str) -> dict[str, Any]:
        """Reviews of a session's orders (every status), for its analytics."""
        query = sa.select(reviews.c.status, sa.func.count(), sa.func.avg(reviews.c.stars)).where(reviews.c.room_id == room_id).group_by(reviews.c.status)
        out: dict[str, Any] = {"count": 0, "published": 0, "held": 0, "hidden": 0, "average": 0.0}
        total = 0.0
        async with self.engine.connect() as conn:
            for status, n, avg in await conn.execute(query):
                out[status] = int(n)
                out["count"] += int(n)
                total += float(avg or 0) * int(n)
        out["average"] = round(total / out["count"], 2) if out["count"] else 0.0
        return out
