"""A connection's outbound side: write prepared bytes, report a slow consumer.

The fan-out builds each WebSocket frame once per wire format and hands the same
bytes to every sink. On this server the sink is the connection itself
(``live.sockets.wsserver``): it writes them straight into the socket's transport,
one ``transport.write`` per viewer, never awaiting a client. What the transport still
holds after a write is the member's backlog, which the fan-out judges; for it to mean
anything the kernel's share must be small, so ``limit_send_buffer`` sets the socket's
send buffer (Linux would otherwise grow it to 4 MiB, where a reader who stopped goes
unseen for half a minute). ``AsgiSink`` is the portable fallback for other ASGI
servers: a bounded buffer drained by one writer task.
"""

import asyncio
import contextlib
import logging
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

    def close(self, code: CloseCode | int, reason: str) -> None: ...


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
                frames = self._queue.popleft()
                self._queued -= len(frames)
                for data in _unframe(frames):
                    with contextlib.suppress(Exception):
                        await self._send({"type": "websocket.send", self._key: data.decode() if self._key == "text" else data})

    def close(self, code: CloseCode | int, reason: str) -> None:
        if not self._closing:
            self._closing = True
            self._task.cancel()
            _spawn_close(self._send, code, reason)


def _unframe(frames: bytes) -> list[bytes]:
    """The payloads of frames built by ``live.wire.codec.ws_frame`` (unmasked, unfragmented),
    one after another: a reply may ride in the same write as its room's frame."""
    out, pos = [], 0
    while pos < len(frames):
        n, head = frames[pos + 1] & 0x7F, 2
        if n == 126:
            n, head = int.from_bytes(frames[pos + 2 : pos + 4], "big"), 4
        elif n == 127:
            n, head = int.from_bytes(frames[pos + 2 : pos + 10], "big"), 10
        out.append(frames[pos + head : pos + head + n])
        pos += head + n
    return out


_closing_tasks: set[asyncio.Task[None]] = set()


def _spawn_close(send: Any, code: CloseCode | int, reason: str) -> None:
    async def close() -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(send({"type": "websocket.close", "code": int(code), "reason": reason}), CLOSE_TIMEOUT_SECONDS)

    task = asyncio.get_running_loop().create_task(close())
    _closing_tasks.add(task)
    task.add_done_callback(_closing_tasks.discard)
