"""What the fold cannot look up, filled in before a command enters the log.

The fold does no I/O, so the server puts into each command what it needs from SQL:
the catalog product a pin, an offer or an auction names, the brand badges a user earned
across sessions and whether they accepted the brand's rules (on their actor), whether the
brand made them a moderator of all its rooms (their actor's role), automatic moderation's
verdict on a chat post, and the claim or bid a chat line asks for ("keep 2",
``rooms.comments``). Every adapter calls these, so the log holds all a
re-fold needs.
"""

import dataclasses
import hashlib
import logging
import time

from live import reviews, tenants
from live.automod import edge as automod
from live.errors import NotFound
from live.room.runtime import RoomRuntime
from live.store import Store
from live.wire.client import CatalogRequest, PinProduct, PostChat, SpotlightReview, StartAuction
from rooms import commands as c
from rooms import shop_commands as sc
from rooms.fold import RULES
from rooms.moderation import APPOINTABLE
from rooms.roles import Role
from rooms.state import RoomState
from rooms.types import Millis

logger = logging.getLogger("live.enrich")


async def catalog_command(store: Store, state: RoomState, request: CatalogRequest, secret: str = "") -> c.Command:
    """Turn a client's pin or offer request into the command the log records, product included
    (a pin with the product's review summary; ``secret`` keys the authors' pseudonyms)."""
    owner = tenants.of_room(state.brand_id, state.host_id) or ""
    row = await store.get_product(owner, request.product_id)
    if row is None:
        raise NotFound(f"no product {request.product_id!r} in this room's catalog")
    product = c.Product(id=row["id"], sku=row["sku"], title=row["title"], price=row["price"], currency=row["currency"], description=row["description"], image_url=row["image_url"])
    if isinstance(request, PinProduct):
        return c.ProductPin(product=product, highlight=request.highlight, reviews=await reviews.summary(store, secret, owner, product.id))
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


async def spotlight_command(store: Store, state: RoomState, request: SpotlightReview, secret: str) -> sc.ReviewSpotlight:
    """The review the host puts on screen, read from SQL: one of this room's brand's, published."""
    row = await store.get_review(request.review_id)
    if row is None or row["owner"] != tenants.of_room(state.brand_id, state.host_id) or row["status"] != "published":
        raise NotFound(f"no published review {request.review_id} of this brand")
    return sc.ReviewSpotlight(review=reviews.view(secret, row))


async def with_badges(store: Store, state: RoomState, actor: c.Actor) -> c.Actor:
    """The actor with the badges they earned across this room's brand's sessions."""
    if not state.brand_id:
        return actor
    return dataclasses.replace(actor, badges=await store.brand_badges(state.brand_id, actor.user_id))


def rules_version(rules: c.Rules) -> str:
    """Which words of the rules were accepted: new words are accepted anew."""
    return hashlib.sha256(rules.text.encode()).hexdigest()[:16]


async def with_rules_accepted(store: Store, state: RoomState, actor: c.Actor) -> c.Actor:
    """At join: whether the viewer accepted these rules of the brand before (only asked where rules need it)."""
    rules = state.rules
    if not state.brand_id or rules is None or not rules.require_acceptance or actor.role not in APPOINTABLE:
        return actor
    return dataclasses.replace(actor, rules_accepted=await store.accepted_rules(state.brand_id, actor.user_id, rules_version(rules)))


class BrandModerators:
    """Who moderates a brand's rooms, as SQL says; the join's staff view may be a few seconds
    stale (``JOIN_TTL_SECONDS``), powers never are: a command that needs them asks SQL."""

    JOIN_TTL_SECONDS = 5.0

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cached: dict[str, tuple[float, frozenset[str]]] = {}

    async def at_join(self, state: RoomState, actor: c.Actor) -> bool:
        if not state.brand_id or actor.role not in APPOINTABLE:
            return False
        now = time.monotonic()
        at, users = self._cached.get(state.brand_id, (0.0, frozenset()))
        if now - at > self.JOIN_TTL_SECONDS:
            users = frozenset(row["user_id"] for row in await self._store.brand_moderators(state.brand_id))
            self._cached[state.brand_id] = (now, users)
        return actor.user_id in users

    def forget(self, brand_id: str) -> None:
        """The team changed through this node: its next join asks SQL (other nodes within ``JOIN_TTL_SECONDS``)."""
        self._cached.pop(brand_id, None)

    async def actor_for(self, state: RoomState, actor: c.Actor, command: c.Command, *, joined_as_staff: bool) -> c.Actor:
        """The actor a command is logged with: a brand moderator's token says viewer, the log says moderator.

        Asked on each command that needs a moderator's powers (or of a member who joined as
        one), so an appointment or dismissal over HTTP holds from the next command."""
        if not state.brand_id or actor.role not in APPOINTABLE or actor.user_id in state.moderators:
            return actor
        needs_powers = actor.role not in RULES[type(command)].roles or isinstance(command, c.ChatDelete)  # another's message
        if not (needs_powers or joined_as_staff):
            return actor
        try:
            moderates = await self._store.is_brand_moderator(state.brand_id, actor.user_id)
        except Exception:  # SQL down: no powers this time (the command is judged as the token's role)
            logger.warning("brand moderator lookup failed", exc_info=True)
            return actor
        return dataclasses.replace(actor, role=Role.MODERATOR) if moderates else actor


async def chat_command(store: Store, rt: RoomRuntime, actor: c.Actor, request: PostChat) -> c.ChatPost:
    """A client's post as the log records it: with automatic moderation's verdict and the claim or bid it asks for."""
    return await automod.for_store(store).post(rt, actor, request)
