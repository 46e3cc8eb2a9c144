"""A brand's community over HTTP: its rules, its moderator team for all its rooms, and
its moderation log across its rooms; a room's own rules.

Brand endpoints are the brand's (``access.authorize_brand``: its staff or API key); a
room's rules are set by its host or brand (the fold's MERCHANT rule decides). Changing
a brand's rules sends them to each of its scheduled and live rooms as a ``rules.set``
entry, so every room's log holds the rules its viewers were shown.
"""

import asyncio
import csv
import io
import time
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access, modlog
from live.access import RoomRef
from live.auth import Identity
from live.errors import Invalid, LimitReached, NotFound
from live.http.common import IntParam, TextParam, attachment, identify, open_room, outcome_response, parse_body
from live.log.serde import entries_from_dicts
from live.node import Node
from live.privacy import brand_pseudonyms
from rooms import commands as c
from rooms.analytics import refold
from rooms.fold import Accepted
from rooms.moderation import MAX_BRAND_MODERATORS
from rooms.state import Status
from rooms.types import RoomId, UserId

LOG_FORMAT = TextParam(name="format", choices=("json", "csv"), description="`csv`: one action a row (a download); default JSON.")
IDENTIFY = TextParam(name="identify", choices=("0", "1"), description="`1`: real user ids instead of pseudonyms (a token with the `pii` claim only).")
SINCE = IntParam(name="since", lo=0, hi=2**42, default=None, description="Only actions at or after this time (ms since the epoch).")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_USER_ID = 128
OPEN_ROOMS_AT_ONCE = 16  # a brand change in flight to this many of its open rooms at a time


class RulesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000, description="the rules, shown in the welcome")
    require_acceptance: bool = Field(False, description="viewers accept them (once per brand) before they may post")


def _now() -> int:
    return int(time.time() * 1000)


def _rules(row: dict[str, Any] | None) -> c.Rules | None:
    return None if row is None else c.Rules(text=row["text"], require_acceptance=row["require_acceptance"])


async def brand_rules_command(node: Node, brand_id: str | None) -> c.RulesSet | None:
    """What a new room of the brand starts with: its brand's rules, if it has any."""
    rules = _rules(await node.store.get_rules(brand_id)) if brand_id else None
    return None if rules is None else c.RulesSet(scope="brand", rules=rules)


async def brand_team(node: Node, brand_id: str | None) -> tuple[UserId, ...]:
    """What a new room of the brand starts with: its moderator team, as the brand's own
    appointments there (so only the brand dismisses them, and its dismissal reaches them)."""
    rows = await node.store.brand_moderators(brand_id) if brand_id else []
    return tuple(UserId(row["user_id"]) for row in rows[:MAX_BRAND_MODERATORS])


async def get_brand_rules(node: Node, request: Request) -> Response:
    brand_id = request.path_params["brand_id"]
    row = await node.store.get_rules(brand_id)
    return JSONResponse({"brand_id": brand_id, "rules": None if row is None else {"text": row["text"], "require_acceptance": row["require_acceptance"]}, "updated_at": row and row["updated_at"]})


async def _set_brand_rules(node: Node, request: Request, rules: c.Rules | None, identity: Identity) -> Response:
    brand_id = request.path_params["brand_id"]
    by = identity.actor
    await node.store.set_rules(brand_id, None if rules is None else rules.text, rules is not None and rules.require_acceptance, by=by.user_id, by_role=by.role.value, now=_now())
    rooms = await _to_open_rooms(node, identity, brand_id, c.RulesSet(scope="brand", rules=rules))
    return JSONResponse({"brand_id": brand_id, "rules": None if rules is None else {"text": rules.text, "require_acceptance": rules.require_acceptance}, "rooms": rooms})


async def put_brand_rules(node: Node, request: Request) -> Response:
    identity = await identify(node, request)
    access.authorize_brand(identity, request.path_params["brand_id"])
    body = await parse_body(request, RulesBody)
    return await _set_brand_rules(node, request, c.Rules(text=body.text.strip(), require_acceptance=body.require_acceptance), identity)


async def delete_brand_rules(node: Node, request: Request) -> Response:
    identity = await identify(node, request)
    access.authorize_brand(identity, request.path_params["brand_id"])
    return await _set_brand_rules(node, request, None, identity)


async def _set_room_rules(node: Node, request: Request, identity: Identity, rules: c.Rules | None) -> Response:
    rt = await open_room(node, RoomId(request.path_params["room_id"]))
    outcome = await rt.submit(access.room_actor(identity, RoomRef.of_state(rt.state)), c.RulesSet(scope="room", rules=rules))
    current = rt.state.rules
    return outcome_response(outcome, {"room_id": rt.room_id, "rules": None if current is None else {"text": current.text, "require_acceptance": current.require_acceptance}})


async def put_room_rules(node: Node, request: Request) -> Response:
    identity = await identify(node, request)  # before the body is read
    body = await parse_body(request, RulesBody)
    return await _set_room_rules(node, request, identity, c.Rules(text=body.text.strip(), require_acceptance=body.require_acceptance))


async def delete_room_rules(node: Node, request: Request) -> Response:
    return await _set_room_rules(node, request, await identify(node, request), None)


# --- the brand's moderator team ------------------------------------------------------------


