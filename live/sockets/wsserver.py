"""The WebSocket protocol uvicorn hands upgraded connections to (``uvicorn.Config(ws=...)``).

HTTP stays on uvicorn and Starlette. A room socket (``/v1/rooms/{id}/ws``) gets this
lean connection; any other WebSocket path is handed, request and all, to uvicorn's own
websockets-sansio protocol.

Why our own: an idle viewer is the common case (thousands per room), and uvicorn's
protocol keeps per connection an asyncio queue, two events, a websockets parser whose
suspended generator holds the parsed handshake, the ASGI scope and a task whose frames
live as long as the socket (19 KB in all). Here the handshake is parsed by websockets
and then dropped; the app runs over ASGI only until the gateway has joined the member
(``serve``), then the task ends and frames arrive as calls (``Handler.message``).
What an idle connection keeps is this object's slots and the unread tail of its stream.

The object is also the member's outbound side (``live.room.sinks.Sink``): the fan-out
writes prepared frame bytes straight into the transport, and the transport's buffer
is the member's backlog. Keepalive (``live.sockets.wheel``): a ping per interval; one
unanswered for a whole interval closes 1011 (any frame from the client counts as an answer).
"""

import asyncio
import contextlib
import logging
import re
import socket
from collections import deque
from typing import Any, Protocol

from uvicorn.config import Config
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.http11 import Request
from websockets.server import ServerProtocol

from live.errors import CloseCode
from live.sockets.wheel import KeepaliveWheel
from live.wire import frames as f
from live.wire.codec import Format

logger = logging.getLogger("live.ws")

ROOM_PATH = re.compile(rb"^GET /v1/rooms/[A-Za-z0-9_-]{1,64}/ws[? ]")
CLOSE_TIMEOUT_SECONDS = 5.0  # how long a closing client gets to read its backlog before we abort
HANDSHAKE, OPEN, CLOSING, CLOSED = 0, 1, 2, 3
DISCONNECTED = {"type": "websocket.disconnect", "code": 1006}
PING = f.frame(f.PING, b"")


class Handler(Protocol):
    """What serves a joined connection (``live.sockets.gateway.Session``)."""

    def message(self, data: bytes | str) -> None: ...

    def closed(self) -> None: ...


class _Server:
    """What every connection of one uvicorn server shares: one object, not a copy each."""

    __slots__ = ("app", "app_state", "config", "max_size", "state", "wheel")

    def __init__(self, config: Config, state: ServerState, app_state: dict[str, Any]) -> None:
        self.config, self.state, self.app_state, self.app = config, state, app_state, config.loaded_app
        self.max_size = config.ws_max_size
        self.wheel = KeepaliveWheel(config.ws_ping_interval or 0.0)


_servers: dict[int, _Server] = {}


