"""Slow consumers: the room never waits for them. One behind for a moment gets thinned
chat; one that stops reading is thinned, then cut with 4008 within seconds; the others
keep every message at the same latency."""

import asyncio
import multiprocessing as mp
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from loadtest import viewer
from tests.harness import Api, Client, LiveServer, bearer, eventually, token

FAST = {"LIVE_COMMANDS_PER_SECOND": "100000", "LIVE_COMMAND_BURST": "100000"}
VIEWERS = 300  # normal viewers, in one load-generator process (loadtest.viewer)
STALLED = 3
RATE, TEXT_BYTES = 100, 600  # the issue's stream: 100 msg/s of ~600-byte chat
THINNED_WITHIN, CUT_WITHIN = 2.5, 5.5  # seconds from stall; the bounds are ~2 s and ~5 s, plus one 250 ms tick


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("tight"), LIVE_OUTBOUND_BUFFER_BYTES="65536", **FAST).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The fan-out's defaults (bound, socket send buffer, stall time) as shipped."""
    srv = LiveServer(tmp_path_factory.mktemp("defaults"), **FAST).start()
    yield srv
    srv.stop()


async def metric(http: httpx.AsyncClient, name: str, labels: str = "") -> float:
    """A counter or gauge from /metrics, summed over its series that carry ``labels``."""
    lines = (await http.get("/metrics")).text.splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if re.match(rf"{name}[ {{]", line) and labels in line)


