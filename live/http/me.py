"""The signed-in viewer's own things over HTTP: their orders, whom they follow; and the
merchant's checkout link for an order.

A viewer's token names them; a token for one room shows that room's orders only, a
token for ``*`` all of theirs. Following is idempotent (PUT again, DELETE again: the
same answer). The checkout link is the merchant's (the room's tenant), like confirm.
"""

import re
import time

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access
from live.access import RoomRef
from live.auth import ANY_ROOM, Identity
from live.errors import Forbidden, Invalid, NotFound
from live.http.common import TextParam, identify, open_room, outcome_response, parse_body, room_ref
from live.node import Node
from rooms.checkout import MAX_URL
from rooms.fold import Accepted
from rooms.shop_commands import OrderCheckout
from rooms.types import RoomId

ORDERS_ROOM = TextParam(name="room_id", description="Only this room's orders (a token for one room always sees only that room's).")
KINDS = ("brand", "host")
MAX_TARGET = 128
FOLLOW_TARGET = re.compile(rf"(?!@)[^\s\x00-\x1f\x7f/]{{1,{MAX_TARGET}}}")  # an id as tokens carry them: no spaces, controls or slashes


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkout_url: str = Field(max_length=MAX_URL, pattern=r"^https?://\S+$")


def _viewer(identity: Identity) -> str:
    if identity.by_key:
        raise Forbidden("an API key (a brand's or the platform's) has no orders or follows of its own; use a viewer's token")
    return identity.actor.user_id


async def my_orders(node: Node, request: Request) -> Response:
    """The caller's orders (reserved, paid, expired, cancelled), newest first, with their links."""
    identity = await identify(node, request)
    user = _viewer(identity)
    room = ORDERS_ROOM.read(request)
    if identity.room != ANY_ROOM:
        if room not in (None, identity.room):
            raise Forbidden("this token is for another room")
        room = identity.room
    rows = await node.store.my_orders(user, room)
    return JSONResponse({"user_id": user, "orders": rows})


async def set_checkout(node: Node, request: Request) -> Response:
    """The merchant gives the buyer's checkout link for a reservation (instead of, or after, its webhook answer)."""
    identity = await identify(node, request)
    room = await room_ref(node, request.path_params["room_id"])
    access.authorize(identity, access.Action.MERCHANT, room)
    body = await parse_body(request, CheckoutIn)
    rt = await open_room(node, RoomId(room.id))
    command = OrderCheckout(reservation_id=int(request.path_params["reservation_id"]), checkout_url=body.checkout_url)
    outcome = await rt.submit(access.room_actor(identity, RoomRef.of_state(rt.state)), command)
    result = outcome.result if isinstance(outcome, Accepted) else {}
    return outcome_response(outcome, {"room_id": room.id} | result)


def _target(request: Request) -> tuple[str, str]:
    kind, target = request.path_params["kind"], request.path_params["target"]
    if kind not in KINDS:
        raise NotFound("follow a brand or a host")
    if not FOLLOW_TARGET.fullmatch(target):
        raise Invalid(f"a {kind} id is 1..{MAX_TARGET} printable characters, without spaces or a leading @")
    return kind, target


async def follow(node: Node, request: Request) -> Response:
    user = _viewer(await identify(node, request))
    kind, target = _target(request)
    node.limits.community_write(user)
    await node.store.follow(user, kind, target, int(time.time() * 1000))
    return JSONResponse({"kind": kind, "target": target, "following": True})


async def unfollow(node: Node, request: Request) -> Response:
    user = _viewer(await identify(node, request))
    kind, target = _target(request)
    node.limits.community_write(user)
    await node.store.unfollow(user, kind, target)
    return JSONResponse({"kind": kind, "target": target, "following": False})


async def my_follows(node: Node, request: Request) -> Response:
    user = _viewer(await identify(node, request))
    return JSONResponse({"user_id": user, "following": await node.store.following(user)})
