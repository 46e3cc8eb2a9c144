"""Brands after the show: replay, exports, analytics (a person's data and its erasure: ``people``).

Access (``live.access``): only the room's tenant — its brand's staff or API key
(``X-Api-Key``, configured in ``LIVE_BRAND_API_KEYS``), or the host of a brandless
room. Anything else gets 403. Exports name users by a pseudonym that is stable within a brand
and different across brands; a token with the claim ``"pii": true`` may ask for real ids
with ``identify=1``.
"""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from live import access, modlog
from live.access import RoomRef
from live.auth import Identity
from live.errors import NotFound
from live.http.common import AFTER, EVENT_TYPES, IntParam, ListParam, TextParam, attachment, identify
from live.log.serde import entries_from_dicts
from live.node import Node
from live.privacy import brand_pseudonyms
from rooms.analytics import Samples, analyze, refold
from rooms.events import STAFF_TYPES
from rooms.types import RoomId

PAGE = 1000
AUCTION_TYPES = ("auction.created", "auction.started", "auction.bid", "auction.extended", "auction.ended")
CAPTION_MS = 4000
EXPORT_FILTERS = {
    "chat": ("chat.message", "chat.claim"),
    "qa": ("question.asked", "question.answered", "question.highlighted"),
    "commerce": ("product.pinned", "product.unpinned", "offer.created", "offer.started", "offer.stock", "offer.sold_out", "offer.ended", *AUCTION_TYPES),
    "polls": ("poll.created", "poll.closed"),
    "giveaways": ("giveaway.started", "giveaway.drawn"),
}
HIDDEN = STAFF_TYPES | {"chat.deleted"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("ndjson", "csv", "vtt")

FROM_MS = IntParam(name="from_ms", lo=0, hi=2**40, default=None, description="Only events at least this many ms after go-live.")
TO_MS = IntParam(name="to_ms", lo=0, hi=2**40, default=None, description="Only events before this many ms after go-live.")
IDENTIFY = TextParam(name="identify", choices=("0", "1"), description="`1`: real user ids instead of pseudonyms (a token with the `pii` claim only).")
INCLUDE = ListParam(name="include", choices=tuple(EXPORT_FILTERS), comma=True, description="Only these kinds of events (repeat, or separate with commas).")
REPLAY_LIMIT = IntParam(name="limit", lo=1, hi=5000, default=500, description="At most this many events (a page never splits one entry's events).")
REPLAY_FORMAT = TextParam(name="format", choices=("json", "ndjson"), description="`ndjson`: every event, streamed one JSON object a line, unpaged.")
EXPORT_QUERY = (INCLUDE, EVENT_TYPES, FROM_MS, TO_MS, IDENTIFY)


async def _room_for(node: Node, request: Request) -> tuple[dict[str, Any], Identity]:
    """The persisted room and its merchant asking for it; NotFound, AuthError or Forbidden otherwise."""
    identity = await identify(node, request)
    room = await node.store.get_room(request.path_params["room_id"])
    if room is None:
        raise NotFound("no such room")
    access.authorize(identity, access.Action.MERCHANT, RoomRef.of_row(room))
    return room, identity


def _events(node: Node, room: dict[str, Any], request: Request, identity: Identity, *, types: tuple[str, ...]) -> AsyncIterator[dict[str, Any]]:
    """The room's events in order, with ``offset_ms`` from go-live.

    Deleted messages are left out, with the events that deleted them; so are the
    staff-only running sales (they are in /sales). Parameters are checked here, before
    anything is streamed (a bad one is a 422, never a broken stream).
    """
    start_at = room["went_live_at"] or room["created_at"]
    window = [None if (ms := param.read(request)) is None else start_at + ms for param in (FROM_MS, TO_MS)]
    real_ids = IDENTIFY.read(request) == "1" and identity.pii
    hide = brand_pseudonyms(node.settings.pseudonym_key, room["brand_id"])
    return _persisted_events(node, room["id"], start_at, window[0], window[1], types, None if real_ids else hide)


async def _persisted_events(node: Node, room_id: str, start_at: int, start_ts: int | None, end_ts: int | None, types: tuple[str, ...], hide: Any) -> AsyncIterator[dict[str, Any]]:
    after = 0
    while True:
        rows = await node.store.events_between(room_id, after=after, start_ts=start_ts, end_ts=end_ts, types=types, limit=PAGE)
        for row in rows:
            deleted = row.pop("_deleted")
            after = row["seq"]
            if deleted or row["type"] in HIDDEN:
                continue
            row["offset_ms"] = row["ts"] - start_at
            yield row if hide is None else hide(row)
        if len(rows) < PAGE:
            return


async def moderation_log(node: Node, request: Request) -> Response:
    """Every moderation action in the room, manual and automatic, in log order, with who took
    it (``live.modlog``); and who moderates, is banned, timed out or shadow-muted now, and the
    review queue. Re-folded from the persisted log, like analytics."""
    room, identity = await _room_for(node, request)
    real_ids = IDENTIFY.read(request) == "1" and identity.pii
    state, folded = refold(RoomId(room["id"]), entries_from_dicts(await node.store.load_entries(room["id"])))
    body = {"room_id": room["id"], "now": state.moderation_view(), "actions": modlog.actions(folded)}
    return JSONResponse(body if real_ids else brand_pseudonyms(node.settings.pseudonym_key, room["brand_id"])(body))


def _types(request: Request) -> tuple[str, ...]:
    return tuple(t for w in INCLUDE.read(request) for t in EXPORT_FILTERS[w]) + tuple(EVENT_TYPES.read(request))


async def replay(node: Node, request: Request) -> Response:
    """Events by time window and type, in order: JSON pages, or NDJSON with format=ndjson."""
    room, identity = await _room_for(node, request)
    types = _types(request)
    limit, after = REPLAY_LIMIT.read(request), AFTER.read(request)
    stream = _events(node, room, request, identity, types=types)
    if REPLAY_FORMAT.read(request) == "ndjson":
        return StreamingResponse((orjson.dumps(ev) + b"\n" async for ev in stream), media_type="application/x-ndjson")
    page: list[dict[str, Any]] = []
    async for ev in stream:
        if ev["seq"] <= after:
            continue
        if len(page) >= limit and ev["seq"] != page[-1]["seq"]:
            return JSONResponse({"room_id": room["id"], "events": page, "next_after": page[-1]["seq"]})
        page.append(ev)
    return JSONResponse({"room_id": room["id"], "events": page, "next_after": None})


async def export(node: Node, request: Request) -> Response:
    """Transcript exports: NDJSON, CSV or WebVTT, without deleted messages."""
    room, identity = await _room_for(node, request)
    fmt = request.path_params["fmt"]
    if fmt not in EXPORT_FORMATS:
        raise NotFound("exports are .ndjson, .csv or .vtt")
    types = _types(request) or (EXPORT_FILTERS["chat"] if fmt == "vtt" else ())
    rows = [ev async for ev in _events(node, room, request, identity, types=types)]
    name = attachment(f"{room['id']}.{fmt}")
    if fmt == "ndjson":
        return Response(b"".join(orjson.dumps(r) + b"\n" for r in rows), media_type="application/x-ndjson", headers={"content-disposition": name})
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["seq", "ts", "offset_ms", "type", "user_id", "user_name", "text", "data"])
        for r in rows:
            user = (r.get("message") or r.get("question") or {}).get("user") or {}
            text = (r.get("message") or r.get("question") or {}).get("text", "")
            writer.writerow([r["seq"], r["ts"], r["offset_ms"], r["type"], *map(_cell, (user.get("id", r.get("user_id", "")), user.get("name", ""), text, orjson.dumps(r).decode()))])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"content-disposition": name})
    return Response(webvtt(rows), media_type="text/vtt; charset=utf-8", headers={"content-disposition": name})


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def _clock(ms: int) -> str:
    h, rest = divmod(max(0, ms), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02}:{m:02}:{s:02}.{ms:03}"