async def list_moderators(node: Node, request: Request) -> Response:
    brand_id = request.path_params["brand_id"]
    access.authorize_brand(await identify(node, request), brand_id)
    return JSONResponse({"brand_id": brand_id, "moderators": await node.store.brand_moderators(brand_id)})


async def _moderator(node: Node, request: Request, appoint: bool) -> Response:
    brand_id, user_id = request.path_params["brand_id"], request.path_params["user_id"]
    identity = await identify(node, request)
    access.authorize_brand(identity, brand_id)
    if not 1 <= len(user_id) <= MAX_USER_ID:
        raise Invalid(f"a user id is 1..{MAX_USER_ID} characters")
    team = {row["user_id"] for row in await node.store.brand_moderators(brand_id)} if appoint else set()
    if len(team) >= MAX_BRAND_MODERATORS and user_id not in team:  # each room holds the team (rooms.moderation)
        raise LimitReached(f"at most {MAX_BRAND_MODERATORS} moderators per brand")
    changed = await node.store.set_brand_moderator(brand_id, user_id, appoint, by=identity.actor.user_id, by_role=identity.actor.role.value, now=_now())
    node.brand_moderators.forget(brand_id)
    if not appoint and not changed:
        raise NotFound("that user is not a moderator of this brand")
    # In the brand's open rooms as their own mod.appoint / mod.dismiss: the user's open
    # connections there turn staff (the review queue as it stands) or stop being it at once,
    # on every node. Rooms where it changes nothing (already staff there, or not appointed
    # there) refuse it and are left as they are; rooms opened later ask SQL (enrich.BrandModerators).
    rooms = await _to_open_rooms(node, identity, brand_id, (c.ModAppoint if appoint else c.ModDismiss)(user_id=UserId(user_id)))
    return JSONResponse({"brand_id": brand_id, "user_id": user_id, "moderator": appoint, "changed": changed, "rooms": rooms})


async def _to_open_rooms(node: Node, identity: Identity, brand_id: str, command: c.Command) -> list[str]:
    """A brand's change sent to each of its scheduled and live rooms, as the brand, a few at a
    time (a brand with hundreds of open rooms answers in a few round trips, not hundreds); the
    rooms that took it. A room that could not be reached fails the call after the others had
    their turn: the change is in SQL, and sending it again is harmless (a room that has it refuses it)."""
    gate = asyncio.Semaphore(OPEN_ROOMS_AT_ONCE)

    async def send(room_id: RoomId) -> bool:
        async with gate:
            if (rt := await node.runtime(room_id)) is None or rt.state.status not in (Status.SCHEDULED, Status.LIVE):
                return False
            return isinstance(await rt.submit(access.room_actor(identity, RoomRef.of_state(rt.state)), command), Accepted)

    ids = [RoomId(row["id"]) for row in await node.store.brand_rooms(brand_id, open_only=True)]
    outcomes = await asyncio.gather(*(send(room_id) for room_id in ids), return_exceptions=True)
    if failed := next((o for o in outcomes if isinstance(o, BaseException)), None):
        raise failed
    return [room_id for room_id, took in zip(ids, outcomes, strict=True) if took is True]


async def appoint_moderator(node: Node, request: Request) -> Response:
    return await _moderator(node, request, True)


async def dismiss_moderator(node: Node, request: Request) -> Response:
    return await _moderator(node, request, False)


# --- the brand's moderation log ---------------------------------------------------------------


async def brand_moderation_log(node: Node, request: Request) -> Response:
    """Every moderation action in the brand's rooms (re-folded from their logs) and the
    brand's own (appointments, rules), by time; JSON or CSV."""
    brand_id = request.path_params["brand_id"]
    identity = await identify(node, request)
    access.authorize_brand(identity, brand_id)
    fmt, since = LOG_FORMAT.read(request) or "json", SINCE.read(request) or 0
    rows: list[tuple[str | None, dict[str, Any]]] = []
    for room in await node.store.brand_rooms(brand_id):
        _, folded = refold(RoomId(room["id"]), entries_from_dicts(await node.store.load_entries(room["id"])))
        rows += [(room["id"], a) for a in modlog.actions(folded)]
    for b in await node.store.brand_actions(brand_id):
        rows.append((None, {"seq": None, "ts": b["ts"], "action": b["action"], "automatic": False, "user": {"id": b["by"], "name": "", "role": b["by_role"]}, "user_id": b["user_id"]}))
    rows = sorted((r for r in rows if r[1]["ts"] >= since), key=lambda r: (r[1]["ts"], r[0] or "", r[1]["seq"] or 0))
    real_ids = IDENTIFY.read(request) == "1" and identity.pii
    hide = brand_pseudonyms(node.settings.pseudonym_key, brand_id)
    actions = [{"room_id": room} | (a if real_ids else hide(a)) for room, a in rows]
    if fmt == "json":
        return JSONResponse({"brand_id": brand_id, "actions": actions})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(modlog.COLUMNS)
    for a in actions:
        writer.writerow([_cell(v) for v in modlog.csv_row(a["room_id"] or "", a)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"content-disposition": attachment(f"{brand_id}-moderation.csv")})


def _cell(value: Any) -> str:
    """A CSV cell (a spreadsheet never runs it as a formula: OWASP CSV injection)."""
    text = "" if value is None else orjson.dumps(value).decode() if isinstance(value, dict) else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text