async def open_stalled_socket(url: str, port: int, tok: str) -> Any:
    """A websockets client that stops reading after the welcome (a tiny receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    ws = await connect(url, sock=sock, subprotocols=["live.v1.json"], compression=None, max_queue=1)  # type: ignore[list-item]
    await ws.send(orjson.dumps({"type": "hello", "id": "h", "token": tok}).decode())
    assert orjson.loads(await ws.recv())[0]["type"] == "welcome"
    return ws


async def test_slow_reader_is_closed_while_others_keep_receiving(tight_server: LiveServer, room_id: str) -> None:
    api = Api(tight_server)
    assert (await api.create_room(room_id, max_message_length=4000)).status_code == 201
    await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", room_id, "host")))
    url = tight_server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    fast = await Client.join(url, token("fast", room_id))
    slow = await open_stalled_socket(url, tight_server.port, token("slow", room_id))

    # ~600 KB/s of the host's chat, which is never thinned: the slow one passes the bound.
    text = "x" * 3900
    sent = 0
    closed_at = None
    for i in range(4000):
        r = await host.request("chat.post", text=f"{i} {text}")
        assert r["ok"], r
        sent += 1
        await asyncio.sleep(0.005)
        if i % 50 == 0 and closed_at is None:
            health = (await api.http.get("/healthz")).json()
            if health["connections"] == 2:  # the slow one is gone
                closed_at = i
                break
    assert closed_at is not None, "the slow reader was never cut off"
    await fast.wait_for(lambda: len(fast.chat_texts()) == sent)
    assert fast.chat_texts() == [f"{i} {text}" for i in range(sent)]

    # Once the slow client reads again, it finds its backlog and then the close code. The
    # host's messages are never thinned, so thinning could not save this one.
    notices = []
    async with asyncio.timeout(10):
        try:
            async for frame in slow:
                notices += [m for m in orjson.loads(frame) if m["type"] == "chat.thinned"]
        except Exception:
            pass
    assert slow.close_code == 4008, slow.close_code
    assert all(n["thinned"] for n in notices)
    assert slow.close_reason.startswith("outbound buffer full")
    for c in (host, fast):
        await c.close()
    await api.http.aclose()


async def test_a_viewer_who_falls_behind_for_a_moment_gets_thinned_chat_instead_of_being_cut(tight_server: LiveServer, room_id: str) -> None:
    api = Api(tight_server)
    assert (await api.create_room(room_id, max_message_length=4000)).status_code == 201
    await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", room_id, "host")))
    url = tight_server.ws_url(room_id)
    talker = await Client.join(url, token("talker", room_id))
    fast = await Client.join(url, token("fast", room_id))
    behind = await open_stalled_socket(url, tight_server.port, token("behind", room_id))
    thinned_before = await metric(api.http, "live_thinned_total")

    # It stops reading while chat pours in, until the server has thinned its chat; then
    # it reads again (well within the stall time), so it is never cut.
    text = "y" * 300
    sent = 0
    async with asyncio.timeout(20):
        while await metric(api.http, "live_thinned_total") == thinned_before:
            for _ in range(100):
                assert (await talker.request("chat.post", text=f"{sent} {text}"))["ok"]
                sent += 1
    await fast.wait_for(lambda: len(fast.chat_texts()) == sent)

    # Reading again, it was told its chat got thinned; it got fewer messages, in order,
    # and once it caught up it is told chat is whole again, and gets the next message.
    seen: list[dict] = []  # type: ignore[type-arg]
    async with asyncio.timeout(20):
        while not any(m == {"type": "chat.thinned", "thinned": False} for m in seen):
            seen += orjson.loads(await behind.recv())
        assert (await talker.request("chat.post", text="after catching up"))["ok"]
        while not any(m.get("type") == "chat.message" and m["message"]["text"] == "after catching up" for m in seen):
            seen += orjson.loads(await behind.recv())
    got = [int(m["message"]["text"].split(" ", 1)[0]) for m in seen if m["type"] == "chat.message" and m["message"]["text"] != "after catching up"]
    assert got == sorted(got) and 0 < len(got) < sent
    assert [m["thinned"] for m in seen if m["type"] == "chat.thinned"] == [True, False]
    assert (await api.http.get("/healthz")).json()["connections"] == 3, "the viewer who fell behind is still connected"
    await behind.close()
    for c in (talker, fast):
        await c.close()
    await api.http.aclose()


class StalledReader:
    """A viewer with a tiny receive buffer that reads its welcome and then nothing at all.

    A raw socket and the websockets Sans-I/O client: no library reads ahead for it, so
    everything the server sends stays in the server's buffers and the kernel's until
    ``read_to_close`` reads it all, after the fact.
    """

    def __init__(self, sock: socket.socket, proto: ClientProtocol) -> None:
        self.sock, self.proto = sock, proto
        self.messages: list[dict[str, Any]] = []
        self.stalled_at = 0.0
        self.eof = False

    @classmethod
    async def join(cls, url: str, port: int, tok: str) -> "StalledReader":
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        reader = cls(sock, ClientProtocol(parse_uri(url), subprotocols=[Subprotocol("live.v1.json")], max_size=None))
        reader.proto.send_request(reader.proto.connect())
        await reader._send()
        while not any(isinstance(e, Response) for e in await reader._receive()):
            pass
        reader.proto.send_text(orjson.dumps({"type": "hello", "id": "h", "token": tok}))
        await reader._send()
        while not any(m["type"] == "welcome" for m in reader.messages):
            await reader._receive()
        reader.stalled_at = time.monotonic()
        return reader

    async def _send(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def _receive(self) -> list[Any]:
        data = await asyncio.get_running_loop().sock_recv(self.sock, 1 << 16)
        if data:
            self.proto.receive_data(data)
        else:
            self.eof = True
            self.proto.receive_eof()
        events = self.proto.events_received()
        self.messages += [m for e in events if isinstance(e, Frame) and e.opcode is Opcode.TEXT for m in orjson.loads(e.data)]
        return events

    async def read_to_close(self) -> int | None:
        """Read the whole backlog; the close code at its end (None: the server just hung up)."""
        async with asyncio.timeout(10):
            while self.proto.close_rcvd is None and not self.eof:
                await self._receive()
        self.sock.close()
        return self.proto.close_rcvd.code if self.proto.close_rcvd else None


class Viewers:
    """Normal viewers in a load-generator process: every chat message's latency, histogrammed."""

    def __init__(self, port: int, room: str, users: list[str]) -> None:
        ctx = mp.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        pairs = [(room, token(u, room)) for u in users]
        self.proc = ctx.Process(target=viewer.main, args=(child, "127.0.0.1", port, pairs, "json", "127.0.0.1"), daemon=True)
        self.proc.start()

    async def ready(self) -> None:
        kind, value = await asyncio.to_thread(self.pipe.recv)
        assert kind == "ready", value

    async def report(self) -> dict[str, Any]:
        self.pipe.send("report")
        kind, value = await asyncio.to_thread(self.pipe.recv)
        assert kind == "stats", value
        self.proc.join(10)
        return dict(value)


async def chat_stream(chatters: list[Client], seconds: float) -> int:
    """Ordinary viewers' chat (the lane thinning skips) at RATE msg/s; each carries its send time."""
    loop = asyncio.get_running_loop()
    start, total = loop.time(), int(RATE * seconds)
    for k in range(total):
        if (delay := start + k / RATE - loop.time()) > 0:
            await asyncio.sleep(delay)
        head = f"{k} {time.time() * 1000:.3f} "
        await chatters[k % len(chatters)].send_raw(orjson.dumps({"type": "chat.post", "id": f"p{k}", "text": head + "x" * (TEXT_BYTES - len(head))}).decode())
    return total


