"""The Redis log: one room spans many nodes.

Per room, every key shares the hash tag ``{room}`` so the design holds on Redis
Cluster: ``live:{room}:meta`` (hash: epoch, seq, ts), ``live:{room}:log`` (a stream;
entry ids are ``<seq>-0``), ``live:{room}:snap`` (the latest snapshot), a lease key,
and presence keys. Delivery is the room's channel ``live:{room}:ch``: sharded pub/sub
(SSUBSCRIBE/SPUBLISH) on Redis 7+, plain pub/sub before.

``append`` is one Lua script: check the epoch, take the next seq and a ts from Redis'
clock, XADD, publish — so publish order is seq order and nothing is published that
is not in the stream. Nodes subscribe only to rooms with local viewers. After a
reconnect, this log reads what each room missed from the stream before delivering
anything newer, and checks each room's epoch: a Redis that came back empty has none,
and the room is handed back (``on_reset``) to be seeded again from SQL.
Only JSON travels on the bus (never pickle).
"""

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from live.log.serde import entry_body, entry_from_dict
from live.errors import EpochChanged, LogUnavailable
from live.log.base import History, ResetHandler, SignalHandler, Subscriber
from rooms.commands import Actor, Command, Entry
from rooms.types import RoomId, Seq

log = logging.getLogger("live.log.redis")

MAX_CONNECTIONS = 32  # per node, besides the subscription's own
LEASE_MS = 5_000  # a persister that has not renewed by then is presumed dead
PRESENCE_TTL_MS = 3_000  # a node's viewer count counts this long after its last report
_CONN_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)

_APPEND = """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch ~= ARGV[1] then return {-1, epoch or ''} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('HGET', KEYS[1], 'ts') or '0')
if now < last then now = last end
redis.call('HSET', KEYS[1], 'ts', now)
redis.call('XADD', KEYS[2], seq .. '-0', 'ts', now, 'e', ARGV[2])
redis.call(ARGV[4], ARGV[3], 'e|' .. seq .. '|' .. now .. '|' .. ARGV[2])
return {seq, now}
"""

# Create a room's history at a snapshot, unless it has one: returns the epoch in force.
_SEED = """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch then return epoch end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', ARGV[2], 'ts', 0)
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) end
return ARGV[1]
"""

_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

