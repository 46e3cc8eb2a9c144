"""The room socket's own WebSocket protocol (live/sockets/wsserver.py), frame by frame.

A real server; clients are the `websockets` library where it behaves like a browser,
and a raw TCP socket where the test must break the protocol or stay silent.
"""

import asyncio
import contextlib
import os
import struct
from collections.abc import Iterator

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from tests.harness import Api, Client, LiveServer, token


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Keepalive every half second, so a silent client is found out within the test."""
    srv = LiveServer(tmp_path_factory.mktemp("ws"), LIVE_WS_PING_SECONDS="0.5").start()
    yield srv
    srv.stop()


@pytest.fixture
async def room(quick: LiveServer) -> str:
    api = Api(quick)
    room = await api.live_room(f"ws-{os.urandom(4).hex()}")
    await api.http.aclose()
    return room


class Raw:
    """A client over a bare TCP stream: it sends what it is told; ``silent``, it answers no ping."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, proto: ClientProtocol) -> None:
        self.reader, self.writer, self.proto = reader, writer, proto
        self.pings = 0
        self.silent = False
        self.pending: list[object] = []  # events parsed but not yet handed out

    @classmethod
    async def join(cls, server: LiveServer, room: str, user: str) -> "Raw":
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        proto = ClientProtocol(parse_uri(server.ws_url(room)), subprotocols=[Subprotocol("live.v1.json")], max_size=None)
        proto.send_request(proto.connect())
        raw = cls(reader, writer, proto)
        await raw.flush()
        response = await raw.next_event()
        assert isinstance(response, Response) and response.status_code == 101
        assert response.headers["Sec-WebSocket-Protocol"] == "live.v1.json"
        raw.proto.send_text(orjson.dumps({"type": "hello", "id": "h", "token": token(user, room)}))
        await raw.flush()
        welcome = orjson.loads((await raw.next_event()).data)  # type: ignore[union-attr]
        assert welcome[0]["type"] == "welcome"
        return raw

    async def flush(self) -> None:
        for data in self.proto.data_to_send():
            self.writer.write(data)
        await self.writer.drain()

    async def next_event(self) -> object:
        while True:
            self.pending += self.proto.events_received()
            if self.pending:
                event = self.pending.pop(0)
                if isinstance(event, Frame) and event.opcode is Opcode.PING:
                    self.pings += 1
                    pong = self.proto.data_to_send()  # websockets queued the pong
                    if not self.silent:
                        self.writer.writelines(pong)
                    continue
                return event
            data = await self.reader.read(65536)
            if not data:
                self.proto.receive_eof()
                return None
            self.proto.receive_data(data)

    async def close_code(self) -> int | None:
        """Read until the server's close frame; its code."""
        while True:
            event = await self.next_event()
            if event is None:
                return None
            if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                return struct.unpack("!H", event.data[:2])[0] if len(event.data) >= 2 else 1005

    async def aclose(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    async def send_bytes(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


def masked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    return Frame(Opcode(opcode), payload, fin=fin).serialize(mask=True)


async def test_a_silent_client_is_closed_by_the_keepalive_and_one_that_answers_stays(quick: LiveServer, room: str) -> None:
    answering = await Client.join(quick.ws_url(room), token("ana", room))  # the websockets client answers pings
    silent = await Raw.join(quick, room, "ben")
    silent.silent = True
    async with asyncio.timeout(5):
        assert await silent.close_code() == 1011
    assert silent.pings >= 1
    await silent.aclose()
    assert (await answering.request("ping"))["ok"], "a client that answers pings is kept"
    await answering.ws.close()


async def test_ping_frames_are_answered_with_their_payload(quick: LiveServer, room: str) -> None:
    async with connect(quick.ws_url(room), subprotocols=[Subprotocol("live.v1.json")]) as ws:
        latency = await asyncio.wait_for(await ws.ping(b"are-you-there"), 5)
        assert latency >= 0


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (Frame(Opcode.TEXT, b'{"type":"ping","id":1}').serialize(mask=False), 1002),  # client frames must be masked
        (masked(1, b"\xff\xfe not utf-8"), 1007),
        (bytes((0x81, 0xFF)) + struct.pack("!Q", 2 << 20) + b"mask", 1009),  # declares 2 MiB: refused before it is sent
        (masked(0, b"a continuation of nothing"), 1002),
        (bytes((0xC1, 0x80)) + b"mask", 1002),  # a reserved bit set
    ],
    ids=["unmasked", "invalid-utf8", "over-1MiB", "stray-continuation", "reserved-bit"],
)
async def test_protocol_violations_close_with_the_rfc_code(quick: LiveServer, room: str, frame: bytes, code: int) -> None:
    raw = await Raw.join(quick, room, "cat")
    await raw.send_bytes(frame)
    async with asyncio.timeout(5):
        assert await raw.close_code() == code
    await raw.aclose()


async def test_a_fragmented_message_is_reassembled(quick: LiveServer, room: str) -> None:
    raw = await Raw.join(quick, room, "dan")
    body = b'{"type":"ping","id":"frag"}'
    await raw.send_bytes(masked(1, body[:5], fin=False) + masked(9, b"mid") + masked(0, body[5:12], fin=False) + masked(0, body[12:]))
    async with asyncio.timeout(5):
        while True:
            event = await raw.next_event()
            assert event is not None, "closed before the reply"
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                replies = orjson.loads(event.data)
                if any(m.get("id") == "frag" for m in replies):
                    assert next(m for m in replies if m.get("id") == "frag")["ok"]
                    break
    await raw.aclose()


async def test_pipelined_commands_are_answered_and_shown_in_the_order_sent(quick: LiveServer, room: str) -> None:
    host = await Client.join(quick.ws_url(room), token("host1", room, "host"))
    texts = [f"message {i}" for i in range(8)]
    for i, text in enumerate(texts):  # all sent before any reply comes back
        await host.send_raw(host.encode({"type": "chat.post", "id": f"p{i}", "text": text}))
    await host.wait_for(lambda: all(f"p{i}" in host.replies for i in range(len(texts))))
    assert all(host.replies[f"p{i}"]["ok"] for i in range(len(texts)))
    replies = [m["id"] for m in host.messages if m["type"] == "reply"]
    assert replies == [f"p{i}" for i in range(len(texts))]
    shown = await host.wait_for(lambda: (s := [m["message"]["text"] for m in host.messages if m["type"] == "chat.message"]) and len(s) == len(texts) and s)
    assert shown == texts
    await host.ws.close()


async def test_a_client_close_is_echoed_and_the_viewer_leaves(quick: LiveServer, room: str) -> None:
    host = await Client.join(quick.ws_url(room), token("host1", room, "host"))
    viewer = await Client.join(quick.ws_url(room), token("eve", room))
    await host.wait_for(lambda: any(m["type"] == "presence" and m["viewers"] == 2 for m in host.messages))
    await viewer.ws.close(4321, "bye")
    assert viewer.ws.protocol.close_rcvd is not None and viewer.ws.protocol.close_rcvd.code == 4321, "the server echoes the client's code"
    await host.wait_for(lambda: any(m["type"] == "presence" and m["viewers"] == 1 for m in host.messages), timeout=10)
    with pytest.raises(ConnectionClosed):
        await viewer.ws.send("after close")
    await host.ws.close()
