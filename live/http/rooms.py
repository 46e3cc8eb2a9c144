"""Rooms over HTTP: create/schedule, go live, end, get, list, and the transcript.

Writes go through the room's log like any other command; the response is the
fold's outcome. Errors are JSON ``{"error": {"code", "message"}}`` with 401/403
for auth, 404 unknown room, 409 a state conflict, 422 a bad request body.
"""

import re
import time
import uuid
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access, tenants
from live.access import RoomRef
from live.errors import Conflict, NotFound
from live.http.common import AFTER, EVENT_TYPES, IntParam, TextParam, identify, open_room, outcome_response, parse_body
from live.http.community import brand_rules_command, brand_team
from live.node import Node
from live.privacy import brand_pseudonyms
from live.room.runtime import RoomRuntime
from rooms import commands as c
from rooms.fold import Accepted, check
from rooms.state import RoomState, Status
from rooms.types import Millis, RoomId, Seq, UserId

ROOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LIST_LIMIT = IntParam(name="limit", lo=1, hi=200, default=50, description="At most this many rooms.")
LIST_OFFSET = IntParam(name="offset", lo=0, hi=10**9, default=0, description="Skip this many rooms (newest first).")
LIST_STATUS = TextParam(name="status", choices=tuple(s.value for s in Status if s is not Status.NONE), description="Only rooms in this state.")
LIST_BRAND = TextParam(name="brand_id", description="Only this brand's rooms.")
TRANSCRIPT_LIMIT = IntParam(name="limit", lo=1, hi=1000, default=100, description="At most this many events (a page never splits one entry's events).")


class CreateRoom(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, pattern=ROOM_ID.pattern)
    title: str = Field(min_length=1, max_length=200)
    host_id: str | None = Field(None, min_length=1, max_length=128)
    brand_id: str | None = Field(None, min_length=1, max_length=128)
    starts_at: datetime | None = None
    allow_guests: bool = True
    max_message_length: int = Field(500, ge=1, le=4000)
    max_pinned_products: int = Field(3, ge=1, le=20)
    reservation_seconds: int = Field(600, ge=1, le=86_400)
    playback_url: str | None = Field(None, max_length=1000, pattern=r"^https?://")
    report_threshold: int = Field(3, ge=1, le=100, description="distinct viewers' reports that hide a message pending review")
    comment_claims: bool = True  # chat like "keep 2" or "bid 150rb" claims or bids (docs/protocol.md)


def _public(node: Node, brand_id: str | None) -> Any:
    """Public surfaces name people by display name and the brand's pseudonym, never a platform id."""
    return brand_pseudonyms(node.settings.pseudonym_key, brand_id)


def _room_view(node: Node, rt: RoomRuntime) -> dict[str, Any]:
    view = rt.state.snapshot()
    view.pop("messages")
    view = cast(dict[str, Any], _public(node, rt.state.brand_id)(view))
    view["viewers"] = rt.viewer_count
    return view


def _row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "title", "host_id", "brand_id", "status", "starts_at", "went_live_at", "ended_at", "message_count")} | {"seq": row["persisted_seq"]}


async def create_room(node: Node, request: Request) -> Response:
    identity = await identify(node, request)  # before the body is read
    body = await parse_body(request, CreateRoom)
    room_id = RoomId(body.id or uuid.uuid4().hex[:12])
    brand_id, host_id = access.new_room(identity, body.brand_id, body.host_id)
    node.limits.room_created(identity.actor.user_id)
    actor = identity.actor
    starts_at = Millis(int(body.starts_at.timestamp() * 1000)) if body.starts_at else None
    cmd = c.RoomCreate(
        title=body.title,
        host_id=UserId(host_id),
        brand_id=brand_id,
        starts_at=starts_at,
        allow_guests=body.allow_guests,
        max_message_length=body.max_message_length,
        max_pinned_products=body.max_pinned_products,
        reservation_seconds=body.reservation_seconds,
        playback_url=body.playback_url,
        report_threshold=body.report_threshold,
        comment_claims=body.comment_claims,
        checkout_url_template=node.settings.checkout_url_template(tenants.of_room(brand_id, host_id)),
        moderators=await brand_team(node, brand_id),
    )
    # The fold's own rules, on an empty room, before anything is opened for it.
    probe = c.Entry(seq=Seq(1), ts=Millis(0), actor=actor, command=cmd)
    if (rejection := check(RoomState(room_id), probe)) is not None:
        return outcome_response(rejection, {})
    if await node.store.get_room(room_id) is not None:
        raise Conflict("room already exists")
    rt = await node.runtime(room_id, create=True)
    assert rt is not None
    outcome = await rt.submit(actor, cmd)
    if isinstance(outcome, Accepted) and (rules := await brand_rules_command(node, brand_id)):
        await rt.submit(actor, rules)  # the brand's community rules, from the start
    await node.persister.flush_soon()  # listed right away
    return outcome_response(outcome, _room_view(node, rt), 201)


