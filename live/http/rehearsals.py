"""Rehearsals over HTTP: a private copy of a room with a simulated audience.

The host (or the room's brand) opens a rehearsal of a scheduled room: a new room,
``<id>-rehearsal-<n>``, with the same host, brand, video, settings, rules and
moderators (``rooms.lifecycle.rehearsal``), that only the room's team may join, and an
audience of simulated viewers (``live.simulator``) who chat, react, vote, claim and bid
once the host goes live in it. Its claims never become orders or reach the merchant,
and it is left out of the brand's sessions.
"""

import logging
import uuid

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access
from live.access import RoomRef
from live.auth import Identity
from live.errors import Conflict, Forbidden
from live.http.common import identify, open_room, outcome_response, parse_body
from live.node import Node
from live.simulator import Rates
from rooms import lifecycle
from rooms.fold import Accepted
from rooms.roles import Role
from rooms.state import Status
from rooms.types import RoomId, UserId

logger = logging.getLogger("live.rehearsals")


class RehearsalBody(BaseModel):
    """How busy the simulated audience is; every field has a default."""

    model_config = ConfigDict(extra="forbid")

    viewers: int = Field(40, ge=1, le=500, description="simulated viewers (they count in the viewer number)")
    chat_per_minute: float = Field(30, ge=0, le=600)
    reactions_per_minute: float = Field(120, ge=0, le=3000)
    questions_per_minute: float = Field(2, ge=0, le=60)
    votes: bool = Field(True, description="each simulated viewer votes once in every open poll")
    claims_per_minute: float = Field(4, ge=0, le=120, description="while an offer runs")
    bids_per_minute: float = Field(6, ge=0, le=120, description="while an auction runs")


async def start_rehearsal(node: Node, request: Request) -> Response:
    identity = await identify(node, request)
    body = await parse_body(request, RehearsalBody)
    rt = await open_room(node, RoomId(request.path_params["room_id"]))
    state = rt.state
    _host_or_brand(identity, RoomRef.of_state(state))
    if state.status is Status.ENDED or state.rehearsal_of is not None:
        raise Conflict("only a room that has not ended (and is not itself a rehearsal) can be rehearsed")
    room_id = RoomId(f"{state.room_id[:48]}-rehearsal-{uuid.uuid4().hex[:6]}")
    create, *settings = lifecycle.rehearsal(state, f"Rehearsal: {state.title}"[:200], UserId(state.host_id or identity.actor.user_id))
    rehearsal = await node.runtime(room_id, create=True)
    assert rehearsal is not None
    actor = access.room_actor(identity, RoomRef.of_state(state))
    outcome = await rehearsal.submit(actor, create)
    if isinstance(outcome, Accepted):
        for command in settings:  # the room's own, accepted there by the same actor
            if not isinstance(copied := await rehearsal.submit(actor, command), Accepted):
                logger.warning("rehearsal %s: %s not copied (%s)", room_id, command.type, copied)
        node.start_audience(rehearsal, Rates(**body.model_dump()))
    await node.persister.flush_soon()
    view = {"room_id": room_id, "rehearsal_of": state.room_id, "status": rehearsal.state.status.value, "audience": body.model_dump()}
    return outcome_response(outcome, view, 201)


async def stop_rehearsal_audience(node: Node, request: Request) -> Response:
    """Stop the simulated audience of a rehearsal (ending the rehearsal room stops it too)."""
    identity = await identify(node, request)
    rt = await open_room(node, RoomId(request.path_params["room_id"]))
    _host_or_brand(identity, RoomRef.of_state(rt.state))
    if (audience := node.audiences.pop(rt.room_id, None)) is not None:
        audience.stop()
    return JSONResponse({"room_id": rt.room_id, "audience": None})


def _host_or_brand(identity: Identity, ref: RoomRef) -> None:
    if access.room_role(identity, ref) is not Role.HOST and not access.is_merchant(identity, ref):
        raise Forbidden("only the room's host or brand may rehearse it or stop its audience")
