"""The room socket: a thin pump between a WebSocket and a room runtime.

It checks the Origin, negotiates the encoding, waits for ``hello`` (the token
travels in it, never in a logged URL) and joins the member; from then on a
``Session`` decodes each frame, hands commands to the room and writes the one reply.
Rules live in ``rooms``.
"""

import asyncio
import dataclasses
import logging
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from live import access, auth, enrich, logs
from live.access import RoomRef
from live.errors import AuthError, Forbidden, LogUnavailable, NotFound, ProtocolError, RateLimited, RoomEnded, ServerError, Unavailable, close_code
from live.node import Node
from live.room.fanout import Member
from live.room.runtime import RoomRuntime
from live.room.sinks import AsgiSink, Sink
from live.sockets.handshake import accept, client_address
from live.sockets.session import Session
from live.sockets.wsserver import LiveWebSocketProtocol
from live.wire import client as w
from live.wire.codec import decode, frame_of
from live.wire.server import Mine, Reply
from rooms.checkout import my_orders
from rooms.cohosts import is_staff
from rooms.roles import SEES_SALES, Role
from rooms.state import Status
from rooms.statuses import ReservationStatus
from rooms.types import RoomId

logger = logging.getLogger("live.gateway")


async def room_socket(node: Node, ws: WebSocket, raw_send: Any, room_id: RoomId) -> None:
    """Serve one connection. ``raw_send`` is the ASGI server's own send (see live.app).

    On our own WebSocket protocol (``live.sockets.wsserver``) this returns once the
    member has joined: frames then arrive as calls and an idle viewer keeps no task.
    Under any other ASGI server this frame lives as long as the connection; the
    handshake's locals are kept in ``_join`` so an idle viewer holds only what serving it needs.
    """
    proto = LiveWebSocketProtocol.behind(raw_send)
    joined = await _join(node, ws, raw_send, room_id, proto)
    if joined is None:
        return
    logs.ROOM.set(room_id)  # set after the join: tasks the join may start (opening the room) are not this connection's
    logs.CONN.set(joined[1].conn_id)
    session = Session(node, joined[0], joined[1], client_address(ws), proto)
    if proto is not None:
        proto.serve(session)
        return
    try:
        while not session.done:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if (command := session.frame(message.get("text") or message.get("bytes") or b"")) is not None:
                await command
    finally:
        session.closed()


def _refuse(sink: Sink, error: ServerError) -> None:
    """The error as a reply, then the close code that tells the client whether to come back."""
    sink.write(frame_of(sink.fmt, Reply.failure(error.request_id, error.code, error.message, error.retry_after_ms)))
    sink.close(close_code(error.code), error.message)


async def _join(node: Node, ws: WebSocket, raw_send: Any, room_id: RoomId, proto: LiveWebSocketProtocol | None) -> tuple[RoomRuntime, Member] | None:
    """Origin, encoding, hello and token; then the member is welcomed into the room."""
    s = node.settings
    fmt = await accept(ws, s.allowed_origins, node.id)
    if fmt is None:
        return None
    sink: Sink
    if proto is not None:
        proto.fmt, sink = fmt, proto
    else:
        sink = AsgiSink(fmt, raw_send)
    try:
        rt = await node.runtime(room_id)
    except LogUnavailable:  # Redis restarting, say: a clear answer and a retry, not a dropped socket
        _refuse(sink, Unavailable("the room cannot be opened right now; reconnect in a moment"))
        return None
    if rt is None:
        _refuse(sink, NotFound("no such room"))
        return None
    try:
        member, rid, hello = await asyncio.wait_for(_hello(ws, node, rt, sink), s.hello_timeout_seconds)
    except TimeoutError:
        _refuse(sink, AuthError("no hello in time"))
        return None
    except (AuthError, ProtocolError) as exc:
        _refuse(sink, exc)
        return None
    except WebSocketDisconnect:
        return None
    if rt.state.status is Status.ENDED:
        _refuse(sink, RoomEnded("the room has ended", request_id=rid))
        return None
    try:
        node.limits.connect(member.actor.user_id, client_address(ws))
    except RateLimited as exc:
        exc.request_id = rid
        _refuse(sink, exc)
        return None
    try:
        following = await _following(node, rt, member)
        reviewed = await _reviewed(node, rt, member)
        rt = await _current(node, room_id, rt)
        if rt is None or rt.state.status is Status.ENDED:  # let go while this join awaited, and ended since
            node.limits.disconnect(member.actor.user_id)
            _refuse(sink, RoomEnded("the room has ended", request_id=rid) if rt else NotFound("no such room", request_id=rid))
            return None
        rt.join(member, rid, hello.since, hello.epoch)
    except BaseException:  # the connection slot goes back whatever failed (the Session owns it from here)
        node.limits.disconnect(member.actor.user_id)
        raise
    if member.actor.role is not Role.GUEST:  # then, with no await between: their own orders as of the welcome
        node.recipients.add(room_id, member)
        rt.send(member, Mine(orders=my_orders(rt.state, member.actor.user_id), following=following, reviewed=reviewed))
    return rt, member


