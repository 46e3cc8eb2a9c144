"""One joined room socket: each frame decoded, held to the limits, answered once.

The same object serves under any ASGI server (the gateway's loop awaits ``frame``)
and on our own protocol (``live.sockets.wsserver`` calls ``message``). There, a frame
that needs no wait (ping, reaction, anything refused) is answered in the call; a
command for the log runs as a task, and frames arriving meanwhile wait their turn
(reading pauses), so replies keep the order of the frames. An idle viewer holds this
object's slots and nothing else: no task, no bucket until its first frame.
"""

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any

from live import enrich, logs, metrics
from live.errors import CloseCode, Forbidden, ProtocolError, RateLimited, ServerError
from live.node import Node
from live.ratelimit import TokenBucket
from live.room.fanout import Member
from live.room.runtime import RoomRuntime
from live.sockets.wsserver import LiveWebSocketProtocol
from live.wire import client as w
from live.wire.codec import decode
from live.wire.server import Reply, reply_to
from rooms.auctions import standing
from rooms.chat import may_react
from rooms.commands import RulesAccept
from rooms.fold import Accepted

logger = logging.getLogger("live.gateway")
INTERNAL_ERROR = 1011  # a bug of ours: the client may reconnect


class Session:
    __slots__ = ("_bucket", "_ctx", "_errors", "_proto", "_queue", "_task", "address", "done", "member", "node", "rt")

    def __init__(self, node: Node, rt: RoomRuntime, member: Member, address: str, proto: LiveWebSocketProtocol | None) -> None:
        self.node, self.rt, self.member, self.address, self._proto = node, rt, member, address, proto
        self._bucket: TokenBucket | None = None  # made at the first frame: most viewers never send one
        self._ctx: contextvars.Context | None = None  # its commands' context, made at the first (they run one at a time)
        self._errors = 0
        self._queue: deque[bytes | str] | None = None  # frames waiting behind a command (None: none running)
        self._task: asyncio.Task[None] | None = None
        self.done = False  # closed for too many errors
        metrics.CONNECTIONS.inc()
        logger.debug("socket open (%s, %s)", member.actor.role, member.sink.fmt)

    def closed(self) -> None:
        """The connection is gone: out of the room and of the connection count (once)."""
        self.rt.leave(self.member)
        self.node.recipients.remove(self.rt.room_id, self.member)
        self.node.limits.disconnect(self.member.actor.user_id)
        metrics.CONNECTIONS.dec()
        if logger.isEnabledFor(logging.DEBUG):
            self._context().run(logger.debug, "socket closed")

    def _context(self) -> contextvars.Context:
        """A context whose log lines name this room and connection (a call from the transport has none)."""
        context = contextvars.copy_context()
        context.run(logs.ROOM.set, self.rt.room_id)
        context.run(logs.CONN.set, self.member.conn_id)
        return context

    def message(self, data: bytes | str) -> None:
        """A frame from our own protocol: answered now, or queued behind a running command."""
        if self._queue is not None:
            self._queue.append(data)
            if self._proto is not None:
                self._proto.pause_reading()
            return
        if (command := self.frame(data)) is not None:
            self._queue = deque()
            if self._ctx is None:
                self._ctx = self._context()
            self._task = asyncio.get_running_loop().create_task(self._drain(command), context=self._ctx)

    async def _drain(self, command: Coroutine[Any, Any, None]) -> None:
        try:
            await command
            while self._queue and not self.done:
                if (next_command := self.frame(self._queue.popleft())) is not None:
                    await next_command
        finally:
            self._queue = self._task = None
            if self._proto is not None:
                self._proto.resume_reading()

    def frame(self, data: bytes | str) -> Coroutine[Any, Any, None] | None:
        """One frame: answered now, or (a command for the log) a coroutine to await."""
        s, rid, timed = self.node.settings, None, False  # timed: a command (not a ping or reaction)
        received = time.perf_counter()
        try:
            rid, msg = decode(self.member.sink.fmt, data, s.max_frame_bytes)
            timed = not isinstance(msg, w.Ping | w.React | w.MyBids)
            if self._bucket is None:
                self._bucket = TokenBucket(s.commands_per_second, s.command_burst)
            if (wait := self._bucket.take()) > 0:
                metrics.RATE_LIMITED.labels("connection").inc()
                raise RateLimited("too many messages", retry_after_ms=int(wait * 1000) + 1)
            if isinstance(msg, w.Ping):
                self.rt.send(self.member, Reply.success(rid, {"pong": True}))
                return None
            self.node.limits.command(self.member.actor.user_id, self.address)
            if isinstance(msg, w.Hello):
                raise ProtocolError("already joined")
            if isinstance(msg, w.React):
                if (rejection := may_react(self.rt.state, self.member.actor)) is not None:
                    raise Forbidden(rejection.message)  # counts toward max_errors, like any refused frame
                self.rt.signals.react(msg.kind)
                self.rt.send(self.member, Reply.success(rid))
                return None
            return self._command(rid, msg, received)
        except ServerError as exc:
            self._error(exc, rid, received if timed else None)
        return None

    async def _command(self, rid: str | int | None, msg: w.ClientMessage, received: float) -> None:
        """A command through the log; the reply is the fold's outcome."""
        try:
            node, state = self.node, self.rt.state
            match msg:
                case w.Ping() | w.Hello() | w.React():
                    return  # answered by frame()
                case w.MyBids():
                    user = self.member.actor.user_id
                    self.rt.send(self.member, Reply.success(rid, {"auctions": [standing(a, user) for a in state.auctions.values() if user in a.maxes]}))
                    return
                case w.PinProduct() | w.CreateOffer() | w.StartAuction():
                    command = await enrich.catalog_command(node.store, state, msg, node.settings.pseudonym_key)
                case w.SpotlightReview():
                    command = await enrich.spotlight_command(node.store, state, msg, node.settings.pseudonym_key)
                case w.PostChat():
                    command = await enrich.chat_command(node.store, self.rt, self.member.actor, msg)
                case _:
                    command = msg
            actor = await node.brand_moderators.actor_for(state, self.member.actor, command, joined_as_staff=bool(self.member.staff))
            outcome = await self.rt.submit(actor, command)
            metrics.COMMANDS_ANSWERED["accepted" if isinstance(outcome, Accepted) else "rejected"].inc()
            if isinstance(command, RulesAccept) and isinstance(outcome, Accepted) and state.brand_id and state.rules is not None:
                await _remember_acceptance(node, state.brand_id, actor.user_id, enrich.rules_version(state.rules))
            reply = reply_to(rid, outcome)
            self.rt.send(self.member, reply)
            metrics.COMMAND_OUTCOMES["accepted" if reply.ok else "rejected"].observe(time.perf_counter() - received)
        except ServerError as exc:
            self._error(exc, rid, received)
        except Exception:
            if self._proto is None:
                raise  # the ASGI server logs it and drops the connection
            logger.exception("command failed")
            self.rt.leave(self.member)
            self.member.sink.close(INTERNAL_ERROR, "internal error; reconnect")

    def _error(self, exc: ServerError, rid: str | int | None, received: float | None) -> None:
        """The error as the frame's reply; the ``max_errors``-th is the last."""
        self._errors += 1
        metrics.PROTOCOL_ERRORS.labels(exc.code).inc()
        rid = exc.request_id if exc.request_id is not None else rid
        self.rt.send(self.member, Reply.failure(rid, exc.code, exc.message, exc.retry_after_ms))
        if received is not None:
            metrics.COMMAND_OUTCOMES["error"].observe(time.perf_counter() - received)
        if self._errors >= self.node.settings.max_errors:
            metrics.RATE_LIMITED.labels("max_errors").inc()
            logger.debug("too many invalid messages (%d): closing", self._errors)
            self.done = True
            self.rt.leave(self.member)
            self.member.sink.close(CloseCode.TOO_MANY_ERRORS, "too many invalid messages")


async def _remember_acceptance(node: Node, brand_id: str, user_id: str, version: str) -> None:
    """Once per brand and words: the next join in any of its rooms says so. The room's log has it
    anyway, so SQL being down costs the viewer one more acceptance elsewhere, never this room's."""
    try:
        await node.store.accept_rules(brand_id, user_id, int(time.time() * 1000), version)
    except Exception:
        logger.warning("could not record a rules acceptance", exc_info=True)
