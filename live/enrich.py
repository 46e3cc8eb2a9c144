"""What the fold cannot look up, filled in before a command enters the log.

The fold does no I/O, so the server puts into each command what it needs from SQL:
the catalog product a pin or an offer names, and the brand badges a user earned
across sessions (on their actor). Every adapter calls these, so the log holds all a
re-fold needs.
"""

import dataclasses
import time

from live import reviews
from live.errors import NotFound
from live.store import Store
from live.wire.client import CatalogRequest, PinProduct, SpotlightReview
from rooms import commands as c
from rooms import shop_commands as sc
from rooms.state import RoomState
from rooms.types import Millis


async def catalog_command(store: Store, state: RoomState, request: CatalogRequest, secret: str = "") -> c.Command:
    """Turn a client's pin or offer request into the command the log records, product included
    (a pin with the product's review summary; ``secret`` keys the authors' pseudonyms)."""
    owner = state.brand_id or state.host_id or ""
    row = await store.get_product(owner, request.product_id)
    if row is None:
        raise NotFound(f"no product {request.product_id!r} in this room's catalog")
    product = c.Product(
        id=row["id"], sku=row["sku"], title=row["title"], price=row["price"], currency=row["currency"], description=row["description"], image_url=row["image_url"]
    )
    if isinstance(request, PinProduct):
        return c.ProductPin(product=product, highlight=request.highlight, reviews=await reviews.summary(store, secret, owner, product.id))
    starts = Millis(int(time.time() * 1000) + request.starts_in_seconds * 1000) if request.starts_in_seconds > 0 else None
    return c.OfferCreate(
        product=product,
        price=request.price if request.price is not None else product.price,
        units=request.units,
        per_buyer_limit=request.per_buyer_limit,
        starts_at=starts,
        duration_seconds=request.duration_seconds,
        early_access_seconds=request.early_access_seconds,
        members_only=request.members_only,
    )


async def spotlight_command(store: Store, state: RoomState, request: SpotlightReview, secret: str) -> sc.ReviewSpotlight:
    """The review the host puts on screen, read from SQL: one of this room's brand's, published."""
    row = await store.get_review(request.review_id)
    if row is None or row["owner"] != (state.brand_id or state.host_id) or row["status"] != "published":
        raise NotFound(f"no published review {request.review_id} of this brand")
    return sc.ReviewSpotlight(review=reviews.view(secret, row))


async def with_badges(store: Store, state: RoomState, actor: c.Actor) -> c.Actor:
    """The actor with the badges they earned across this room's brand's sessions."""
    if not state.brand_id:
        return actor
    return dataclasses.replace(actor, badges=await store.brand_badges(state.brand_id, actor.user_id))
