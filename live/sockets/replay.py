"""Shoppable replay over the WebSocket: a finished session re-emitted at its own pace.

``/v1/rooms/{id}/replay/ws?from_ms=…&speed=…`` folds the persisted log up to the
position, sends ``replay.start`` with the room as it was then (pinned products, offers
and their stock — ended ones say so —, open polls with tallies, questions), then sends
each later event when its time comes (``offset_ms`` from go-live, divided by ``speed``),
and ``replay.end``. Reconnect with another ``from_ms`` to seek. User ids are the brand's
pseudonyms, as in exports.
"""

import asyncio
import contextlib
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from live.errors import CloseCode, RateLimited, close_code
from live.log.serde import entries_from_dicts
from live.node import Node
from live.privacy import brand_pseudonyms
from live.sockets.handshake import accept, client_address
from live.wire.codec import Format, encode_plain, frame, plain
from live.wire.server import EventMessage, ReplayEnd, ReplayStart, ServerMessage
from rooms.analytics import refold
from rooms.commands import Entry
from rooms.events import INTERNAL_TYPES, STAFF_TYPES, ChatDeleted, ChatMessage, ChatPinned, Event
from rooms.fold import fold
from rooms.state import RoomState, Status
from rooms.types import RoomId

MIN_SPEED, MAX_SPEED = 0.1, 64.0
MAX_FROM_MS = 2**53 - 1


# Replays opening at once that load and fold their show: each is CPU-bound (a long show,
# a few hundred ms), so the rest wait their turn instead of starving the live rooms.
_LOADS = asyncio.Semaphore(2)


async def replay_socket(node: Node, ws: WebSocket, room_id: RoomId) -> None:
    """A replay costs the node more than a viewer: no token, so it is counted per address
    (the opens per minute, and at most ``max_connections_per_user`` at once from one address)."""
    fmt = await accept(ws, node.settings.allowed_origins, node.id)
    if fmt is None:
        return
    address = client_address(ws)
    try:
        node.limits.connect(f"replay:{address}", address)
    except RateLimited as exc:
        await ws.close(close_code(exc.code), exc.message)
        return
    try:
        await _replay(node, ws, room_id, fmt)
    finally:
        node.limits.disconnect(f"replay:{address}")


async def _replay(node: Node, ws: WebSocket, room_id: RoomId, fmt: Format) -> None:
    room = await node.store.get_room(room_id)
    if room is None or room["status"] != Status.ENDED.value or room["rehearsal_of"]:  # a rehearsal is its team's
        await ws.close(CloseCode.NOT_FOUND, "no finished session by that id")
        return
    try:
        from_ms = int(ws.query_params.get("from_ms", "0"))
        speed = float(ws.query_params.get("speed", "1"))
    except ValueError:
        from_ms, speed = -1, 0.0
    if not (0 <= from_ms <= MAX_FROM_MS and MIN_SPEED <= speed <= MAX_SPEED):
        await ws.close(CloseCode.POLICY, f"from_ms must be 0..{MAX_FROM_MS} and speed {MIN_SPEED}..{MAX_SPEED}")
        return
    hide = brand_pseudonyms(node.settings.pseudonym_key, room["brand_id"])

    async def send(messages: list[ServerMessage]) -> None:
        data = frame(fmt, [encode_plain(fmt, hide(plain(m))) for m in messages])
        await (ws.send_bytes(data) if fmt == "msgpack" else ws.send_text(data.decode()))

    start = room["went_live_at"] or room["created_at"]
    async with _LOADS:
        entries = entries_from_dicts(await node.store.load_entries(room_id))
        deleted, state, position = await asyncio.to_thread(_prepare, room_id, entries, start + from_ms)

    def shown(event: Event) -> bool:
        """As exports do: deleted messages never appear, nor do staff-only sales."""
        if event.type in INTERNAL_TYPES or event.type in STAFF_TYPES or isinstance(event, ChatDeleted):
            return False
        return not (isinstance(event, ChatMessage | ChatPinned) and event.message.id in deleted)

    closed = asyncio.get_running_loop().create_task(_until_closed(ws))
    try:
        await send([ReplayStart(offset_ms=from_ms, speed=speed, seq=state.seq, room=_snapshot(state, deleted))])
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for entry in entries[position:]:
            delay = (entry.ts - start - from_ms) / 1000 / speed - (loop.time() - t0)
            if delay > 0:
                await asyncio.wait([closed], timeout=delay)
            if closed.done():
                return
            _, events, _ = fold(state, entry)
            if visible := [EventMessage(entry.seq, entry.ts, ev, offset_ms=entry.ts - start) for ev in events if shown(ev)]:
                await send(list(visible))
        await send([ReplayEnd(state.seq)])
        await ws.close(1000)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the viewer left, maybe in the middle of a burst, before we heard of it: nothing to send to
    finally:
        closed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closed


def _prepare(room_id: RoomId, entries: list[Entry], until: int) -> tuple[set[int], RoomState, int]:
    """The messages deleted in the whole show, and the room folded up to ``until`` (and where
    that is in the log). Pure work, in a thread: the event loop keeps serving meanwhile."""
    _, folded = refold(room_id, entries)
    deleted = {ev.message_id for _, evs in folded for ev in evs if isinstance(ev, ChatDeleted)}
    state, position = RoomState(room_id), 0
    while position < len(entries) and entries[position].ts < until:
        fold(state, entries[position])
        position += 1
    return deleted, state, position


def _snapshot(state: RoomState, deleted: set[int]) -> dict[str, Any]:
    """The room as it was, without the messages that were deleted later."""
    snapshot = state.snapshot()
    snapshot["messages"] = [m for m in snapshot["messages"] if m["id"] not in deleted]
    if snapshot["pinned"] and snapshot["pinned"]["id"] in deleted:
        snapshot["pinned"] = None
    return snapshot


async def _until_closed(ws: WebSocket) -> None:
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass
