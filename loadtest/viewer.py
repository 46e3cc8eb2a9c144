"""Viewer processes for the load generator.

Each process holds many WebSocket connections on plain asyncio protocols. The
handshake goes through the websockets Sans-I/O client; after the welcome, frames are
read by a minimal reader that finds each chat message's send time with one regex
over the JSON bytes, because the load generator shares 2 cores with the server and
must cost less than what it measures. Latency is publish-to-receive, from the wall
clock time the publisher put in each message (same machine, same clock).
"""

import asyncio
import functools
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
        self.sent = 0  # chatters: posts sent, and those the server accepted
        self.acked = 0
        self.replies = 0  # a burst: replies received, and when the last one came (wall clock)
        self.last_reply = 0.0
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
            elif isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
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
                    if (ok := payload.count(b'"ok":true')) or b'"type":"reply"' in payload:  # only replies carry "ok"
                        stats.acked += ok
                        stats.replies += payload.count(b'"type":"reply"')
                        stats.last_reply = time.time()
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

    def command(self, message: dict[str, Any]) -> None:
        """One command from this viewer (a burst: every viewer sends one at once)."""
        if self.transport is not None and not self.transport.is_closing():
            self.ws.send_text(orjson.dumps(message)) if self.fmt == "json" else self.ws.send_binary(msgpack.packb(message))
            self.stats.sent += 1
            self._flush()

    def post(self, k: int, text_bytes: int) -> None:
        """A chat message from this viewer, as a chatter in a chatty room."""
        if self.transport is None or self.transport.is_closing():
            return
        head = f"{k} {time.time() * 1000:.3f} "
        message = {"type": "chat.post", "id": k, "text": head + "x" * max(0, text_bytes - len(head))}
        self.ws.send_text(orjson.dumps(message)) if self.fmt == "json" else self.ws.send_binary(msgpack.packb(message))
        self.stats.sent += 1
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before welcome"))


async def _run(conn: Connection, host: str, port: int, viewers: list[tuple[str, str] | tuple[str, str, bool]], fmt: str, source: str) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats()
    readies, chatters, protos = [], [], []
    for i, (room, tok, *chatting) in enumerate(viewers):
        chatter = bool(chatting and chatting[0])
        ready: asyncio.Future[None] = loop.create_future()
        url = f"ws://{host}:{port}/v1/rooms/{room}/ws"
        _, proto = await loop.create_connection(functools.partial(ViewerProtocol, url, tok, fmt, stats, ready), host, port, local_addr=(source, 0))
        readies.append(ready)
        protos.append(proto)
        if chatter:
            chatters.append(proto)
        if i % 200 == 199:
            await asyncio.sleep(0)  # let handshakes progress while opening the rest
    await asyncio.wait_for(asyncio.gather(*readies), 120)
    conn.send(("ready", len(viewers)))
    while not conn.poll():  # noqa: ASYNC110 - a multiprocessing pipe has nothing to await; wait for "report" without blocking the loop
        await asyncio.sleep(0.05)
    before = stats.frames  # a chat or burst phase: the frames it brought, not the joins' presence frames
    if (order := conn.recv())[0] == "chat":  # ("chat", seconds, posts per second each, text bytes)
        await _chat(chatters, *order[1:])
    elif order[0] == "burst":  # ("burst", command): every viewer sends it once, {i} in strings is its index
        for i, proto in enumerate(protos):
            proto.command({k: v.format(i=f"{source}-{i}") if isinstance(v, str) else v for k, v in order[1].items()})
    if order[0] in ("chat", "burst"):
        while not conn.poll():  # noqa: ASYNC110 - as above
            await asyncio.sleep(0.05)
        conn.recv()
    sparse = {i: n for i, n in enumerate(stats.hist) if n}
    report = {"hist": sparse, "received": stats.received, "frames": stats.frames, "frames_measured": stats.frames - before if order[0] in ("chat", "burst") else None, "closed": stats.closed, "cpu_s": time.process_time()}
    conn.send(("stats", report | {"sent": stats.sent, "acked": stats.acked, "replies": stats.replies, "last_reply": stats.last_reply}))


async def _chat(chatters: "list[ViewerProtocol]", seconds: float, rate: float, text_bytes: int) -> None:
    """Each chatter posts ``rate`` messages a second, their phases spread evenly."""
    start, k = time.monotonic(), 0
    ticks = [(j / max(1, len(chatters)) / rate, c) for j, c in enumerate(chatters)]
    for n in range(int(seconds * rate)):
        for offset, chatter in ticks:
            if (delay := start + n / rate + offset - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            k += 1
            chatter.post(k, text_bytes)


def main(conn: Connection, host: str, port: int, viewers: list[tuple[str, str] | tuple[str, str, bool]], fmt: str, source: str) -> None:
    """Hold ``viewers`` ((room, token) pairs, or (room, token, chatter?)) on the node at ``port`` until asked to report."""
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
