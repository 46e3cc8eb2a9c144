"""The Redis log: one room spans many nodes.

Keys (``live.redisconn.key``): ``live:{room}:meta`` (hash: epoch, seq, ts),
``live:{room}:log`` (a stream; entry ids are ``<seq>-0``), ``live:{room}:snap`` (the
latest snapshot). Delivery is the room's channel (``live.redisconn.channel``).

``append`` is one Lua script: check the epoch, take the next seqs and a ts from Redis'
clock, XADD, publish — so publish order is seq order and nothing is published that
is not in the stream. A room's appends queue behind its call in flight and go in the
next call together (one round trip and one published message for many entries).
Nodes subscribe only to rooms with local viewers. One reader task per node serves
every subscription; it also hands the other nodes' reactions
(published on the same channel by ``live.coord.redis.RedisPresence``) to ``on_signal``
and drops this node's own. After a reconnect it reads what each room missed from the
stream before delivering anything newer, and checks each room's epoch: a Redis that
came back empty has none, and the room is handed back (``on_reset``) to be seeded
again from SQL. Only JSON travels on the bus (never pickle). The subscriptions are the
connection's bus (``live.redisconn``): one connection on one Redis, one per master on a
Redis Cluster, where a failover is one more reconnect.
"""

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.backoff import ExponentialWithJitterBackoff

from live import metrics
from live.errors import EpochChanged, LogUnavailable
from live.log.base import History, ResetHandler, SignalHandler, Subscriber
from live.log.serde import entry_body, entry_from_dict
from live.redisconn import CONN_ERRORS, RedisConn, channel, key
from rooms.commands import Actor, Command, Entry
from rooms.types import RoomId, Seq

logger = logging.getLogger("live.log.redis")

APPEND_BATCH = 256  # entries per call at most: a long script holds up the whole Redis

# Appends the commands in ARGV[3..] as consecutive entries (one call for whatever a room's
# commands queued while its previous call was out: see ``RedisLog.append``). One entry is
# published as ``e|seq|ts|body``, several as ``b|first|ts|[body,...]``: a quiet room's
# entries keep the one form every deployed node reads, through a rolling upgrade too.
_APPEND = """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch ~= ARGV[1] then return {-1, epoch or ''} end
local n = #ARGV - 2
local seq = redis.call('HINCRBY', KEYS[1], 'seq', n) - n
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('HGET', KEYS[1], 'ts') or '0')
if now < last then now = last end
redis.call('HSET', KEYS[1], 'ts', now)
for i = 3, #ARGV do
  redis.call('XADD', KEYS[2], (seq + i - 2) .. '-0', 'ts', now, 'e', ARGV[i])
end
if n == 1 then
  redis.call(ARGV[2], KEYS[3], 'e|' .. (seq + 1) .. '|' .. now .. '|' .. ARGV[3])
else
  redis.call(ARGV[2], KEYS[3], 'b|' .. (seq + 1) .. '|' .. now .. '|[' .. table.concat(ARGV, ',', 3) .. ']')
end
return {seq + 1, now}
"""

# Create a room's history at a snapshot, unless it has one: returns the epoch in force.
_SEED = """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch then return epoch end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', ARGV[2], 'ts', 0)
redis.call('DEL', KEYS[3])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) end
return ARGV[1]
"""

# How long the room's history has been missing (ms; 0: it is not); the first caller
# to find it missing starts the clock (a key that outlives any reasonable recovery).
_LOST = """
if redis.call('HEXISTS', KEYS[1], 'epoch') == 1 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local since = redis.call('GET', KEYS[2])
if not since then
  redis.call('SET', KEYS[2], now, 'PX', 3600000)
  return 1
end
return math.max(1, now - tonumber(since))
"""


@dataclass(slots=True)
class _Lane:
    """A room's appends: those waiting for the call in flight, and the task sending them."""

    queue: deque[tuple[str, bytes, "asyncio.Future[Seq]"]] = field(default_factory=deque)  # (epoch, entry body, its seq)
    sender: "asyncio.Task[None] | None" = None  # held here: a task nobody holds may be collected mid-call


@dataclass(slots=True)
class _Sub:
    deliver: Subscriber
    on_reset: ResetHandler
    on_signal: SignalHandler
    last_seq: int = 0
    epoch: str | None = None