async def _current(node: Node, room_id: RoomId, rt: RoomRuntime | None) -> RoomRuntime | None:
    """The runtime the node has for the room now. While a join awaited (hello, SQL) the node
    may have let the room go (idle, or its log reset): joining that closed runtime would
    leave the member in a room nobody serves, so the join goes to the one open now."""
    while rt is not None and node.runtimes.get(room_id) is not rt:
        rt = node.runtimes.get(room_id) or await node.runtime(room_id)
    return rt


async def _following(node: Node, rt: RoomRuntime, member: Member) -> dict[str, bool]:
    """Whether a signed-in viewer follows the room's brand and host (the follow button's state)."""
    if member.actor.role is Role.GUEST:
        return {}
    state = rt.state
    targets = [("brand", state.brand_id)] if state.brand_id else []
    targets += [("host", state.host_id)] if state.host_id else []
    follows = await node.store.follows_of(member.actor.user_id, targets)
    return {kind: (kind, target) in follows for kind, target in targets}


async def _reviewed(node: Node, rt: RoomRuntime, member: Member) -> list[int]:
    """The viewer's paid orders in the room that they have reviewed (a reload shows no second form)."""
    paid = [r.id for r in rt.state.reservations.values() if r.user_id == member.actor.user_id and r.status == ReservationStatus.PAID]
    return sorted(await node.store.reviewed(rt.room_id, paid)) if paid and member.actor.role is not Role.GUEST else []


async def _hello(ws: WebSocket, node: Node, rt: RoomRuntime, sink: Sink) -> tuple[Member, str | int | None, w.Hello]:
    conn_id = uuid.uuid4().hex[:12]
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    rid, hello = decode(sink.fmt, message.get("text") or message.get("bytes") or b"", node.settings.max_frame_bytes)
    if not isinstance(hello, w.Hello):
        raise ProtocolError("the first message must be hello", request_id=rid)
    if hello.token is None:
        if not rt.state.allow_guests:
            raise Forbidden("this room does not allow guests; sign in", request_id=rid)
        actor = auth.guest(conn_id)
    else:
        try:
            actor = access.room_actor(await node.verifier.identify(hello.token), RoomRef.of_state(rt.state))
        except AuthError as exc:
            exc.request_id = rid
            raise
        if actor.ref is None and hello.ref:
            actor = dataclasses.replace(actor, ref=hello.ref[: auth.MAX_NAME])
        actor = await enrich.with_rules_accepted(node.store, rt.state, await enrich.with_badges(node.store, rt.state, actor))
    brand_staff = await node.brand_moderators.at_join(rt.state, actor)
    staff = is_staff(rt.state, actor.user_id) or brand_staff
    if rt.state.rehearsal_of is not None and not (staff or actor.role in SEES_SALES):
        raise Forbidden("this is a private rehearsal: the host's team only", request_id=rid)
    return Member(conn_id, actor, sink, staff=True if staff else None, brand_staff=bool(brand_staff)), rid, hello
