"""A node's backends, built together: the room log, leases, presence and usage.

They come as one set because they share things: on Redis, one client and connection
pool, and the room log's one reader task, which also delivers presence's reactions
(``on_signal``); in memory, the fact that this process is the only node.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from live.coord.leases import Leases
from live.coord.memory import MemoryLeases, MemoryPresence, MemoryUsage
from live.coord.presence import Presence
from live.coord.usage import Usage
from live.log.base import RoomLog
from live.log.memory import MemoryLog
from live.settings import Settings


async def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Backends:
    node_id: str
    log: RoomLog
    leases: Leases
    presence: Presence
    usage: Usage
    _close_shared: Callable[[], Awaitable[None]] = _nothing
    ping: Callable[[], Awaitable[None]] = _nothing  # raises when the shared backend does not answer

    async def close(self) -> None:
        """Stop the log's subscriptions, then close what the three share."""
        await self.log.close()
        await self._close_shared()


def memory_backends(node_id: str = "local") -> Backends:
    return Backends(node_id, MemoryLog(node_id), MemoryLeases(), MemoryPresence(), MemoryUsage())


def redis_backends(url: str, node_id: str, *, cluster: bool = False, lease_ms: int | None = None, presence_ttl_ms: int | None = None) -> Backends:
    """Redis backends over one client (of a Redis Cluster with ``cluster``); the timings
    default to live.coord.redis's."""
    from live.coord import redis as coord
    from live.log.redis import RedisLog
    from live.redisconn import RedisConn

    conn = RedisConn(url, cluster=cluster)
    leases = coord.RedisLeases(conn, node_id, lease_ms=lease_ms or coord.LEASE_MS)
    presence = coord.RedisPresence(conn, node_id, ttl_ms=presence_ttl_ms or coord.PRESENCE_TTL_MS)
    return Backends(node_id, RedisLog(conn, node_id), leases, presence, coord.RedisUsage(conn), conn.close, conn.ping)


def make_backends(settings: Settings) -> Backends:
    node_id = uuid.uuid4().hex[:8]
    if settings.log == "redis" or settings.redis_url:
        return redis_backends(settings.redis_url or "redis://127.0.0.1:6379/0", node_id, cluster=settings.redis_cluster)
    return memory_backends(node_id)