def _cue_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;").replace("\n", " ")


def webvtt(rows: list[dict[str, Any]]) -> str:
    """Chat (and questions) as captions on the session's timeline, from go-live."""
    lines = ["WEBVTT", ""]
    for n, r in enumerate((r for r in rows if "message" in r or "question" in r), start=1):
        item = r.get("message") or r["question"]
        start = r["offset_ms"]
        lines += [str(n), f"{_clock(start)} --> {_clock(start + CAPTION_MS)}", _cue_text(f"{item['user']['name']}: {item['text']}"), ""]
    return "\n".join(lines)


async def analytics(node: Node, request: Request) -> Response:
    room, _ = await _room_for(node, request)
    numbers = await _analytics(node, room["id"])
    numbers["top_contributors"] = brand_pseudonyms(node.settings.pseudonym_key, room["brand_id"])(numbers["top_contributors"])
    return JSONResponse(numbers)


async def _analytics(node: Node, room_id: str) -> dict[str, Any]:
    entries = entries_from_dicts(await node.store.load_entries(room_id))
    points, unique = await node.store.session_stats(room_id)
    numbers = analyze(RoomId(room_id), entries, Samples(points=points, unique_viewers=unique))
    numbers["reviews"] = await node.store.room_reviews(room_id)  # of this session's orders, written since
    return numbers


async def brand_sessions(node: Node, request: Request) -> Response:
    """A brand's sessions with their numbers, side by side (oldest first)."""
    brand_id = request.path_params["brand_id"]
    access.authorize_brand(await identify(node, request), brand_id)
    sessions = []
    for room in await node.store.brand_rooms(brand_id):
        a = await _analytics(node, room["id"])
        sessions.append(
            {"room_id": room["id"], "title": room["title"]}
            | {k: a[k] for k in ("status", "went_live_at", "duration_ms", "viewers", "reactions", "chat", "questions", "reviews")}
            | {"commerce": {k: a["commerce"][k] for k in ("claims", "paid_orders", "revenue", "buyers", "conversion")}}
        )
    return JSONResponse({"brand_id": brand_id, "sessions": sessions})
