"""The room socket: a thin pump between a WebSocket and a room runtime.

It checks the Origin, negotiates the encoding, waits for ``hello`` (the token
travels in it, never in a logged URL), joins the member, then decodes each frame,
hands commands to the room and writes the one reply. Rules live in ``rooms``.
"""

import asyncio
import dataclasses
import logging
import time
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from live import access, auth, enrich, logs, metrics
from live.access import RoomRef
from live.errors import AuthError, CloseCode, Forbidden, NotFound, ProtocolError, RateLimited, RoomEnded, ServerError, close_code
from live.node import Node
from live.ratelimit import TokenBucket
from live.room.fanout import Member
from live.room.runtime import RoomRuntime
from live.room.sinks import Sink, make_sink
from live.sockets.handshake import accept
from live.wire import client as w
from live.wire.codec import decode, frame_of
from live.wire.server import Reply, reply_to
from rooms.auctions import standing
from rooms.chat import may_react
from rooms.commands import RulesAccept
from rooms.fold import Accepted
from rooms.state import Status
from rooms.types import RoomId

logger = logging.getLogger("live.gateway")


async def room_socket(node: Node, ws: WebSocket, raw_send: Any, room_id: RoomId) -> None:
    """Serve one connection. ``raw_send`` is the ASGI server's own send (see live.app).

    This frame lives as long as the connection: the handshake's locals are kept in
    ``_join`` so that an idle viewer holds only what serving it needs.
    """
    joined = await _join(node, ws, raw_send, room_id)
    if joined is None:
        return
    rt, member = joined
    # Set after the join: tasks the join may start (opening the room) are not this connection's.
    logs.ROOM.set(room_id)
    logs.CONN.set(member.conn_id)
    metrics.CONNECTIONS.inc()
    opened = time.monotonic()
    logger.debug("socket open (%s, %s)", member.actor.role, member.sink.fmt)
    try:
        await _serve(ws, node, rt, member)
    except WebSocketDisconnect:
        pass
    finally:
        rt.leave(member)
        node.limits.disconnect(member.actor.user_id)
        metrics.CONNECTIONS.dec()
        logger.debug("socket closed after %.1f s", time.monotonic() - opened)


def _refuse(sink: Sink, error: ServerError) -> None:
    """The error as a reply, then the close code that tells the client whether to come back."""
    sink.write(frame_of(sink.fmt, Reply.failure(error.request_id, error.code, error.message, error.retry_after_ms)))
    sink.close(close_code(error.code), error.message)


async def _join(node: Node, ws: WebSocket, raw_send: Any, room_id: RoomId) -> tuple[RoomRuntime, Member] | None:
    """Origin, encoding, hello and token; then the member is welcomed into the room."""
    s = node.settings
    fmt = await accept(ws, s.allowed_origins)
    if fmt is None:
        return None
    sink = make_sink(raw_send, fmt)
    rt = await node.runtime(room_id)
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
        node.limits.connect(member.actor.user_id, _address(ws))
    except RateLimited as exc:
        exc.request_id = rid
        _refuse(sink, exc)
        return None
    rt.join(member, rid, hello.since, hello.epoch)
    return rt, member


def _address(ws: WebSocket) -> str:
    client = ws.scope.get("client")
    return str(client[0]) if client else "unknown"


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
    staff = actor.user_id in rt.state.moderators or await node.brand_moderators.at_join(rt.state, actor)
    return Member(conn_id, actor, sink, staff=True if staff else None), rid, hello


async def _serve(ws: WebSocket, node: Node, rt: RoomRuntime, member: Member) -> None:
    s, fmt = node.settings, member.sink.fmt
    bucket = TokenBucket(s.commands_per_second, s.command_burst)
    user, address = member.actor.user_id, _address(ws)
    errors = 0
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        received, timed = time.perf_counter(), False  # timed: a command (not a ping or reaction)
        rid: str | int | None = None
        try:
            rid, msg = decode(fmt, message.get("text") or message.get("bytes") or b"", s.max_frame_bytes)
            timed = not isinstance(msg, w.Ping | w.React | w.MyBids)
            if (wait := bucket.take()) > 0:
                metrics.RATE_LIMITED.labels("connection").inc()
                raise RateLimited("too many messages", retry_after_ms=int(wait * 1000) + 1)
            if not isinstance(msg, w.Ping):
                node.limits.command(user, address)
            reply = await _handle(node, rt, member, rid, msg)
            rt.send(member, reply)
            if timed:
                metrics.COMMAND_OUTCOMES["accepted" if reply.ok else "rejected"].observe(time.perf_counter() - received)
        except ServerError as exc:
            errors += 1
            metrics.PROTOCOL_ERRORS.labels(exc.code).inc()
            rid = exc.request_id if exc.request_id is not None else rid
            rt.send(member, Reply.failure(rid, exc.code, exc.message, exc.retry_after_ms))
            if timed:
                metrics.COMMAND_OUTCOMES["error"].observe(time.perf_counter() - received)
            if errors >= s.max_errors:  # the max_errors-th error reply is the last
                metrics.RATE_LIMITED.labels("max_errors").inc()
                logger.debug("too many invalid messages (%d): closing", errors)
                rt.leave(member)
                member.sink.close(CloseCode.TOO_MANY_ERRORS, "too many invalid messages")
                return


async def _handle(node: Node, rt: RoomRuntime, member: Member, rid: str | int | None, msg: w.ClientMessage) -> Reply:
    """One decoded message after the hello: its reply (commands go through the log)."""
    match msg:
        case w.Ping():
            return Reply.success(rid, {"pong": True})
        case w.Hello():
            raise ProtocolError("already joined")
        case w.React(kind=kind):
            if (rejection := may_react(rt.state, member.actor)) is not None:
                raise Forbidden(rejection.message)  # counts toward max_errors, like any refused frame
            rt.signals.react(kind)
            return Reply.success(rid)
        case w.MyBids():
            return Reply.success(rid, {"auctions": [standing(a, member.actor.user_id) for a in rt.state.auctions.values() if member.actor.user_id in a.maxes]})
        case w.PinProduct() | w.CreateOffer() | w.StartAuction():
            command = await enrich.catalog_command(node.store, rt.state, msg)
        case w.PostChat():
            command = enrich.with_intent(rt.state, await enrich.chat_command(node.store, rt, member.actor, msg))
        case _:
            command = msg
    actor = await node.brand_moderators.actor_for(rt.state, member.actor, command, joined_as_staff=bool(member.staff))
    outcome = await rt.submit(actor, command)
    metrics.COMMANDS_ANSWERED["accepted" if isinstance(outcome, Accepted) else "rejected"].inc()
    if isinstance(command, RulesAccept) and isinstance(outcome, Accepted) and rt.state.brand_id:
        await _remember_acceptance(node, rt.state.brand_id, actor.user_id)
    return reply_to(rid, outcome)


async def _remember_acceptance(node: Node, brand_id: str, user_id: str) -> None:
    """Once per brand: the next join in any of its rooms says so. The room's log has it anyway,
    so SQL being down costs the viewer one more acceptance elsewhere, never this room's."""
    try:
        await node.store.accept_rules(brand_id, user_id, int(time.time() * 1000))
    except Exception:
        logger.warning("could not record a rules acceptance", exc_info=True)
