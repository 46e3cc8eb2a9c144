"""Viewer processes for the load generator.

Each process holds many WebSocket connections on plain asyncio protocols. The
handshake goes through the websockets Sans-I/O client; after the welcome, frames are
read by a minimal reader that finds each chat message's send time with one regex
over the JSON bytes, because the load generator shares 2 cores with the server and
must cost less than what it measures. Latency is publish-to-receive, from the wall
clock time the publisher put in each message (same machine, same clock).
"""

import asyncio
import re
import struct
import time
from multiprocessing.connection import Connection
from typing import Any

import msgpack
import orjson
import uvloop
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

# The publisher's text starts "<k> <send time ms> "; only chat messages carry "text".
SENT_AT = re.compile(rb'"text":"\d+ (\d+\.\d+) ')
HIST_MS = 120_000  # latency histogram: 1 ms buckets up to 2 minutes


class Stats:
    def __init__(self) -> None:
        self.hist = [0] * (HIST_MS + 1)
        self.received = 0
        self.frames = 0
        self.closed: dict[int, int] = {}


class ViewerProtocol(asyncio.Protocol):
    def __init__(self, url: str, token: str, fmt: str, stats: Stats, ready: asyncio.Future[None]) -> None:
        self.ws = ClientProtocol(parse_uri(url), subprotocols=[f"live.v1.{fmt}"], max_size=None)  # type: ignore[list-item]
        self.token, self.fmt, self.stats, self.ready = token, fmt, stats, ready
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.raw = False  # after the welcome: the fast frame reader

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.ws.send_request(self.ws.connect())
        self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        if self.raw:
            self._frames(self.buf + data if self.buf else data)
            return
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                hello = {"type": "hello", "id": "h", "token": self.token}
                self.ws.send_text(orjson.dumps(hello)) if self.fmt == "json" else self.ws.send_binary(msgpack.packb(hello))
            elif event.opcode in (Opcode.TEXT, Opcode.BINARY):
                loads = orjson.loads if self.fmt == "json" else msgpack.unpackb
                if any(m["type"] == "welcome" for m in loads(event.data)):
                    self.raw = True
                    self.ready.set_result(None)
        self._flush()

    def _frames(self, data: bytes) -> None:
        now_ms = time.time() * 1000
        hist, stats, pos, end = self.stats.hist, self.stats, 0, len(data)
        while end - pos >= 2:
            opcode, n = data[pos] & 0x0F, data[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if end - pos < 4:
                    break
                n, head = struct.unpack_from("!H", data, pos + 2)[0], 4
            elif n == 127:
                if end - pos < 10:
                    break
                n, head = struct.unpack_from("!Q", data, pos + 2)[0], 10
            if end - pos < head + n:
                break
            payload = data[pos + head : pos + head + n]
            pos += head + n
            if opcode in (1, 2):
                stats.frames += 1
                if self.fmt == "json":
                    for sent in SENT_AT.findall(payload):
                        stats.received += 1
                        hist[min(HIST_MS, max(0, int(now_ms - float(sent))))] += 1
                else:
                    for m in msgpack.unpackb(payload):
                        if m.get("type") == "chat.message":
                            stats.received += 1
                            sent = float(m["message"]["text"].split(" ", 2)[1])
                            hist[min(HIST_MS, max(0, int(now_ms - sent)))] += 1
            elif opcode == 9 and self.transport is not None:  # ping: answer, or the server drops us
                self.transport.write(Frame(Opcode.PONG, payload).serialize(mask=True))
            elif opcode == 8:
                code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
                stats.closed[code] = stats.closed.get(code, 0) + 1
        self.buf = data[pos:]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before welcome"))


async def _run(conn: Connection, host: str, port: int, viewers: list[tuple[str, str]], fmt: str, source: str) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats()
    readies = []
    for i, (room, tok) in enumerate(viewers):
        ready: asyncio.Future[None] = loop.create_future()
        url = f"ws://{host}:{port}/v1/rooms/{room}/ws"
        await loop.create_connection(lambda u=url, t=tok, r=ready: ViewerProtocol(u, t, fmt, stats, r), host, port, local_addr=(source, 0))
        readies.append(ready)
        if i % 200 == 199:
            await asyncio.sleep(0)  # let handshakes progress while opening the rest
    await asyncio.wait_for(asyncio.gather(*readies), 120)
    conn.send(("ready", len(viewers)))
    while not conn.poll():  # noqa: ASYNC110 - a multiprocessing pipe has nothing to await; wait for "report" without blocking the loop
        await asyncio.sleep(0.05)
    conn.recv()
    sparse = {i: n for i, n in enumerate(stats.hist) if n}
    conn.send(("stats", {"hist": sparse, "received": stats.received, "frames": stats.frames, "closed": stats.closed, "cpu_s": time.process_time()}))


def main(conn: Connection, host: str, port: int, viewers: list[tuple[str, str]], fmt: str, source: str) -> None:
    """Hold ``viewers`` ((room, token) pairs) on the node at ``port`` until asked to report."""
    try:
        uvloop.run(_run(conn, host, port, viewers, fmt, source))
    except Exception as exc:
        conn.send(("error", repr(exc)))


def percentile(hist: dict[int, int], q: float) -> float:
    total = sum(hist.values())
    if not total:
        return float("nan")
    want, seen = q * total, 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= want:
            return float(ms)
    return float(max(hist))


def merge(hists: list[dict[Any, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for h in hists:
        for k, v in h.items():
            out[int(k)] = out.get(int(k), 0) + v
    return out
