"""A connection's outbound side: write prepared bytes, report a slow consumer.

The fan-out builds each WebSocket frame once per wire format and hands the same
bytes to every sink. ``TransportSink`` writes them straight into the socket's
transport (uvicorn's websockets-sansio protocol, behind the raw ASGI ``send``),
which costs one ``transport.write`` per viewer and never awaits a client. What the
transport still holds after a write is the member's backlog, which the fan-out
judges; for it to mean anything the kernel's share must be small, so
``limit_send_buffer`` sets the socket's send buffer (Linux would otherwise grow it
to 4 MiB, where a reader who stopped goes unseen for half a minute). ``AsgiSink`` is
the portable fallback for other ASGI servers: a bounded buffer drained by one writer
task.
"""

import asyncio
import contextlib
import logging
import random
import socket
from collections import deque
from typing import Any, Protocol

from live.errors import CloseCode
from live.wire.codec import Format

logger = logging.getLogger("live.sinks")

CLOSE_TIMEOUT_SECONDS = 5.0  # how long a closing slow client gets to drain before we abort


class Sink(Protocol):
    fmt: Format

    def write(self, frame: bytes) -> int:
        """Queue one prepared frame; returns the bytes still waiting to go out."""
        ...

    def buffered(self) -> int: ...

    def limit_send_buffer(self, nbytes: int) -> None:
        """Bound what the kernel holds unsent for this connection (0: leave it to the kernel)."""
        ...

    def close(self, code: CloseCode, reason: str) -> None: ...


class TransportSink:
    __slots__ = ("_closing", "_proto", "_transport", "fmt")

    def __init__(self, fmt: Format, proto: Any) -> None:
        self.fmt = fmt
        self._proto = proto
        self._transport = proto.transport
        # The handshake is done: its parsed request and response (headers and all)
        # are dead weight on every idle connection.
        proto.request = proto.response = None
        # uvicorn starts each connection's keepalive at its handshake, so a burst of joins
        # pings (and gets pongs) in one burst every interval, stalling the fan-out. Each
        # ping reschedules the next one, so a random first phase spreads them for good.
        if getattr(proto, "ping_timer", None) is not None and proto.ping_interval:
            proto.ping_timer.cancel()
            proto.ping_timer = proto.loop.call_later(random.uniform(0.1, 1.0) * proto.ping_interval, proto.send_keepalive_ping)
        self._closing = False

    def write(self, frame: bytes) -> int:
        if self._closing or self._proto.close_sent or self._transport.is_closing():
            return 0  # already going away; its receive loop cleans up
        self._transport.write(frame)
        return int(self._transport.get_write_buffer_size())

    def buffered(self) -> int:
        return int(self._transport.get_write_buffer_size())

    def limit_send_buffer(self, nbytes: int) -> None:
        """SO_SNDBUF on the socket; Linux doubles it for bookkeeping and stops autotuning it."""
        sock = self._transport.get_extra_info("socket")
        if nbytes > 0 and sock is not None:
            with contextlib.suppress(OSError):  # a socket already gone: its receive loop cleans up
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, nbytes)

    def close(self, code: CloseCode, reason: str) -> None:
        """Queue the close frame behind what is already buffered, without waiting.

        This mirrors uvicorn's own close path minus its wait for the buffer to drain,
        which a slow consumer would make the room wait on. The client reads its
        backlog, then the close code; one that reads nothing is cut off after a timeout.
        """
        if self._closing:
            return
        self._closing = True
        proto, transport = self._proto, self._transport
        if proto.close_sent or transport.is_closing():
            return
        proto.queue.put_nowait({"type": "websocket.disconnect", "code": int(code), "reason": reason})
        proto.conn.send_close(int(code), reason)
        transport.write(b"".join(proto.conn.data_to_send()))
        proto.close_sent = True
        proto.close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_SECONDS, transport.abort)


class AsgiSink:
    """Its buffer is bounded like TransportSink's: the room closes it as slow past the bound."""

    def __init__(self, fmt: Format, send: Any) -> None:
        self.fmt = fmt
        self._send = send
        self._queue: deque[bytes] = deque()
        self._queued = 0
        self._wake = asyncio.Event()
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._drain())
        self._key = "text" if fmt is Format.JSON else "bytes"

    def write(self, frame: bytes) -> int:
        if self._closing:
            return 0
        self._queue.append(frame)
        self._queued += len(frame)
        self._wake.set()
        return self._queued

    def buffered(self) -> int:
        return self._queued

    def limit_send_buffer(self, nbytes: int) -> None:
        """The socket is the ASGI server's: out of reach, so what it buffers is not seen."""

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                frame = self._queue.popleft()
                self._queued -= len(frame)
                data = _unframe(frame)
                with contextlib.suppress(Exception):
                    await self._send({"type": "websocket.send", self._key: data.decode() if self._key == "text" else data})

    def close(self, code: CloseCode, reason: str) -> None:
        if not self._closing:
            self._closing = True
            self._task.cancel()
            _spawn_close(self._send, code, reason)


def _unframe(frame: bytes) -> bytes:
    """The payload of a frame built by ``live.wire.codec.ws_frame`` (unmasked, unfragmented)."""
    n = frame[1] & 0x7F
    return frame[2 + {126: 2, 127: 8}.get(n, 0) :]


_closing_tasks: set[asyncio.Task[None]] = set()


def _spawn_close(send: Any, code: CloseCode, reason: str) -> None:
    async def close() -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(send({"type": "websocket.close", "code": int(code), "reason": reason}), CLOSE_TIMEOUT_SECONDS)

    task = asyncio.get_running_loop().create_task(close())
    _closing_tasks.add(task)
    task.add_done_callback(_closing_tasks.discard)


def uvicorn_protocol(send: Any) -> Any | None:
    """uvicorn's websockets-sansio protocol behind a raw ASGI ``send``, if that is what it is."""
    proto = getattr(send, "__self__", None)
    if proto is not None and all(hasattr(proto, a) for a in ("transport", "close_sent", "close_timer", "conn", "queue")):
        return proto
    return None


def make_sink(raw_send: Any, fmt: Format) -> Sink:
    """``raw_send`` is the ASGI server's own send, before any middleware wraps it."""
    proto = uvicorn_protocol(raw_send)
    if proto is not None:
        return TransportSink(fmt, proto)
    return AsgiSink(fmt, raw_send)