async def _transition(node: Node, request: Request, command: c.Command) -> Response:
    identity = await identify(node, request)
    rt = await open_room(node, RoomId(request.path_params["room_id"]))
    outcome = await rt.submit(access.room_actor(identity, RoomRef.of_state(rt.state)), command)
    # An ended room's log is in SQL before the reply: this node writes it, lease or not.
    await node.persister.flush_soon(*([rt.room_id] if isinstance(command, c.RoomEnd) else []))
    return outcome_response(outcome, _room_view(node, rt))


async def go_live(node: Node, request: Request) -> Response:
    return await _transition(node, request, c.RoomGoLive())


async def end_room(node: Node, request: Request) -> Response:
    return await _transition(node, request, c.RoomEnd())


async def get_room(node: Node, request: Request) -> Response:
    room_id = RoomId(request.path_params["room_id"])
    rt = node.runtimes.get(room_id)
    if rt is not None and rt.state.status is not Status.NONE:
        return JSONResponse(_room_view(node, rt))
    row = await node.store.get_room(room_id)
    if row is None:
        raise NotFound("no such room")
    return JSONResponse(_row_view(row) | {"viewers": 0})


async def list_rooms(node: Node, request: Request) -> Response:
    limit, offset, status = LIST_LIMIT.read(request), LIST_OFFSET.read(request), LIST_STATUS.read(request)
    rows = await node.store.list_rooms(status=status, brand_id=LIST_BRAND.read(request), limit=limit, offset=offset)
    views = []
    for row in rows:
        rt = node.runtimes.get(row["id"])
        views.append(_room_view(node, rt) if rt is not None and rt.state.status is not Status.NONE else _row_view(row) | {"viewers": 0})
    return JSONResponse({"rooms": views})


async def _public_row(node: Node, room_id: str) -> dict[str, Any]:
    """A room's SQL row for a public read; a rehearsal is its team's alone, so it is no such room here."""
    if (room := await node.store.get_room(room_id)) is None or room["rehearsal_of"]:
        raise NotFound("no such room")
    return room


async def transcript(node: Node, request: Request) -> Response:
    """Public events in seq order, paged by seq; deleted messages come with text null."""
    room_id = request.path_params["room_id"]
    after, limit, types = AFTER.read(request), TRANSCRIPT_LIMIT.read(request), EVENT_TYPES.read(request)
    room = await _public_row(node, room_id)
    rows = await node.store.transcript(room_id, after=after, limit=limit + 1, types=types)
    more = len(rows) > limit
    rows = rows[:limit]
    if more and rows and rows[-1]["seq"] != rows[0]["seq"]:
        last = rows[-1]["seq"]  # never split one entry's events across pages
        rows = [r for r in rows if r["seq"] != last]
    hide = _public(node, room["brand_id"])
    return JSONResponse({"room_id": room_id, "events": [hide(r) for r in rows], "next_after": rows[-1]["seq"] if more and rows else None})


async def ready(node: Node, request: Request) -> Response:
    """Readiness: 200 when this node can serve new viewers, else 503 with what is wrong."""
    checks = await node.ready()
    return JSONResponse({"ready": all(checks.values()), "checks": checks}, status_code=200 if all(checks.values()) else 503)


async def health(node: Node, request: Request) -> Response:
    return JSONResponse(
        {
            "ok": True,
            "node": node.id,
            "log": "redis" if node.settings.redis_url or node.settings.log == "redis" else "memory",
            "rooms": len(node.runtimes),
            "connections": sum(rt.viewer_count for rt in node.runtimes.values()),
            "time": int(time.time() * 1000),
        }
    )


async def room_leaderboard(node: Node, request: Request) -> Response:
    """Top members by points in this room: live from the room while it is open, else from SQL."""
    room_id = RoomId(request.path_params["room_id"])
    rt = node.runtimes.get(room_id)
    if rt is not None and rt.state.status is not Status.NONE:
        if rt.state.rehearsal_of:
            raise NotFound("no such room")
        return JSONResponse({"room_id": room_id, "leaderboard": _public(node, rt.state.brand_id)(rt.state.leaderboard(50))})
    room = await _public_row(node, room_id)
    return JSONResponse({"room_id": room_id, "leaderboard": _public(node, room["brand_id"])(await node.store.room_leaderboard(room_id, 50))})


async def brand_leaderboard(node: Node, request: Request) -> Response:
    """Top members across a brand's sessions (points summed, sessions counted)."""
    brand_id = request.path_params["brand_id"]
    return JSONResponse({"brand_id": brand_id, "leaderboard": _public(node, brand_id)(await node.store.brand_leaderboard(brand_id, 50))})
