"""The one Redis client a node's backends share: the room log, leases and presence.

Per room, every key shares the hash tag ``{room}`` (``key(room, part)`` is
``live:{room}:<part>``), so on Redis Cluster a room's stream, meta, snapshot, lease,
presence and channel live in one hash slot, on one shard: every script touches one
slot. A room's channel, ``live:{room}:ch``, carries both its log entries
(``e|seq|ts|body``, published by the log's append script) and the other nodes'
reactions (``r|node|counts``, published by presence); the log's one reader delivers
both. It is sharded pub/sub (SSUBSCRIBE/SPUBLISH) on Redis 7+, plain pub/sub before.

``LIVE_REDIS_CLUSTER=1`` makes the URL a cluster's seed nodes (``redis://a:7000,b:7000``):
commands go through ``redis.asyncio.cluster.RedisCluster`` and the subscriptions
through ``ShardBus``, one connection per master that owns a followed room.
"""

import asyncio
import contextlib
import contextvars
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from live import metrics

MAX_CONNECTIONS = 32  # per node (per shard on a cluster), besides the subscriptions' own
# Redis cannot take or serve the call (for now): the caller answers "unavailable, retry".
# Not only a dropped connection: a Redis that is up may answer with an error (out of
# memory, LOADING, READONLY, and mid-failover MOVED/TRYAGAIN/CLUSTERDOWN once the client's
# own retries are spent), and a cluster may have no seed reachable or slots uncovered.
CONN_ERRORS = (RedisError, RedisClusterException, ConnectionError, OSError)
_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 5}

logger = logging.getLogger("live.redisconn")


def key(room: str, part: str) -> str:
    return f"live:{{{room}}}:{part}"


def channel(room: str) -> str:
    return key(room, "ch")


def cluster_seeds(url: str) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """``redis[s]://[user:pass@]a:7000,b:7001,...``: the options (credentials and TLS, from the
    first URL) and the seed nodes. A seed without a scheme takes the first's."""
    parts = [p.strip() for p in url.split(",") if p.strip()]
    first = urlsplit(parts[0])
    scheme = first.scheme
    options: dict[str, Any] = {"ssl": scheme == "rediss"}
    if first.username:
        options["username"] = unquote(first.username)
    if first.password:
        options["password"] = unquote(first.password)
    seeds = []
    for part in parts:
        split = urlsplit(part if "://" in part else f"{scheme}://{part}")
        seeds.append((split.hostname or "127.0.0.1", split.port or 6379))
    return options, seeds


class _BoundedCluster(RedisCluster):
    """A burst of commands waits for one of ``MAX_CONNECTIONS`` slots instead of failing:
    redis-py's cluster pool raises when a node's pool is full (single Redis: a blocking pool)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self._slots:
            return await super().execute_command(*args, **kwargs)


class RedisConn:
    """A bounded pool (single Redis) or a cluster client. redis-py's types are loose; they
    stay out of ours (``redis: Any``)."""

    def __init__(self, url: str, *, cluster: bool = False) -> None:
        self.cluster = cluster
        self.redis: Any
        if cluster:
            options, seeds = cluster_seeds(url)
            self.node_options = options | _TIMEOUTS | {"health_check_interval": 10}
            nodes = [ClusterNode(host, port) for host, port in seeds]
            self.redis = _BoundedCluster(startup_nodes=nodes, max_connections=2 * MAX_CONNECTIONS, **options, **_TIMEOUTS)
        else:
            pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=MAX_CONNECTIONS, timeout=5, health_check_interval=10, **_TIMEOUTS)
            self.redis = aioredis.Redis(connection_pool=pool)
        self._sharded: bool | None = True if cluster else None

    async def sharded(self) -> bool:
        """Whether this Redis has sharded pub/sub (7+); asked once (a cluster must have it)."""
        if self._sharded is None:
            version = (await self.redis.info("server"))["redis_version"]
            self._sharded = int(str(version).split(".")[0]) >= 7
        return self._sharded

    async def publish_command(self) -> str:
        return "SPUBLISH" if await self.sharded() else "PUBLISH"

    def bus(self) -> "SingleBus | ShardBus":
        """The subscriptions of the node's room log."""
        return ShardBus(self.redis, self.node_options) if self.cluster else SingleBus(self)

    async def pipelined(self, commands: Any, scripts: list[Any]) -> list[Any]:
        """Run ``await commands(pipe)`` as one pipeline, whose scripts are called by EVALSHA
        (``Script`` objects refuse cluster pipelines). Nothing loads them on a shard that
        lacks them (a fresh one, a promoted replica): on NOSCRIPT they are loaded on every
        master and the pipeline runs again (its commands are idempotent, but for a
        reaction burst, which a second run repeats)."""
        for attempt in (1, 2):
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    await commands(pipe)
                    return list(await pipe.execute())
            except NoScriptError:
                if attempt == 2:
                    raise
                for script in scripts:
                    await self.redis.script_load(script.script)
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        if self.cluster:
            await self.redis.aclose()
        else:
            await self.redis.aclose(close_connection_pool=True)


