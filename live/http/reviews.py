"""Verified-buyer reviews over HTTP: a buyer reviews a paid order; anyone reads a product's.

Who may (``live.access``): only an order's buyer reviews it, once, and only once it is
paid; any signed-in user marks a review helpful, once; the catalog's owner (the brand,
or a brandless host) publishes or hides one; reading is public, with pseudonymous
authors. A review published or hidden changes the summary of every open room of the
brand that has the product pinned (``refresh``), through each room's log.
"""

import dataclasses
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access, auth, reviews, tenants
from live.errors import Conflict, Forbidden, Invalid, NotFound
from live.http.common import IntParam, TextParam, identify, parse_body
from live.node import Node
from live.store.reviews import PUBLISHED, SORTS
from rooms.shop_commands import ProductReviews
from rooms.state import RoomState, Status
from rooms.statuses import ReservationStatus
from rooms.types import RoomId
from rooms.verdicts import Outcome

MAX_TEXT = 2000
REVIEWS_LIMIT = IntParam(name="limit", lo=1, hi=100, default=20, description="At most this many reviews.")
REVIEWS_OFFSET = IntParam(name="offset", lo=0, hi=10**6, default=0, description="Skip this many (the previous page's `next_offset`).")
REVIEWS_STATUS = TextParam(name="status", choices=("held", "hidden", "published"), description="Reviews in this state (`held` by default: waiting for the brand).")
REVIEWS_SORT = TextParam(name="sort", choices=tuple(SORTS), description="`newest` (the default) or `helpful` (most marked helpful first).")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    stars: int = Field(ge=1, le=5)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    photo_url: str | None = Field(None, max_length=500, pattern=r"^https://[^\s]+$")


class ModerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(pattern="^(published|hidden)$")


def _order_in_room(state: RoomState, reservation_id: int) -> dict[str, Any] | None:
    """The order as the room's replica knows it now (SQL is a persist interval behind)."""
    r = state.reservations.get(reservation_id)
    offer = state.offers.get(r.offer_id) if r is not None else None
    if r is None or offer is None:
        return None
    return {"user_id": r.user_id, "status": r.status, "product_id": offer.product.id, "owner": tenants.of_room(state.brand_id, state.host_id)}


async def _order(node: Node, room_id: str, reservation_id: int) -> dict[str, Any]:
    rt = node.runtimes.get(RoomId(room_id))
    order = _order_in_room(rt.state, reservation_id) if rt is not None else None
    if order is None or order["status"] != ReservationStatus.PAID:
        order = await node.store.get_order(room_id, reservation_id) or order
    if order is None:
        raise NotFound("no such order")
    return order


async def add_review(node: Node, request: Request) -> Response:
    identity = await identify(node, request)
    room_id, reservation_id = request.path_params["room_id"], int(request.path_params["reservation_id"])
    if identity.room not in (auth.ANY_ROOM, room_id):
        raise Forbidden("this token is for another room")
    order = await _order(node, room_id, reservation_id)
    if order["user_id"] != identity.actor.user_id:
        raise Forbidden("only the buyer reviews an order")
    if order["status"] != ReservationStatus.PAID:
        raise Conflict("an order is reviewed once it is paid")
    body = await parse_body(request, ReviewIn)
    verdict = await reviews.score(node.store, order["owner"], identity.actor.user_id, body.text)
    row = {
        "owner": order["owner"],
        "product_id": order["product_id"],
        "room_id": room_id,
        "reservation_id": reservation_id,
        "user_id": identity.actor.user_id,
        "name": identity.actor.name[: auth.MAX_NAME],
        "stars": body.stars,
        "text": body.text,
        "photo_url": body.photo_url,
        "status": reviews.STATUS[verdict.outcome],
        "reasons": list(verdict.reasons),
        "created_at": int(time.time() * 1000),
    }
    review_id = await node.store.add_review(row)
    if review_id is None:
        raise Conflict("this order has a review already")
    if verdict.outcome is Outcome.ALLOW:
        await refresh(node, row["owner"], row["product_id"])
    view = reviews.view(node.settings.pseudonym_key, row | {"id": review_id, "helpful": 0})
    return JSONResponse({"review": _plain(view), "status": row["status"]}, status_code=201)


