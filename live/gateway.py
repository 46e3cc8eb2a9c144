"""The WebSocket endpoint: a thin pump between a socket and a room runtime.

It checks the Origin, negotiates the encoding, waits for ``hello`` (the token
travels in it, never in a logged URL), joins the member, then decodes each frame,
hands commands to the room and writes the one reply. Rules live in ``rooms``.
"""

import asyncio
import dataclasses
import logging
import uuid
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from live import auth, commerce_api, metrics
from live import protocol as p
from live.errors import AuthError, CloseCode, Forbidden, NotFound, ProtocolError, RateLimited, RoomEnded, ServerError
from live.node import Node
from live.ratelimit import TokenBucket
from live.room import Member, RoomRuntime, reply_for
from live.sinks import Sink, make_sink, ws_frame
from rooms.fold import Accepted
from rooms.roles import Role
from rooms.state import Status
from rooms.types import RoomId

log = logging.getLogger("live.gateway")


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Browsers always send Origin; other clients don't, and still need a token to write."""
    if origin is None:
        return True
    if "*" in allowed or origin in allowed:
        return True
    return urlsplit(origin).netloc == host


def origin_ok(ws: WebSocket, allowed: list[str]) -> bool:
    headers = dict(ws.scope["headers"])  # not ws.headers: that would keep a copy per connection
    origin, host = headers.get(b"origin"), headers.get(b"host")
    return origin_allowed(origin and origin.decode("latin-1"), host and host.decode("latin-1"), allowed)


async def room_socket(node: Node, ws: WebSocket, room_id: RoomId) -> None:
    """Serve one connection. ``ws`` wraps the ASGI server's own send (see live.app).

    This frame lives as long as the connection: the handshake's locals are kept in
    ``_join`` so that an idle viewer holds only what serving it needs.
    """
    joined = await _join(node, ws, room_id)
    if joined is None:
        return
    rt, member = joined
    metrics.CONNECTIONS.inc()
    try:
        await _serve(ws, node, rt, member)
    except WebSocketDisconnect:
        pass
    finally:
        rt.leave(member)
        metrics.CONNECTIONS.dec()


def _refuse(sink: Sink, code: CloseCode, error: ServerError) -> None:
    fmt = sink.fmt
    sink.write(ws_frame(fmt, p.frame(fmt, [p.encode(fmt, p.reply_error(error.request_id, error.code, error.message))])))
    sink.close(code, error.message)


async def _join(node: Node, ws: WebSocket, room_id: RoomId) -> tuple[RoomRuntime, Member] | None:
    """Origin, encoding, hello and token; then the member is welcomed into the room."""
    s = node.settings
    if not origin_ok(ws, s.allowed_origins):
        await ws.close(CloseCode.POLICY)  # before accept: the handshake gets HTTP 403
        return None
    chosen = next((sp for sp in ws.scope.get("subprotocols", []) if sp in p.SUBPROTOCOLS), None)
    fmt = p.SUBPROTOCOLS.get(chosen or "", p.Format.JSON)
    await ws.accept(subprotocol=chosen)
    sink = make_sink(ws._send, fmt)
    rt = await node.runtime(room_id)
    if rt is None:
        _refuse(sink, CloseCode.NOT_FOUND, NotFound("no such room"))
        return None
    try:
        member, rid, hello = await asyncio.wait_for(_hello(ws, node, rt, sink), s.hello_timeout_seconds)
    except TimeoutError:
        _refuse(sink, CloseCode.UNAUTHORIZED, AuthError("no hello in time"))
        return None
    except Forbidden as exc:
        _refuse(sink, CloseCode.FORBIDDEN, exc)
        return None
    except (AuthError, ProtocolError) as exc:
        _refuse(sink, CloseCode.UNAUTHORIZED, exc)
        return None
    except WebSocketDisconnect:
        return None
    if rt.state.status is Status.ENDED:
        _refuse(sink, CloseCode.ROOM_ENDED, RoomEnded("the room has ended", request_id=rid))
        return None
    rt.join(member, rid, hello.since, hello.epoch)
    return rt, member


async def _hello(ws: WebSocket, node: Node, rt: RoomRuntime, sink: Sink) -> tuple[Member, str | int | None, p.Hello]:
    conn_id = uuid.uuid4().hex[:12]
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    rid, hello = p.decode(sink.fmt, message.get("text") or message.get("bytes") or b"", node.settings.max_frame_bytes)
    if not isinstance(hello, p.Hello):
        raise ProtocolError("the first message must be hello", request_id=rid)
    if hello.token is None:
        if not rt.state.allow_guests:
            raise Forbidden("this room does not allow guests; sign in", request_id=rid)
        actor = auth.guest(conn_id)
    else:
        try:
            actor = auth.verify(node.settings.token_secret, hello.token, rt.room_id)
        except AuthError as exc:
            exc.request_id = rid
            raise
        if actor.ref is None and hello.ref:
            actor = dataclasses.replace(actor, ref=hello.ref[: auth.MAX_NAME])
        if rt.state.brand_id:
            actor = dataclasses.replace(actor, badges=await node.store.brand_badges(rt.state.brand_id, actor.user_id))
    return Member(conn_id, actor, sink), rid, hello


async def _serve(ws: WebSocket, node: Node, rt: RoomRuntime, member: Member) -> None:
    s, fmt = node.settings, member.sink.fmt
    bucket = TokenBucket(s.commands_per_second, s.command_burst)
    errors = 0
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        rid: str | int | None = None
        try:
            rid, msg = p.decode(fmt, message.get("text") or message.get("bytes") or b"", s.max_frame_bytes)
            if (wait := bucket.take()) > 0:
                raise RateLimited("too many messages", retry_after_ms=int(wait * 1000) + 1)
            if isinstance(msg, p.Ping):
                rt.send(member, p.reply_ok(rid, {"pong": True}))
            elif isinstance(msg, p.Hello):
                raise ProtocolError("already joined")
            elif isinstance(msg, p.React):
                if member.actor.role is Role.GUEST or member.actor.user_id in rt.state.banned:
                    raise Forbidden("you may not react in this room")
                rt.react(msg.kind)
                rt.send(member, p.reply_ok(rid))
            else:
                command = await commerce_api.catalog_command(node, rt.state, msg) if isinstance(msg, p.CatalogRequest) else msg
                outcome = await rt.submit(member.actor, command)
                metrics.COMMANDS.labels("accepted" if isinstance(outcome, Accepted) else "rejected").inc()
                rt.send(member, reply_for(rid, outcome))
        except ServerError as exc:
            errors += 1
            metrics.PROTOCOL_ERRORS.labels(exc.code).inc()
            rid = exc.request_id if exc.request_id is not None else rid
            rt.send(member, p.reply_error(rid, exc.code, exc.message, exc.retry_after_ms))
            if errors > s.max_errors:
                rt.leave(member)
                member.sink.close(CloseCode.TOO_MANY_ERRORS, "too many invalid messages")
                return