class LiveWebSocketProtocol(asyncio.Protocol):
    __slots__ = ("_buf", "_handler", "_hs", "_inbox", "_parts", "_pinged", "_server", "_slot", "_state", "_timer", "_transport", "_waiter", "fmt")

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any], _loop: Any = None) -> None:
        server = _servers.get(id(config))
        if server is None or server.state is not server_state:
            server = _servers[id(config)] = _Server(config, server_state, app_state)
        self._server = server
        self._transport: asyncio.Transport = None  # type: ignore[assignment]
        self._state = HANDSHAKE
        self._buf = b""  # the unread tail of the stream: a frame not yet whole
        self._parts: list[bytes] | None = None  # a fragmented message so far (first part's opcode first)
        self._hs: tuple[ServerProtocol, Any] | None = None  # the handshake until the app answers it
        self._inbox: deque[dict[str, Any]] | None = None  # ASGI messages until the gateway serves
        self._waiter: asyncio.Future[dict[str, Any]] | None = None
        self._handler: Handler | None = None
        self._timer: asyncio.TimerHandle | None = None  # the abort of a close the client does not answer
        self._slot = -1  # where the keepalive wheel holds it
        self._pinged = False
        self.fmt = Format.JSON

    @staticmethod
    def behind(send: Any) -> "LiveWebSocketProtocol | None":
        """The connection behind an ASGI ``send``, if it is one of ours (see live.app)."""
        proto = getattr(send, "__self__", None)
        return proto if isinstance(proto, LiveWebSocketProtocol) else None

    # --- the transport's side --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._server.state.connections.add(self)  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = CLOSED
        self._server.state.connections.discard(self)
        self._server.wheel.unwatch(self, self._slot)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        handler, self._handler = self._handler, None  # no cycle left through the member's sink
        if handler is not None:
            handler.closed()
        else:
            self._deliver(DISCONNECTED)

    def data_received(self, data: bytes) -> None:
        if self._state == HANDSHAKE and self._hs is None and self._inbox is None:
            self._handshake(self._buf + data)
            return
        buf, pos = (self._buf + data if self._buf else data), 0
        self._pinged = False  # the client is alive
        try:
            while self._state < CLOSED and (got := f.read(buf, pos, self._server.max_size)) is not None:
                fin, opcode, payload, pos = got
                self._frame(fin, opcode, payload)
        except f.FrameError as exc:
            self._fail(exc.code, exc.reason)
            return
        self._buf = buf[pos:] if pos < len(buf) else b""

    def shutdown(self) -> None:
        """uvicorn is stopping: 1012 (service restart), then the socket goes."""
        if self._state == OPEN:
            self._transport.write(f.close_frame(1012))
        self._state = CLOSING
        self._transport.close()

    # --- the handshake, over ASGI ----------------------------------------------------

    def _handshake(self, data: bytes) -> None:
        if b"\r\n\r\n" not in data:
            self._buf = data  # not whole yet (uvicorn hands it over whole; be safe)
            return
        self._buf = b""
        if not ROOM_PATH.match(data):
            self._hand_over(data)
            return
        hs = ServerProtocol(max_size=self._server.max_size, logger=logger)
        hs.receive_data(data)
        request = next((e for e in hs.events_received() if isinstance(e, Request)), None)
        response = hs.accept(request) if request is not None else hs.reject(400, "Bad Request\n")
        hs.parser.close()  # its suspended generator holds the protocol in a cycle, which gc.freeze() would keep
        if request is None or response.status_code != 101:
            self._respond(response.serialize())
            return
        self._hs = (hs, response)
        self._inbox = deque([{"type": "websocket.connect"}])
        task = asyncio.get_running_loop().create_task(self._run(self._scope(request)))
        self._server.state.tasks.add(task)
        task.add_done_callback(self._server.state.tasks.discard)

    def _hand_over(self, data: bytes) -> None:
        """Not a room socket: uvicorn's own protocol serves it, from the request on."""
        s = self._server
        self._state = CLOSED
        s.state.connections.discard(self)
        proto = WebSocketsSansIOProtocol(config=s.config, server_state=s.state, app_state=s.app_state)
        proto.connection_made(self._transport)
        # Not at once: uvicorn's HTTP protocol sets *this* one as the transport's protocol right
        # after this call returns, which would leave the rest of the stream (the client's
        # close reply: every close then waited 10 s) with us. Scheduled before anything the
        # new protocol does, so it is in place before any further read or close.
        asyncio.get_running_loop().call_soon(self._transport.set_protocol, proto)
        proto.data_received(data)

    def _scope(self, request: Request) -> dict[str, Any]:
        path, _, query = request.path.partition("?")
        offered = [p.strip() for h in request.headers.get_all("Sec-WebSocket-Protocol") for p in h.split(",")]
        root = self._server.config.root_path
        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if is_ssl(self._transport) else "ws",
            "server": get_local_addr(self._transport),
            "client": get_remote_addr(self._transport),
            "root_path": root,
            "path": root + path,
            "raw_path": (root + path).encode("ascii"),
            "query_string": query.encode("ascii"),
            "headers": [(k.lower().encode("ascii"), v.encode("latin-1")) for k, v in request.headers.raw_items()],
            "subprotocols": offered,
            "state": self._server.app_state.copy(),
            "extensions": {},
        }

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self._server.app(scope, self.receive, self.send)
        except Exception:
            logger.exception("room socket failed")
            if self._state == HANDSHAKE:
                self._respond(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        if self._handler is None and self._state < CLOSING:
            self._state = CLOSING
            self._transport.close()
        self._inbox = None

    def _respond(self, response: bytes) -> None:
        """An HTTP answer instead of the upgrade, and the connection ends."""
        self._hs, self._state = None, CLOSING
        self._transport.write(response)
        self._transport.close()

    async def receive(self) -> dict[str, Any]:
        """ASGI receive, until the gateway serves: one message, or wait for it."""
        inbox = self._inbox
        if inbox:
            message = inbox.popleft()
            if not inbox:
                self.resume_reading()
            return message
        if self._state == CLOSED or inbox is None:
            return DISCONNECTED
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            return await self._waiter
        finally:
            self._waiter = None

    async def send(self, message: dict[str, Any]) -> None:
        """ASGI send: accept (101), refuse (403 before accept), a frame, or close."""
        kind = message["type"]
        if self._state == HANDSHAKE and self._hs is not None:
            hs, response = self._hs
            if kind == "websocket.accept":
                self._accept(response, message)
            elif kind == "websocket.close":
                self._respond(hs.reject(403, "").serialize())
            else:
                raise RuntimeError(f"expected websocket.accept or websocket.close, got {kind}")
        elif kind == "websocket.send" and self._state == OPEN:
            text = message.get("text")
            self._transport.write(f.frame(f.TEXT, text.encode()) if text is not None else f.frame(f.BINARY, message.get("bytes") or b""))
        elif kind == "websocket.close":
            self.close(message.get("code", 1000), message.get("reason") or "")

    def _accept(self, response: Any, message: dict[str, Any]) -> None:
        del response.headers["Date"]  # uvicorn's default headers carry the date (and its name)
        for name, value in self._server.state.default_headers + list(message.get("headers", [])):
            response.headers[name.decode("latin-1")] = value.decode("latin-1")
        if message.get("subprotocol"):
            response.headers["Sec-WebSocket-Protocol"] = message["subprotocol"]
        self._hs, self._state = None, OPEN
        self._transport.write(response.serialize())
        self._slot = self._server.wheel.watch(self)

    def _deliver(self, message: dict[str, Any]) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(message)
        elif self._inbox is not None:
            self._inbox.append(message)
            self.pause_reading()  # one message at a time, like any ASGI server

    def serve(self, handler: Handler) -> None:
        """From now on frames go to ``handler``; what arrived before the join goes first."""
        if self._state == CLOSED:  # gone while the join awaited: out of the room and the counts at once
            handler.closed()
            return
        inbox, self._inbox = self._inbox, None
        self._handler = handler
        self.resume_reading()
        for message in inbox or ():
            if message["type"] == "websocket.receive":
                handler.message(message.get("text") or message.get("bytes") or b"")

    def pause_reading(self) -> None:
        if self._state < CLOSING:
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._state < CLOSING:
            self._transport.resume_reading()

    # --- frames in -------------------------------------------------------------------

    def _frame(self, fin: bool, opcode: int, payload: bytes) -> None:
        if opcode >= f.CLOSE:
            self._control(opcode, payload)
            return
        if self._state != OPEN:
            return  # past our close: what the client still sends is dropped
        if opcode == f.CONT:
            if self._parts is None:
                raise f.FrameError(1002, "unexpected continuation frame")
            self._parts.append(payload)
            if sum(map(len, self._parts)) > self._server.max_size:
                raise f.FrameError(1009, f"message over {self._server.max_size} bytes")
            if not fin:
                return
            opcode, payload, self._parts = self._parts[0][0], b"".join(self._parts[1:]), None
        elif self._parts is not None:
            raise f.FrameError(1002, "expected a continuation frame")
        elif not fin:
            self._parts = [bytes((opcode,)), payload]
            return
        if opcode == f.TEXT:
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                raise f.FrameError(1007, "text frame is not UTF-8") from None
            self._message(text, "text")
        else:
            self._message(payload, "bytes")

    def _message(self, data: bytes | str, key: str) -> None:
        if self._handler is not None:
            self._handler.message(data)
        else:
            self._deliver({"type": "websocket.receive", key: data})

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == f.PING:
            if self._state == OPEN:
                self._transport.write(f.frame(f.PONG, payload))
        elif opcode == f.CLOSE:
            code, reason = f.close_of(payload)
            if self._state == OPEN:  # the client closes: echo its code, then the socket goes
                self._transport.write(f.close_frame(code))
                self._deliver({"type": "websocket.disconnect", "code": code, "reason": reason})
            self._state = CLOSED
            self._transport.close()

    def _fail(self, code: int, reason: str) -> None:
        if self._state == OPEN:
            self._transport.write(f.close_frame(code, reason))
        self._state = CLOSED
        self._transport.close()

    def keepalive(self) -> bool:
        """The wheel's visit, once per ping interval: ping, or close 1011; False: no more visits."""
        if self._state != OPEN:
            return False
        if self._pinged:  # nothing from the client for a whole interval, not even the pong
            self._fail(1011, "keepalive ping timeout")
            return False
        self._pinged = True
        self._transport.write(PING)
        return True

    # --- the member's outbound side (live.room.sinks.Sink) ------------------------------

    def write(self, frame: bytes) -> int:
        if self._state != OPEN:
            return 0  # going away: the connection's cleanup takes it out of the room
        self._transport.write(frame)
        return int(self._transport.get_write_buffer_size())

    def buffered(self) -> int:
        return int(self._transport.get_write_buffer_size())

    def limit_send_buffer(self, nbytes: int) -> None:
        """SO_SNDBUF on the socket; Linux doubles it for bookkeeping and stops autotuning it."""
        sock = self._transport.get_extra_info("socket")
        if nbytes > 0 and sock is not None:
            with contextlib.suppress(OSError, ValueError):  # a socket already gone (uvloop: fd -1): its cleanup follows
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, nbytes)

    def close(self, code: CloseCode | int, reason: str) -> None:
        """Queue the close frame behind what is already buffered, without waiting.

        The client reads its backlog, then the close code; one that has not answered
        (or drained) within ``CLOSE_TIMEOUT_SECONDS`` is cut off.
        """
        if self._state != OPEN:
            return
        self._state = CLOSING
        self._transport.write(f.close_frame(int(code), reason))
        self._timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_SECONDS, self._transport.abort)
        self._deliver({"type": "websocket.disconnect", "code": int(code), "reason": reason})