class SingleBus:
    """The subscriptions on one Redis: one connection, which redis-py re-establishes (and
    resubscribes) by itself; ``gap`` says it did, so the log catches up from the streams."""

    def __init__(self, conn: RedisConn) -> None:
        self._conn = conn
        self._pubsub: Any = conn.redis.pubsub(ignore_subscribe_messages=True)
        self.gap = False

    async def subscribe(self, name: str) -> None:
        if await self._conn.sharded():
            await self._pubsub.ssubscribe(name)
        else:
            await self._pubsub.subscribe(name)
        self._pubsub.connection.register_connect_callback(self._reconnected)

    async def unsubscribe(self, name: str) -> None:
        if await self._conn.sharded():
            await self._pubsub.sunsubscribe(name)
        else:
            await self._pubsub.unsubscribe(name)

    def _reconnected(self, connection: Any) -> None:
        metrics.REDIS_RECONNECTS.inc()
        self.gap = True

    async def get(self, wait: float) -> tuple[bytes, bytes] | None:
        """The next message (channel, data), or None after ``wait`` seconds."""
        message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
        return None if message is None else (message["channel"], message["data"])

    async def close(self) -> None:
        await self._pubsub.aclose()


@dataclass(eq=False)
class _Shard:
    """One master's subscription connection and its reader."""

    name: str
    client: Any
    pubsub: Any
    channels: set[str] = field(default_factory=set)
    leaving: dict[str, int] = field(default_factory=dict)  # our SUNSUBSCRIBEs not yet confirmed
    reader: "asyncio.Task[None] | None" = None
    dead: bool = False


