"""A Python asyncio client of the room socket, for merchants' back ends, scripts and tests.

    async with await LiveClient.connect("ws://localhost:8000/v1/rooms/spring-drop/ws", token) as c:
        reply = await c.request("chat.post", text="Is the blue one in stock?")
        async for event in c.events():
            ...

It speaks protocol v1 (docs/protocol.md) in JSON or MessagePack: ``hello`` with the
token (never in the URL), one reply per request matched by id, events in order with
their ``seq``. ``resume()`` reconnects with ``since``/``epoch`` and gets exactly what was
missed (or a fresh snapshot after a reset), as a client should after a close with a
reconnect code.
"""

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any, Self

import msgpack
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Message = dict[str, Any]  # one server message, decoded


class LiveError(Exception):
    """A request answered with an error: ``code`` is the protocol's stable code."""

    def __init__(self, code: str, message: str, retry_after_ms: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retry_after_ms = code, message, retry_after_ms


class LiveClient:
    def __init__(self, url: str, token: str | None, fmt: str) -> None:
        self.url, self.token, self.fmt = url, token, fmt
        self.welcome: Message = {}
        self.last_seq = 0  # the last seq of an event handled: what ``resume`` asks from
        self._ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._replies: dict[Any, asyncio.Future[Message]] = {}
        self._events: asyncio.Queue[Message | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.close_code: int | None = None

    @classmethod
    async def connect(cls, url: str, token: str | None = None, *, fmt: str = "json") -> Self:
        """Open, say hello, and return once welcomed (raises LiveError if refused)."""
        client = cls(url, token, fmt)
        await client._open(since=None, epoch=None)
        return client

    async def _open(self, *, since: int | None, epoch: str | None) -> None:
        self._ws = await connect(self.url, subprotocols=[f"live.v1.{self.fmt}"], compression=None)  # type: ignore[list-item]
        self._reader = asyncio.get_running_loop().create_task(self._read(self._ws))
        hello: dict[str, Any] = {"token": self.token}
        if since is not None:
            hello |= {"since": since, "epoch": epoch}
        self.welcome = await self.request("hello", **hello)
        if self.welcome.get("resumed") is not True:
            self.last_seq = self.welcome["seq"]

    async def resume(self) -> None:
        """Reconnect after a close: the events after ``last_seq`` (the last one ``events``
        handed out; any not handed out come again), or a new snapshot after a reset."""
        await self.close()
        self._events = asyncio.Queue()
        await self._open(since=self.last_seq, epoch=self.welcome.get("epoch"))

    async def request(self, type_: str, **fields: Any) -> Message:
        """Send one message; its reply's ``result`` (or the welcome). Raises LiveError on an error reply."""
        rid = next(self._ids)
        reply: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._replies[rid] = reply
        body = {"type": type_, "id": rid, **fields}
        assert self._ws is not None, "connect first"
        await self._ws.send(orjson.dumps(body).decode() if self.fmt == "json" else msgpack.packb(body))
        message = await reply
        if message["type"] == "welcome":
            return message
        if not message["ok"]:
            error = message["error"]
            raise LiveError(error["code"], error["message"], error.get("retry_after_ms"))
        result: Message = message["result"]
        return result

    async def events(self) -> AsyncIterator[Message]:
        """Every event and signal after the welcome, in order, until the connection closes."""
        while (message := await self._events.get()) is not None:
            if "seq" in message and message["type"] != "welcome":
                self.last_seq = max(self.last_seq, message["seq"])
            yield message

    async def _read(self, ws: ClientConnection) -> None:
        events = self._events  # this connection's: a resume starts a new queue
        try:
            async for frame in ws:
                for message in orjson.loads(frame) if self.fmt == "json" else msgpack.unpackb(frame):
                    if message["type"] in ("reply", "welcome") and (waiter := self._replies.pop(message.get("id"), None)):
                        waiter.set_result(message)
                    else:
                        events.put_nowait(message)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code
            for waiter in self._replies.values():
                if not waiter.done():
                    waiter.set_exception(LiveError("closed", f"connection closed ({ws.close_code})"))
            self._replies.clear()
            events.put_nowait(None)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
