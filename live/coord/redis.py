"""Leases, presence and usage on Redis, over the client the node's room log uses.

Keys (``live.redisconn.key``): ``live:{room}:lease`` (the holder's node id, with a
PX expiry), ``live:{room}:persisted`` (the holder's progress mark),
``live:{room}:presence`` (hash: node -> viewers, expiring a week after its last change),
``live:nodes`` (sorted set: node -> when it is presumed dead, kept by each node's
heartbeat; a share counts while its node is in it). A node publishes ``r|node|counts``
on the room's channel when its share of the room changed or it has reactions, where the
other nodes' room logs pick it up (``live.log.redis``) and ask for the total again: a
quiet room costs Redis nothing, and a node's heartbeat is one call whatever it serves.
Usage counters are ``live:usage:{window}:<key>``, expiring two windows later.

On Redis Cluster a room's keys share its slot (the ``{room}`` tag), so each script
touches one slot; nothing spans rooms in one command (GETs in a pipeline, not MGET;
no MULTI), and the usage counters, one key each, spread over the shards.
"""

import contextlib
from typing import Any

import orjson

from live.coord.presence import Reports
from live.errors import LogUnavailable
from live.redisconn import CONN_ERRORS, RedisConn, channel, key
from rooms.types import RoomId

LEASE_MS = 5_000  # a persister that has not renewed by then is presumed dead
PRESENCE_TTL_MS = 3_000  # a node's viewer count counts this long after its last report

LEASES_PER_CALL = 500  # on one Redis, rooms' leases are taken this many to a call (a short script)

# Take or renew each room's lease (KEYS: one per room; a cluster gives one key per call,
# as a script touches one slot); 1 for each held.
_LEASE = """
local held = {}
for i, k in ipairs(KEYS) do
  local holder = redis.call('GET', k)
  if holder == false or holder == ARGV[1] then
    redis.call('SET', k, ARGV[1], 'PX', ARGV[2])
    held[i] = 1
  else
    held[i] = 0
  end
end
return held
"""

PRESENCE_HASH_TTL_MS = 7 * 24 * 3600 * 1000  # a room's shares outlive any show; a dead node's go with them
NODES = "live:nodes"

# Set this node's share of a room (0: remove it); return every node's share. The caller
# sums the live nodes' (the set of live nodes is another key: another slot on a cluster).
_PRESENCE = """
if ARGV[2] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return redis.call('HGETALL', KEYS[1])
"""

# This node is alive for ARGV[2] ms more; the dead leave. Returns {1 if this node was not
# in the set (new, presumed dead, or Redis lost it), the live nodes}.
_ALIVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local new = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return {new, redis.call('ZRANGE', KEYS[1], 0, -1)}
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

        per_call = 1 if self._conn.cluster else LEASES_PER_CALL
        calls = [rooms[i : i + per_call] for i in range(0, len(rooms), per_call)]

        async def commands(pipe: Any) -> None:
            for call in calls:
                pipe.execute_command("EVALSHA", self._lease.sha, len(call), *[key(room, "lease") for room in call], self.node_id, self._lease_ms)

        try:
            held = [ok for answer in await self._conn.pipelined(commands, [self._lease]) for ok in answer]
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
        self._alive_script = self._redis.register_script(_ALIVE)
        self._ttl_ms = ttl_ms
        self.heartbeat_seconds: float | None = ttl_ms / 3000  # two heartbeats may be lost before a live node is presumed dead
        self._alive: frozenset[str] | None = None  # the live nodes at this node's last heartbeat
        self._shares: dict[RoomId, int] = {}  # this node's shares as last reported: a change is announced

    async def heartbeat(self) -> bool:
        try:
            new, nodes = await self._alive_script(keys=[NODES], args=[self.node_id, self._ttl_ms])
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        alive = frozenset(n.decode() for n in nodes)
        changed = bool(new) or alive != self._alive
        self._alive = alive
        return changed

    async def report(self, reports: Reports) -> dict[RoomId, int]:
        if not reports:
            return {}
        if self._alive is None:
            await self.heartbeat()  # the live nodes, before any sum
            with contextlib.suppress(*CONN_ERRORS):  # else the first pipeline's NOSCRIPT rerun repeats its announcements
                await self._redis.script_load(_PRESENCE)
        publish = ""
        announced = [room for room, (viewers, reactions) in reports.items() if reactions or self._shares.get(room, 0) != viewers]

        async def commands(pipe: Any) -> None:
            for room, (viewers, _) in reports.items():
                pipe.execute_command("EVALSHA", self._presence.sha, 1, key(room, "presence"), self.node_id, viewers, PRESENCE_HASH_TTL_MS)
            for room in announced:
                pipe.execute_command(publish, channel(room), "r|" + self.node_id + "|" + orjson.dumps(reports[room][1]).decode())

        try:
            publish = await self._conn.publish_command()
            results = await self._conn.pipelined(commands, [self._presence])
        except CONN_ERRORS as exc:
            raise LogUnavailable(str(exc)) from exc
        alive = self._alive or frozenset()
        out: dict[RoomId, int] = {}
        for (room, (viewers, _)), shares in zip(reports.items(), results, strict=False):  # the announcements' replies follow
            nodes = [n.decode() for n in shares[::2]]
            out[room] = sum(int(v) for n, v in zip(nodes, shares[1::2], strict=True) if n == self.node_id or n in alive)
            if viewers:
                self._shares[room] = viewers
            else:
                self._shares.pop(room, None)
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