class ShardBus:
    """Sharded pub/sub on Redis Cluster: a connection per master that owns a followed
    channel's slot, each with a reader, feeding one queue. When a connection fails or a
    master hands its slots over (the server then unsubscribes us), the slot map is
    refreshed, every channel is subscribed again where its slot now lives, and ``gap``
    says so: the log catches up from the streams (which a promoted replica holds). The
    connections do not reconnect by themselves: re-placing is the one way back."""

    def __init__(self, cluster: Any, node_options: dict[str, Any]) -> None:
        self._cluster = cluster
        self._options = node_options | {"retry": Retry(NoBackoff(), 0)}
        self._wanted: set[str] = set()
        self._shards: dict[str, _Shard] = {}  # by node name
        self._confirm: dict[str, asyncio.Future[None]] = {}
        self._queue: asyncio.Queue[tuple[bytes, bytes]] = asyncio.Queue()
        self._replacing: asyncio.Task[None] | None = None
        self._again = False
        self._placing = asyncio.Lock()  # a room subscribing and a re-placing do not interleave
        self._backoff = ExponentialWithJitterBackoff(cap=2.0, base=0.05)
        self.gap = False

    async def subscribe(self, name: str) -> None:
        self._wanted.add(name)
        async with self._placing:
            await self._cluster.initialize()
            node = self._cluster.get_node_from_key(name)
            shard = await self._shard(node.host, node.port)
            try:
                await self._subscribe(shard, [name])
            except BaseException:
                self._wanted.discard(name)
                shard.channels.discard(name)
                self.replace()  # the shard is dead: its other rooms are placed again
                raise

    async def unsubscribe(self, name: str) -> None:
        self._wanted.discard(name)
        for shard in self._shards.values():
            if name in shard.channels:
                shard.channels.discard(name)
                if not shard.dead:
                    shard.leaving[name] = shard.leaving.get(name, 0) + 1  # its confirmation is no alarm
                    await shard.pubsub.sunsubscribe(name)

    async def get(self, wait: float) -> tuple[bytes, bytes] | None:
        if not self._queue.empty():
            return self._queue.get_nowait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                return await self._queue.get()
        return None

    async def _shard(self, host: str, port: int) -> _Shard:
        name = f"{host}:{port}"
        shard = self._shards.get(name)
        if shard is not None and shard.dead:
            await self._drop(shard)
            shard = None
        if shard is None:
            client = aioredis.Redis(host=host, port=port, **self._options)
            shard = self._shards[name] = _Shard(name, client, client.pubsub())
        return shard

    async def _subscribe(self, shard: _Shard, names: list[str]) -> None:
        """SSUBSCRIBE (one command per channel: one slot each), and wait for Redis to
        confirm: what is published from then on reaches us."""
        loop = asyncio.get_running_loop()
        waits = [self._confirm.setdefault(n, loop.create_future()) for n in names]
        shard.channels.update(names)
        try:
            for n in names:
                await shard.pubsub.ssubscribe(n)
            if shard.reader is None:
                # Not in the context (room, request) of whoever subscribed first.
                shard.reader = loop.create_task(self._read(shard), context=contextvars.Context())
            async with asyncio.timeout(5):
                await asyncio.gather(*waits)
        except BaseException as exc:
            shard.dead = True
            if isinstance(exc, TimeoutError):
                raise RedisTimeoutError(f"no subscription confirmed by {shard.name}") from exc
            raise
        finally:
            for n in names:
                self._confirm.pop(n, None)

    async def _read(self, shard: _Shard) -> None:
        while True:
            try:
                message = await shard.pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # gone, or no longer a master (MOVED): placed again
                metrics.REDIS_SUBSCRIPTION_ERRORS.inc()
                logger.warning("redis cluster subscription on %s lost (%s); re-placing its rooms", shard.name, exc)
                self._lost(shard)
                return
            if message is None:
                continue
            kind, name = message["type"], message["channel"]
            if kind == "smessage":
                self._queue.put_nowait((name, message["data"]))
            elif kind == "ssubscribe" and (waiter := self._confirm.get(name.decode())) is not None and not waiter.done():
                waiter.set_result(None)
            elif kind == "sunsubscribe" and shard.leaving.get(name.decode()):
                left = shard.leaving.pop(name.decode()) - 1
                if left:
                    shard.leaving[name.decode()] = left
            elif kind == "sunsubscribe" and name.decode() in shard.channels:
                logger.warning("redis cluster: %s gave up %s (its slot moved); re-placing", shard.name, name.decode())
                self._lost(shard)
                return

    def _lost(self, shard: _Shard) -> None:
        """The shard's reader ends: a subscription waiting on it fails now, the rest is placed again."""
        shard.dead = True
        for name in shard.channels:
            waiter = self._confirm.get(name)
            if waiter is not None and not waiter.done():
                waiter.set_exception(RedisConnectionError(f"subscription on {shard.name} lost"))
        self.replace()

    def replace(self) -> None:
        """Place every channel again by a fresh slot map (one replacement at a time)."""
        if self._replacing is None or self._replacing.done():
            self._replacing = asyncio.get_running_loop().create_task(self._replace())
        else:
            self._again = True

    async def _replace(self) -> None:
        failures = 0
        while True:
            self._again = False
            try:
                async with self._placing:
                    await self._cluster.nodes_manager.initialize()
                    await self._place_all()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the cluster is mid-failover: try again
                failures += 1
                logger.warning("redis cluster: re-placing subscriptions failed (%s); retrying", exc)
                await asyncio.sleep(self._backoff.compute(failures))
                continue
            metrics.REDIS_RECONNECTS.inc()
            self.gap = True
            if not self._again:
                return

    async def _place_all(self) -> None:
        where: dict[str, list[str]] = {}
        for name in self._wanted:
            node = self._cluster.get_node_from_key(name)
            where.setdefault(f"{node.host}:{node.port}", []).append(name)
        for shard in list(self._shards.values()):
            if shard.dead or shard.channels != set(where.get(shard.name, [])):
                await self._drop(shard)
        for address, names in where.items():
            if address not in self._shards:
                host, port = address.rsplit(":", 1)
                await self._subscribe(await self._shard(host, int(port)), names)

    async def _drop(self, shard: _Shard) -> None:
        shard.dead = True
        if shard.reader is not None and shard.reader is not asyncio.current_task():
            shard.reader.cancel()
        with contextlib.suppress(Exception):
            await shard.pubsub.aclose()
            await shard.client.aclose()
        if self._shards.get(shard.name) is shard:
            del self._shards[shard.name]

    async def close(self) -> None:
        if self._replacing is not None:
            self._replacing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._replacing
        for shard in list(self._shards.values()):
            await self._drop(shard)