async def watch(http: httpx.AsyncClient, name: str, labels: str, base: float) -> list[float]:
    """Times (monotonic) at which the metric passed base + 1, base + 2, ..., polled every 50 ms."""
    seen: list[float] = []
    until = time.monotonic() + 10
    while time.monotonic() < until:
        value = await metric(http, name, labels)
        seen += [time.monotonic()] * int(value - base - len(seen))
        if len(seen) >= STALLED:
            break
        await asyncio.sleep(0.05)
    return seen


async def baseline(server: LiveServer, room: str, chatters: list[Client]) -> tuple[dict[str, Any], int]:
    """Fresh normal viewers and 4 s of the stream, nobody stalled: the latency to compare with."""
    viewers = Viewers(server.port, room, [f"a{i}" for i in range(VIEWERS)])
    await viewers.ready()
    sent = await chat_stream(chatters, 4)
    await asyncio.sleep(1)  # the last frames arrive
    return await viewers.report(), sent


async def test_viewers_who_stop_reading_are_thinned_then_cut_and_the_rest_keep_their_latency(default_server: LiveServer, room_id: str) -> None:
    api = Api(default_server)
    assert (await api.create_room(room_id, max_message_length=1000)).status_code == 201
    await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", room_id, "host")))
    url = default_server.ws_url(room_id)
    chatters = [await Client.join(url, token(f"chatter{i}", room_id)) for i in range(3)]
    base, sent_base = await baseline(default_server, room_id, chatters)
    thinned0 = await metric(api.http, "live_thinned_total")
    cut0 = await metric(api.http, "live_slow_consumers_total", 'reason="stalled"')

    # 1. The same stream to fresh viewers; 1 s in, STALLED readers join and stop reading.
    viewers = Viewers(default_server.port, room_id, [f"b{i}" for i in range(VIEWERS)])
    await viewers.ready()
    stream = asyncio.create_task(chat_stream(chatters, 8))
    await asyncio.sleep(1)
    readers = [await StalledReader.join(url, default_server.port, token(f"stalled{i}", room_id)) for i in range(STALLED)]
    thinned = asyncio.create_task(watch(api.http, "live_thinned_total", "", thinned0))
    cut = await watch(api.http, "live_slow_consumers_total", 'reason="stalled"', cut0)
    # 2. Read after the fact (before the 5 s abort): each was told it was thinned, then 4008.
    codes = await asyncio.gather(*(r.read_to_close() for r in readers))
    thinned_at = await thinned
    sent = await stream
    await asyncio.sleep(1)  # the last frames arrive
    stats = await viewers.report()
    stalled_at = min(r.stalled_at for r in readers)
    to_thinned, to_cut = max(thinned_at, default=99) - stalled_at, max(cut, default=99) - stalled_at
    p99_base, p99 = viewer.percentile(base["hist"], 0.99), viewer.percentile(stats["hist"], 0.99)
    print(f"\nstall -> thinned {to_thinned:.2f} s, stall -> 4008 {to_cut:.2f} s; p99 {p99:.0f} ms (baseline {p99_base:.0f} ms)")
    assert len(cut) == STALLED and codes == [4008] * STALLED, (cut, codes)
    assert all({"type": "chat.thinned", "thinned": True} in r.messages for r in readers)
    assert to_thinned <= THINNED_WITHIN and to_cut <= CUT_WITHIN, (to_thinned, to_cut)

    # 3. Everyone else got every message, no slower than without them; only the stalled were thinned.
    assert base["received"] == sent_base * VIEWERS and stats["received"] == sent * VIEWERS
    assert all(r["ok"] for c in chatters for k, r in c.replies.items() if str(k).startswith("p"))
    assert await metric(api.http, "live_thinned_total") == thinned0 + STALLED
    # Latency on a shared 2-core machine wobbles by a few ms: "unchanged" is within 2x or 50 ms.
    assert p99 <= max(2 * p99_base, p99_base + 50), (p99, p99_base)

    # 4. Their resources are freed, and a cut viewer that comes back with ``since`` resumes.
    await eventually(lambda: metric(api.http, "live_connections"), lambda n: n == len(chatters))
    welcome = readers[0].messages[0]
    last = max(m["seq"] for m in readers[0].messages if "seq" in m)
    back = await Client.join(url, token("stalled0", room_id), since=last, epoch=welcome["epoch"])
    assert back.welcome is not None and back.welcome["resumed"]
    for c in (back, *chatters):
        await c.close()
    await api.http.aclose()