class RedisLog:
    """The room log on Redis; ``conn`` is shared with the node's leases and presence (it
    closes with them, in ``live.backends.Backends.close``)."""

    def __init__(self, conn: RedisConn, node_id: str) -> None:
        self.node_id = node_id  # reactions this node published are not handed back to it
        self._conn = conn
        self._redis: Any = conn.redis
        self._append = self._redis.register_script(_APPEND)
        self._seed = self._redis.register_script(_SEED)
        self._lost = self._redis.register_script(_LOST)
        self._bus = conn.bus()
        self._subs: dict[RoomId, _Sub] = {}
        self._lanes: dict[RoomId, _Lane] = {}
        self._listener: asyncio.Task[None] | None = None
        self._backoff = ExponentialWithJitterBackoff(cap=2.0, base=0.05)

    # --- history ------------------------------------------------------------------

    async def seed(self, room: RoomId, snapshot: tuple[int, dict[str, Any]] | None) -> str:
        seq = snapshot[0] if snapshot else 0
        snap = orjson.dumps({"seq": seq, "state": snapshot[1]}).decode() if snapshot else ""
        try:
            epoch = await self._seed(keys=[key(room, "meta"), key(room, "snap"), key(room, "lost")], args=[uuid.uuid4().hex[:12], seq, snap])
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        return epoch.decode() if isinstance(epoch, bytes) else str(epoch)

    async def lost_for(self, room: RoomId) -> int:
        try:
            return int(await self._lost(keys=[key(room, "meta"), key(room, "lost")]))
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc

    async def open(self, room: RoomId, deliver: Subscriber, on_reset: ResetHandler, on_signal: SignalHandler) -> History:
        sub = self._subs[room] = _Sub(deliver, on_reset, on_signal)
        try:
            await self._subscribe(room)
            epoch = await self._redis.hget(key(room, "meta"), "epoch")
            if epoch is None:
                return History(None, None, [])
            sub.epoch = epoch.decode()
            raw = await self._redis.get(key(room, "snap"))
            snapshot = None
            after = 0
            if raw is not None:
                snap = orjson.loads(raw)
                snapshot, after = (snap["seq"], snap["state"]), snap["seq"]
            entries = await self._read_all(room, after)
        except CONN_ERRORS as exc:
            self._subs.pop(room, None)
            raise LogUnavailable(str(exc)) from exc
        sub.last_seq = max(sub.last_seq, entries[-1].seq if entries else after)
        return History(sub.epoch, snapshot, entries)

    async def close_room(self, room: RoomId) -> None:
        if self._subs.pop(room, None) is None:
            return
        with contextlib.suppress(*CONN_ERRORS):
            await self._bus.unsubscribe(channel(room))

    async def _subscribe(self, room: RoomId) -> None:
        # The bus says when its subscriptions were re-established (``gap``): the log
        # then catches up from the streams.
        await self._bus.subscribe(channel(room))
        if self._listener is None:
            # Every room's reader: not in the context (room, request) of whoever opened the first room.
            self._listener = asyncio.get_running_loop().create_task(self._listen(), context=contextvars.Context())

    async def _read_all(self, room: RoomId, after: int) -> list[Entry]:
        out: list[Entry] = []
        while True:
            batch = await self.read(room, after, 10_000)
            out += batch
            if len(batch) < 10_000:
                return out
            after = batch[-1].seq

    async def read(self, room: RoomId, after: int = 0, limit: int = 10_000) -> list[Entry]:
        try:
            rows = await self._redis.xrange(key(room, "log"), min=f"{after + 1}-0", max="+", count=limit)
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        return [_entry(int(rid.split(b"-")[0]), int(f[b"ts"]), f[b"e"]) for rid, f in rows]

    async def append(self, room: RoomId, epoch: str, actor: Actor, command: Command, origin: str | None = None) -> Seq:
        """Append now, or, while a call for this room is out, in the next call with the others.

        A quiet room's command goes out at once, alone, from its caller's task; under load
        a room's commands share a call (and one published message), which is what a claim
        race needs.
        """
        body = entry_body(actor, command, origin)
        lane = self._lanes.get(room)
        if lane is not None:
            done: asyncio.Future[Seq] = asyncio.get_running_loop().create_future()
            lane.queue.append((epoch, body, done))
            return await done
        lane = self._lanes[room] = _Lane()
        try:
            return (await self._call(room, epoch, [body]))[0]
        finally:
            if lane.queue:
                lane.sender = asyncio.get_running_loop().create_task(self._send(room, lane), context=contextvars.Context())
            else:
                del self._lanes[room]

    async def _call(self, room: RoomId, epoch: str, bodies: list[bytes]) -> list[Seq]:
        """One run of the append script: the entries' seqs."""
        started = time.perf_counter()
        try:
            first, _ = await self._append(keys=[key(room, "meta"), key(room, "log"), channel(room)], args=[epoch, await self._conn.publish_command(), *bodies])
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        metrics.REDIS_APPEND_SECONDS.observe(time.perf_counter() - started)
        metrics.REDIS_APPEND_ENTRIES.observe(len(bodies))
        if first == -1:
            raise EpochChanged(room)
        return [Seq(int(first) + i) for i in range(len(bodies))]

    async def _send(self, room: RoomId, lane: "_Lane") -> None:
        """What queued behind a call: at most ``APPEND_BATCH`` entries of one epoch per call."""
        try:
            while lane.queue:
                epoch = lane.queue[0][0]
                batch: list[tuple[str, bytes, asyncio.Future[Seq]]] = []
                while lane.queue and lane.queue[0][0] == epoch and len(batch) < APPEND_BATCH:
                    batch.append(lane.queue.popleft())
                try:
                    seqs = await self._call(room, epoch, [body for _, body, _ in batch])
                except asyncio.CancelledError:
                    for _, _, done in batch:
                        done.cancel()
                    raise
                except Exception as exc:
                    for _, _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for seq, (_, _, done) in zip(seqs, batch, strict=True):
                    if not done.done():  # else its caller gave up waiting; the entry is in the log all the same
                        done.set_result(seq)
        finally:
            for _, _, done in lane.queue:  # only if cancelled (the log is closing)
                done.cancel()
            lane.queue.clear()
            if self._lanes.get(room) is lane:
                del self._lanes[room]

    wants_snapshots = True

    async def save_snapshot(self, room: RoomId, seq: int, state: bytes) -> None:
        await self._redis.set(key(room, "snap"), b'{"seq":%d,"state":%s}' % (seq, state))

    async def trim(self, room: RoomId, upto: int) -> None:
        with contextlib.suppress(*CONN_ERRORS):
            await self._redis.xtrim(key(room, "log"), minid=f"{upto + 1}-0", approximate=False)  # "~" would keep a small stream whole

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        with contextlib.suppress(*CONN_ERRORS, RuntimeError):
            await self._bus.close()

    # --- delivery -------------------------------------------------------------------

    async def _listen(self) -> None:
        """One reader for every room this node follows; reconnects with jittered backoff."""
        failures = 0
        while True:
            try:
                if not self._subs:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._bus.get(1.0)
                if failures or self._bus.gap:
                    failures, self._bus.gap = 0, False
                    await self._resync()
                if message is not None:
                    self._dispatch(*message)
            except asyncio.CancelledError:
                raise
            except CONN_ERRORS as exc:
                failures += 1
                metrics.REDIS_SUBSCRIPTION_ERRORS.inc()
                logger.warning("redis subscription lost (%s); retrying", exc)
                await asyncio.sleep(self._backoff.compute(failures))
            except Exception:
                logger.exception("dropping a message that could not be handled")

    def _dispatch(self, name: bytes, data: bytes) -> None:
        room = RoomId(name[name.index(b"{") + 1 : name.rindex(b"}")].decode())
        sub = self._subs.get(room)
        if sub is None:
            return
        kind, rest = data.split(b"|", 1)
        if kind == b"r":
            node, counts = rest.split(b"|", 1)
            if node.decode() != self.node_id:
                sub.on_signal(node.decode(), orjson.loads(counts))
            return
        first, ts, body = rest.split(b"|", 2)
        bodies = [body] if kind == b"e" else orjson.loads(body)  # b: consecutive entries from one call
        for seq, data in enumerate(bodies, int(first)):
            if seq > sub.last_seq:  # else already read from the stream (a resync): not decoded again
                sub.last_seq = seq
                sub.deliver(_entry(seq, int(ts), data))

    async def _resync(self) -> None:
        """After a reconnect: a room whose epoch is gone or new is reset; the others catch up."""
        for room, sub in list(self._subs.items()):
            epoch = await self._redis.hget(key(room, "meta"), "epoch")
            if epoch is None or epoch.decode() != sub.epoch:
                logger.warning("room %s: history changed in Redis (epoch %s -> %s)", room, sub.epoch, epoch)
                sub.on_reset()
                continue
            for entry in await self._read_all(room, sub.last_seq):
                if entry.seq > sub.last_seq:
                    sub.last_seq = entry.seq
                    sub.deliver(entry)


def _entry(seq: int, ts: int, body: bytes | dict[str, Any]) -> Entry:
    data = orjson.loads(body) if isinstance(body, bytes) else body
    data["seq"], data["ts"] = seq, ts
    return entry_from_dict(data)