_PRESENCE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
end
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('HDEL', KEYS[1], node)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do total = total + tonumber(v) end
return total
"""


def _key(room: str, part: str) -> str:
    return f"live:{{{room}}}:{part}"


@dataclass(slots=True)
class _Sub:
    deliver: Subscriber
    on_reset: ResetHandler
    on_signal: SignalHandler
    last_seq: int = 0
    epoch: str | None = None


class RedisLog:
    def __init__(self, url: str, node_id: str) -> None:
        self.node_id = node_id
        # A bounded pool: a burst of commands waits for a connection instead of opening
        # thousands at once. redis-py's types are loose; they stay out of ours.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=5, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10
        )
        self._redis: Any = aioredis.Redis(connection_pool=pool)
        self._append = self._redis.register_script(_APPEND)
        self._seed = self._redis.register_script(_SEED)
        self._lease = self._redis.register_script(_LEASE)
        self._presence = self._redis.register_script(_PRESENCE)
        self._pubsub: Any = self._redis.pubsub(ignore_subscribe_messages=True)
        self._subs: dict[RoomId, _Sub] = {}
        self._sharded: bool | None = None
        self._listener: asyncio.Task[None] | None = None
        self._backoff = ExponentialWithJitterBackoff(cap=2.0, base=0.05)

    async def _publish_command(self) -> str:
        if self._sharded is None:
            version = (await self._redis.info("server"))["redis_version"]
            self._sharded = int(str(version).split(".")[0]) >= 7
        return "SPUBLISH" if self._sharded else "PUBLISH"

    def _channel(self, room: str) -> str:
        return _key(room, "ch")

    # --- history ------------------------------------------------------------------

    async def seed(self, room: RoomId, snapshot: tuple[int, dict[str, Any]] | None) -> str:
        seq = snapshot[0] if snapshot else 0
        snap = orjson.dumps({"seq": seq, "state": snapshot[1]}).decode() if snapshot else ""
        try:
            epoch = await self._seed(keys=[_key(room, "meta"), _key(room, "snap")], args=[uuid.uuid4().hex[:12], seq, snap])
        except _CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        return epoch.decode() if isinstance(epoch, bytes) else str(epoch)

    async def open(self, room: RoomId, deliver: Subscriber, on_reset: ResetHandler, on_signal: SignalHandler) -> History:
        sub = self._subs[room] = _Sub(deliver, on_reset, on_signal)
        try:
            await self._subscribe(room)
            epoch = await self._redis.hget(_key(room, "meta"), "epoch")
            if epoch is None:
                return History(None, None, [])
            sub.epoch = epoch.decode()
            raw = await self._redis.get(_key(room, "snap"))
            snapshot = None
            after = 0
            if raw is not None:
                snap = orjson.loads(raw)
                snapshot, after = (snap["seq"], snap["state"]), snap["seq"]
            entries = await self._read_all(room, after)
        except _CONN_ERRORS as exc:
            self._subs.pop(room, None)
            raise LogUnavailable(str(exc)) from exc
        sub.last_seq = max(sub.last_seq, entries[-1].seq if entries else after)
        return History(sub.epoch, snapshot, entries)

    async def close_room(self, room: RoomId) -> None:
        if self._subs.pop(room, None) is None:
            return
        with contextlib.suppress(*_CONN_ERRORS):
            if self._sharded:
                await self._pubsub.sunsubscribe(self._channel(room))
            else:
                await self._pubsub.unsubscribe(self._channel(room))

    async def _subscribe(self, room: RoomId) -> None:
        await self._publish_command()
        if self._sharded:
            await self._pubsub.ssubscribe(self._channel(room))
        else:
            await self._pubsub.subscribe(self._channel(room))
        if self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen())

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
            rows = await self._redis.xrange(_key(room, "log"), min=f"{after + 1}-0", max="+", count=limit)
        except _CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        return [_entry(int(rid.split(b"-")[0]), int(f[b"ts"]), f[b"e"]) for rid, f in rows]

    async def append(self, room: RoomId, epoch: str, actor: Actor, command: Command, origin: str | None = None) -> Seq:
        body = entry_body(actor, command, origin).decode()
        try:
            seq, _ = await self._append(keys=[_key(room, "meta"), _key(room, "log")], args=[epoch, body, self._channel(room), await self._publish_command()])
        except _CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        if seq == -1:
            raise EpochChanged(room)
        return Seq(int(seq))

    wants_snapshots = True

    async def save_snapshot(self, room: RoomId, seq: int, state: bytes) -> None:
        await self._redis.set(_key(room, "snap"), b'{"seq":%d,"state":%s}' % (seq, state))

    async def hold_leases(self, rooms: list[RoomId]) -> set[RoomId]:
        if not rooms:
            return set()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for room in rooms:
                    await self._lease(keys=[_key(room, "lease")], args=[self.node_id, LEASE_MS], client=pipe)
                held = await pipe.execute()
        except _CONN_ERRORS:
            return set()
        return {room for room, ok in zip(rooms, held, strict=True) if ok}

    async def persisted_marks(self, rooms: list[RoomId]) -> dict[RoomId, int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.hget(_key(room, "meta"), "persisted")
            marks = await pipe.execute()
        return {room: int(m) for room, m in zip(rooms, marks, strict=True) if m is not None}

    async def mark_persisted(self, marks: dict[RoomId, int]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for room, seq in marks.items():
                pipe.hset(_key(room, "meta"), "persisted", seq)
            await pipe.execute()

    async def report(self, reports: dict[RoomId, tuple[int, dict[str, int]]]) -> dict[RoomId, int]:
        if not reports:
            return {}
        publish = await self._publish_command()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for room, (viewers, reactions) in reports.items():
                    keys = [_key(room, "presence"), _key(room, "presence:exp")]
                    await self._presence(keys=keys, args=[self.node_id, viewers, PRESENCE_TTL_MS], client=pipe)
                    if reactions:
                        pipe.execute_command(publish, self._channel(room), "r|" + self.node_id + "|" + orjson.dumps(reactions).decode())
                results = await pipe.execute()
        except _CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        totals = iter(results)
        out: dict[RoomId, int] = {}
        for room, (_, reactions) in reports.items():
            out[room] = int(next(totals))
            if reactions:
                next(totals)
        return out

    async def trim(self, room: RoomId, upto: int) -> None:
        with contextlib.suppress(*_CONN_ERRORS):
            await self._redis.xtrim(_key(room, "log"), minid=f"{upto + 1}-0")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        with contextlib.suppress(*_CONN_ERRORS, RuntimeError):
            await self._pubsub.aclose()
        await self._redis.aclose()

    # --- delivery -------------------------------------------------------------------

    async def _listen(self) -> None:
        """One reader for every room this node follows; reconnects with jittered backoff."""
        failures = 0
        while True:
            try:
                if not self._subs:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if failures:
                    failures = 0
                    await self._resync()
                if message is not None:
                    self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except _CONN_ERRORS + (RedisError,) as exc:
                failures += 1
                log.warning("redis subscription lost (%s); retrying", exc)
                await asyncio.sleep(self._backoff.compute(failures))
            except Exception:
                log.exception("dropping a message that could not be handled")

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        room = RoomId(channel[channel.index("{") + 1 : channel.rindex("}")])
        sub = self._subs.get(room)
        if sub is None:
            return
        kind, rest = message["data"].split(b"|", 1)
        if kind == b"r":
            node, counts = rest.split(b"|", 1)
            if node.decode() != self.node_id:
                sub.on_signal(node.decode(), orjson.loads(counts))
            return
        seq, ts, body = rest.split(b"|", 2)
        entry = _entry(int(seq), int(ts), body)
        if entry.seq > sub.last_seq:
            sub.last_seq = entry.seq
            sub.deliver(entry)

    async def _resync(self) -> None:
        """After a reconnect: a room whose epoch is gone or new is reset; the others catch up."""
        for room, sub in list(self._subs.items()):
            epoch = await self._redis.hget(_key(room, "meta"), "epoch")
            if epoch is None or epoch.decode() != sub.epoch:
                log.warning("room %s: history changed in Redis (epoch %s -> %s)", room, sub.epoch, epoch)
                sub.on_reset()
                continue
            for entry in await self._read_all(room, sub.last_seq):
                if entry.seq > sub.last_seq:
                    sub.last_seq = entry.seq
                    sub.deliver(entry)


def _entry(seq: int, ts: int, body: bytes) -> Entry:
    data = orjson.loads(body)
    data["seq"], data["ts"] = seq, ts
    return entry_from_dict(data)
