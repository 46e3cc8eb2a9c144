"""Leases, presence and usage on Redis, over the client the node's room log uses.

Keys (``live.redisconn.key``): ``live:{room}:lease`` (the holder's node id, with a
PX expiry), ``live:{room}:persisted`` (the holder's progress mark),
``live:{room}:presence`` (hash: node -> viewers) with ``live:{room}:presence:exp``
(sorted set: node -> when its share expires; Redis 7.0 has no per-field expiry).
Reactions are published on the room's channel as ``r|node|counts``, where the other
nodes' room logs pick them up (``live.log.redis``). Usage counters are
``live:usage:{window}:<key>``, expiring two windows later.

On Redis Cluster a room's keys share its slot (the ``{room}`` tag), so each script
touches one slot; nothing spans rooms in one command (GETs in a pipeline, not MGET;
no MULTI), and the usage counters, one key each, spread over the shards.
"""

from typing import Any

import orjson

from live.coord.presence import Reports
from live.errors import LogUnavailable
from live.redisconn import CONN_ERRORS, RedisConn, channel, key
from rooms.types import RoomId

LEASE_MS = 5_000  # a persister that has not renewed by then is presumed dead
PRESENCE_TTL_MS = 3_000  # a node's viewer count counts this long after its last report

_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

# Set this node's share (0: remove it), drop expired shares, return the sum.
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


class RedisLeases:
    def __init__(self, conn: RedisConn, node_id: str, *, lease_ms: int = LEASE_MS) -> None:
        self.node_id = node_id
        self._conn = conn
        self._redis: Any = conn.redis
        self._lease = self._redis.register_script(_LEASE)
        self._lease_ms = lease_ms

    async def hold(self, rooms: list[RoomId]) -> set[RoomId]:
        if not rooms:
            return set()

        async def commands(pipe: Any) -> None:
            for room in rooms:
                pipe.execute_command("EVALSHA", self._lease.sha, 1, key(room, "lease"), self.node_id, self._lease_ms)

        try:
            held = await self._conn.pipelined(commands, [self._lease])
        except CONN_ERRORS:
            return set()
        return {room for room, ok in zip(rooms, held, strict=True) if ok}

    async def marks(self, rooms: list[RoomId]) -> dict[RoomId, int]:
        if not rooms:
            return {}
        try:  # one GET per room, not MGET: on a cluster the rooms live in different slots
            async with self._redis.pipeline(transaction=False) as pipe:
                for room in rooms:
                    pipe.get(key(room, "persisted"))
                marks = await pipe.execute()
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        return {room: int(m) for room, m in zip(rooms, marks, strict=True) if m is not None}

    async def mark(self, marks: dict[RoomId, int]) -> None:
        if not marks:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for room, seq in marks.items():
                    pipe.set(key(room, "persisted"), seq)
                await pipe.execute()
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc


class RedisPresence:
    def __init__(self, conn: RedisConn, node_id: str, *, ttl_ms: int = PRESENCE_TTL_MS) -> None:
        self.node_id = node_id
        self._conn = conn
        self._redis: Any = conn.redis
        self._presence = self._redis.register_script(_PRESENCE)
        self._ttl_ms = ttl_ms
        self.heartbeat_seconds: float | None = ttl_ms / 3000  # two reports may be lost before a live node's share expires

    async def report(self, reports: Reports) -> dict[RoomId, int]:
        if not reports:
            return {}
        publish = ""

        async def commands(pipe: Any) -> None:
            for room, (viewers, reactions) in reports.items():
                pipe.execute_command("EVALSHA", self._presence.sha, 2, key(room, "presence"), key(room, "presence:exp"), self.node_id, viewers, self._ttl_ms)
                if reactions:
                    pipe.execute_command(publish, channel(room), "r|" + self.node_id + "|" + orjson.dumps(reactions).decode())

        try:
            publish = await self._conn.publish_command()
            results = await self._conn.pipelined(commands, [self._presence])
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        totals = iter(results)
        out: dict[RoomId, int] = {}
        for room, (_, reactions) in reports.items():
            out[room] = int(next(totals))
            if reactions:
                next(totals)
        return out


class RedisUsage:
    def __init__(self, conn: RedisConn) -> None:
        self._redis: Any = conn.redis

    async def add(self, counts: dict[str, int], window_ms: int) -> dict[str, int]:
        if not counts:
            return {}
        try:
            seconds, micros = await self._redis.time()
            window = (int(seconds) * 1000 + int(micros) // 1000) // window_ms
            async with self._redis.pipeline(transaction=False) as pipe:
                for k, n in counts.items():
                    name = f"live:usage:{window}:{k}"
                    pipe.incrby(name, n)
                    pipe.pexpire(name, 2 * window_ms)
                results = await pipe.execute()
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        return {k: int(total) for k, total in zip(counts, results[::2], strict=True)}
