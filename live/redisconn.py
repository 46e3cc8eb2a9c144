"""The one Redis client a node's backends share: the room log, leases and presence.

Per room, every key shares the hash tag ``{room}`` so the design holds on Redis
Cluster (``key(room, part)`` is ``live:{room}:<part>``). A room's channel,
``live:{room}:ch``, carries both its log entries (``e|seq|ts|body``, published by the
log's append script) and the other nodes' reactions (``r|node|counts``, published by
presence); the log's one reader delivers both. It is sharded pub/sub
(SSUBSCRIBE/SPUBLISH) on Redis 7+, plain pub/sub before.
"""

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

MAX_CONNECTIONS = 32  # per node, besides the subscription's own
CONN_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


def key(room: str, part: str) -> str:
    return f"live:{{{room}}}:{part}"


def channel(room: str) -> str:
    return key(room, "ch")


class RedisConn:
    """A bounded pool: a burst of commands waits for a connection instead of opening
    thousands at once. redis-py's types are loose; they stay out of ours (``redis: Any``).
    """

    def __init__(self, url: str) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=MAX_CONNECTIONS, timeout=5, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10)
        self.redis: Any = aioredis.Redis(connection_pool=pool)
        self._sharded: bool | None = None

    async def sharded(self) -> bool:
        """Whether this Redis has sharded pub/sub (7+); asked once."""
        if self._sharded is None:
            version = (await self.redis.info("server"))["redis_version"]
            self._sharded = int(str(version).split(".")[0]) >= 7
        return self._sharded

    async def publish_command(self) -> str:
        return "SPUBLISH" if await self.sharded() else "PUBLISH"

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)
