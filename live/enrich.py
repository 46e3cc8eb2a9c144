"""What the fold cannot look up, filled in before a command enters the log.

The fold does no I/O, so the server puts into each command what it needs from SQL:
the catalog product a pin, an offer or an auction names, and the brand badges a user
earned across sessions (on their actor); and it reads a chat line's claim or bid
("keep 2") into its command (``rooms.comments``). Every adapter calls these, so the log holds all a
re-fold needs.
"""

import dataclasses
import time

from live.errors import NotFound
from live.store import Store
from live.wire.client import CatalogRequest, PinProduct, StartAuction
from rooms import commands as c
from rooms.comments import parse
from rooms.state import RoomState
from rooms.types import Millis


async def catalog_command(store: Store, state: RoomState, request: CatalogRequest) -> c.Command:
    """Turn a client's pin or offer request into the command the log records, product included."""
    owner = state.brand_id or state.host_id or ""
    row = await store.get_product(owner, request.product_id)
    if row is None:
        raise NotFound(f"no product {request.product_id!r} in this room's catalog")
    product = c.Product(
        id=row["id"], sku=row["sku"], title=row["title"], price=row["price"], currency=row["currency"], description=row["description"], image_url=row["image_url"]
    )
    if isinstance(request, PinProduct):
        return c.ProductPin(product=product, highlight=request.highlight)
    starts = Millis(int(time.time() * 1000) + request.starts_in_seconds * 1000) if request.starts_in_seconds > 0 else None
    if isinstance(request, StartAuction):
        return c.AuctionStart(
            product=product,
            start_price=request.start_price if request.start_price is not None else product.price,
            increment=request.increment,
            duration_seconds=request.duration_seconds,
            extend_seconds=request.extend_seconds,
            sudden_death=request.sudden_death,
            starts_at=starts,
            early_access_seconds=request.early_access_seconds,
            members_only=request.members_only,
        )
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


def with_intent(state: RoomState, post: c.ChatPost) -> c.ChatPost:
    """The post with the claim or bid its text asks for ("keep 2", "bid 150rb"), read with the
    room's words; whatever intent the client sent is replaced. The fold decides on it."""
    intent = parse(post.text, state.claim_words, state.bid_words) if state.comment_claims else None
    return post if intent == post.intent else dataclasses.replace(post, intent=intent)


async def with_badges(store: Store, state: RoomState, actor: c.Actor) -> c.Actor:
    """The actor with the badges they earned across this room's brand's sessions."""
    if not state.brand_id:
        return actor
    return dataclasses.replace(actor, badges=await store.brand_badges(state.brand_id, actor.user_id))