def _plain(view: Any) -> Any:
    return dataclasses.asdict(view)


async def refresh(node: Node, owner: str, product_id: str) -> int:
    """Put the product's new summary into every open room of the owner that has it pinned."""
    summary = await reviews.summary(node.store, node.settings.pseudonym_key, owner, product_id)
    shown = 0
    for room_id in await node.store.open_rooms_of(owner):
        rt = await node.runtime(RoomId(room_id))
        if rt is not None and rt.state.status is not Status.ENDED and any(p.product.id == product_id for p in rt.state.pinned_products):
            await rt.submit(auth.SYSTEM, ProductReviews(product_id=product_id, reviews=summary))
            shown += 1
    return shown


async def list_reviews(node: Node, request: Request) -> Response:
    """A product's published reviews, public: for the merchant's own product pages."""
    owner, product_id = request.path_params["brand_id"], request.path_params["product_id"]
    limit, offset, sort = REVIEWS_LIMIT.read(request), REVIEWS_OFFSET.read(request), REVIEWS_SORT.read(request) or "newest"
    rows = await node.store.list_reviews(owner, product_id, sort=sort, limit=limit + 1, offset=offset)
    summary = await reviews.summary(node.store, node.settings.pseudonym_key, owner, product_id)
    page = [_plain(reviews.view(node.settings.pseudonym_key, r)) for r in rows[:limit]]
    head = {"brand_id": owner, "product_id": product_id, "average": summary.average, "count": summary.count, "stars": summary.stars}
    return JSONResponse(head | {"reviews": page, "next_offset": offset + limit if len(rows) > limit else None})


async def _published(node: Node, review_id: int) -> dict[str, Any]:
    row = await node.store.get_review(review_id)
    if row is None or row["status"] != PUBLISHED:
        raise NotFound("no such review")
    return row


async def mark_helpful(node: Node, request: Request) -> Response:
    identity = await identify(node, request)
    if identity.by_key:
        raise Forbidden("an API key is no person: a review is marked helpful with a viewer's token")
    node.limits.community_write(identity.actor.user_id)
    row = await _published(node, int(request.path_params["review_id"]))
    if row["user_id"] == identity.actor.user_id:
        raise Invalid("your own review cannot be marked helpful")
    marked = await node.store.mark_helpful(row["id"], identity.actor.user_id, int(time.time() * 1000))
    helpful = (await _published(node, row["id"]))["helpful"]
    return JSONResponse({"review_id": row["id"], "helpful": helpful, "marked": marked})


async def moderate(node: Node, request: Request) -> Response:
    """The catalog's owner publishes a held review, or hides one."""
    identity = await identify(node, request)
    row = await node.store.get_review(int(request.path_params["review_id"]))
    if row is None:
        raise NotFound("no such review")
    access.authorize_catalog(identity, row["owner"])
    status = (await parse_body(request, ModerateIn)).status
    await node.store.set_review_status(row["id"], status)
    rooms = await refresh(node, row["owner"], row["product_id"])
    return JSONResponse({"review_id": row["id"], "status": status, "rooms_updated": rooms})


async def brand_reviews(node: Node, request: Request) -> Response:
    """The brand's reviews in one state, for its moderators: held ones by default, with the buyer's order."""
    owner = request.path_params["brand_id"]
    access.authorize_catalog(await identify(node, request), owner)
    status = REVIEWS_STATUS.read(request) or "held"
    rows = await node.store.reviews_by_status(owner, status, REVIEWS_LIMIT.read(request), REVIEWS_OFFSET.read(request))
    secret = node.settings.pseudonym_key
    listed = [_plain(reviews.view(secret, r)) | {"status": r["status"], "reasons": r["reasons"], "room_id": r["room_id"], "reservation_id": r["reservation_id"]} for r in rows]
    return JSONResponse({"brand_id": owner, "reviews": listed})
