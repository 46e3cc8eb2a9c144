"""Backend factories for the contract suites: one ``World`` per backend kind.

A world makes one set of backends per node, all seeing the same data, the way the
nodes of a cluster do (centrifuge's ``map_broker_shared_test.go`` runs its suite
through such a factory). The memory backend is one process and so the only node:
each set it makes is a world of its own, and the suites say where that makes the
expected outcome differ.
"""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from live.backends import Backends, memory_backends, redis_backends
from live.redisconn import cluster_seeds
from rooms.commands import Actor, Entry
from rooms.roles import Role
from rooms.types import RoomId, UserId
from tests.harness import RedisClusterServer, RedisServer


class World:
    one_node = False  # every set of backends is a world of its own (memory: one process)

    def __init__(self) -> None:
        self._made: list[Backends] = []

    def node(self, node_id: str, *, lease_ms: int | None = None, presence_ttl_ms: int | None = None) -> Backends:
        backends = self._make(node_id, lease_ms, presence_ttl_ms)
        self._made.append(backends)
        return backends

    def _make(self, node_id: str, lease_ms: int | None, presence_ttl_ms: int | None) -> Backends:
        raise NotImplementedError

    async def lose_history(self, backends: Backends) -> Backends:
        """Lose every room's history; returns the backends the node goes on with."""
        raise NotImplementedError

    async def close(self) -> None:
        for backends in self._made:
            await backends.close()


class MemoryWorld(World):
    one_node = True

    def _make(self, node_id: str, lease_ms: int | None, presence_ttl_ms: int | None) -> Backends:
        return memory_backends(node_id)  # no expiries: the one node never goes away unseen

    async def lose_history(self, backends: Backends) -> Backends:
        # The embedded log loses its history only with its process: the node that goes
        # on is a restarted one, and no subscription of the old one survives.
        await backends.close()
        return self.node(backends.node_id)


class RedisWorld(World):
    def __init__(self, server: RedisServer) -> None:
        super().__init__()
        self.url = server.url

    def _make(self, node_id: str, lease_ms: int | None, presence_ttl_ms: int | None) -> Backends:
        return redis_backends(self.url, node_id, lease_ms=lease_ms, presence_ttl_ms=presence_ttl_ms)

    async def lose_history(self, backends: Backends) -> Backends:
        # As a Redis that restarts empty: the data goes, and so do the subscriptions'
        # connections, which the log's reader re-establishes.
        client: Any = aioredis.Redis.from_url(self.url)
        try:
            await client.flushall()
            await client.client_kill_filter(_type="pubsub")
        finally:
            await client.aclose()
        return backends


class RedisClusterWorld(World):
    """Nodes on a Redis Cluster of three masters: rooms spread over the shards."""

    def __init__(self, server: RedisClusterServer) -> None:
        super().__init__()
        self.url = server.url

    def _make(self, node_id: str, lease_ms: int | None, presence_ttl_ms: int | None) -> Backends:
        return redis_backends(self.url, node_id, cluster=True, lease_ms=lease_ms, presence_ttl_ms=presence_ttl_ms)

    async def lose_history(self, backends: Backends) -> Backends:
        # Every shard restarts empty: the data goes, and so do the subscriptions.
        client: Any = RedisCluster(startup_nodes=[ClusterNode(*seed) for seed in cluster_seeds(self.url)[1]])
        try:
            await client.flushall(target_nodes=RedisCluster.PRIMARIES)
            await client.client_kill_filter(_type="pubsub", target_nodes=RedisCluster.PRIMARIES)
        finally:
            await client.aclose()
        return backends


def make_world(request: pytest.FixtureRequest) -> World:
    """The ``world`` fixture's value for its parameter (the Redis server only when asked)."""
    if request.param == "memory":
        return MemoryWorld()
    if request.param == "redis-cluster":
        return RedisClusterWorld(request.getfixturevalue("module_redis_cluster"))
    return RedisWorld(request.getfixturevalue("module_redis"))


ALICE = Actor(user_id=UserId("alice"), name="Alice", role=Role.VIEWER)


def new_room() -> RoomId:
    """A room no other test uses (the Redis of a test module is shared)."""
    return RoomId("r" + uuid.uuid4().hex[:10])


async def until(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Poll ``check`` until it holds; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


class Follower:
    """One node's subscription to a room: what it was delivered, reset and signalled."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.resets = 0
        self.signals: list[tuple[str, dict[str, int]]] = []

    async def open(self, backends: Backends, room: RoomId) -> "Follower":
        history = await backends.log.open(room, self.entries.append, self._reset, lambda node, counts: self.signals.append((node, counts)))
        assert history.epoch is not None
        return self

    def _reset(self) -> None:
        self.resets += 1
