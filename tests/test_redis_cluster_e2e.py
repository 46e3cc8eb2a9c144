"""Many nodes on a real Redis Cluster: three masters (``redis-server --cluster-enabled
yes`` joined by ``redis-cli --cluster create``), real ``live serve`` processes.

The end-to-end and fault tests of tests/test_cluster_e2e.py run here unchanged, on the
cluster (this module's ``redis_aof``); then a master fails over to its replica mid-chat.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import Api, Client, Cluster, RedisClusterServer, eventually, token
from tests.test_cluster_e2e import (
    FAST,
    chat_seqs,
    cluster,
    logged,
    test_a_burst_of_commands_shares_append_calls_and_every_node_gets_it_in_one_order,
    test_killed_node_loses_nothing_acknowledged,
    test_node_joining_mid_session_serves_the_same_room,
    test_redis_restart_with_data_leaves_no_gap,
    test_redis_restarted_empty_tells_clients_to_reload,
    test_viewer_count_spans_nodes_and_drops_when_a_node_dies,
    test_viewers_on_three_nodes_get_every_message_in_one_order,
)

__all__ = [  # collected again here, on the cluster
    "cluster",
    "test_a_burst_of_commands_shares_append_calls_and_every_node_gets_it_in_one_order",
    "test_killed_node_loses_nothing_acknowledged",
    "test_node_joining_mid_session_serves_the_same_room",
    "test_redis_restart_with_data_leaves_no_gap",
    "test_redis_restarted_empty_tells_clients_to_reload",
    "test_viewer_count_spans_nodes_and_drops_when_a_node_dies",
    "test_viewers_on_three_nodes_get_every_message_in_one_order",
]


@pytest.fixture
def redis_aof(tmp_path: Path) -> Iterator[RedisClusterServer]:
    """Three masters with AOF (fsync always), as test_cluster_e2e's one Redis."""
    srv = RedisClusterServer(tmp_path, masters=3, aof=True).start()
    yield srv
    srv.stop()


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[RedisClusterServer]:
    """Three masters, one replica each."""
    srv = RedisClusterServer(tmp_path, masters=3, replicas=1, aof=True).start()
    yield srv
    srv.stop()


async def test_rooms_spread_over_the_shards_and_each_keeps_its_keys_on_one(redis_aof: RedisClusterServer, tmp_path: Path) -> None:
    nodes = Cluster(tmp_path, redis_aof, 2, **FAST).start()
    try:
        api = Api(nodes.nodes[0])
        rooms = [f"spread{i}" for i in range(6)]
        for room in rooms:
            await api.live_room(room)
            viewer = await Client.join(nodes.nodes[1].ws_url(room), token("v", room))
            assert (await viewer.request("chat.post", text=f"hi {room}"))["ok"]
            await viewer.wait_for(lambda v=viewer, r=room: v.chat_texts() == [f"hi {r}"])
            await viewer.close()
        masters = {room: redis_aof.master_of(f"live:{{{room}}}:log").port for room in rooms}
        assert len(set(masters.values())) > 1, "rooms live on more than one shard"
        with redis_aof.client() as r:
            for room in rooms:
                keys = [k.decode() for k in r.scan_iter(match=f"live:{{{room}}}:*", target_nodes=r.ALL_NODES)]
                assert {f"live:{{{room}}}:meta", f"live:{{{room}}}:log"} <= set(keys)
                assert {r.keyslot(k) for k in keys} == {r.keyslot(f"live:{{{room}}}:log")}
        await api.http.aclose()
    finally:
        nodes.stop()


@pytest.mark.parametrize("kill", [False, True], ids=["cluster-failover", "master-killed"])
async def test_master_failover_mid_chat_loses_nothing_acknowledged(replicated: RedisClusterServer, tmp_path: Path, kill: bool) -> None:
    nodes = Cluster(tmp_path, replicated, 2, **FAST).start()
    try:
        api = Api(nodes.nodes[0])
        await api.live_room("fo")
        viewers = [await Client.join(n.ws_url("fo"), token(f"v{i}", "fo")) for i, n in enumerate(nodes.nodes)]
        poster = await Client.join(nodes.nodes[1].ws_url("fo"), token("p", "fo", "moderator"))
        acked: list[str] = []
        refused = 0

        async def post_stream(n: int) -> None:
            nonlocal refused
            for _ in range(n):
                text = f"m{len(acked) + refused}"
                r = await poster.request("chat.post", text=text)
                if r["ok"]:
                    acked.append(text)
                else:
                    assert r["error"]["code"] == "unavailable", r
                    refused += 1
                await asyncio.sleep(0.01)

        await post_stream(10)
        master = replicated.master_of("live:{fo}:log")
        posting = asyncio.create_task(post_stream(60))
        promoted = await asyncio.to_thread(replicated.failover, master, kill=kill)
        await posting
        assert replicated.master_of("live:{fo}:log") is promoted, "the room's shard is now served by the promoted replica"

        async def after() -> dict:  # type: ignore[type-arg]
            return await poster.request("chat.post", text="after failover")

        await eventually(after, lambda r: r["ok"], timeout=15)
        acked.append("after failover")
        for v in viewers:
            await v.wait_for(lambda v=v: "after failover" in v.chat_texts(), timeout=15)
            assert v.closed_code is None, "viewers stay connected through the failover"
            texts = v.chat_texts()
            assert len(texts) == len(set(texts)), "nothing twice"
            assert [t for t in texts if t in acked] == acked, "every acknowledged message, in order"
            seqs = chat_seqs(v)
            assert seqs == sorted(set(seqs)), "no duplicate, no reordering"
        assert logged(viewers[0]) == logged(viewers[1]), "both nodes' viewers saw the same events"
        chat = await eventually(lambda: api.transcript("fo", type="chat.message"), lambda ev: set(acked) <= {e["message"]["text"] for e in ev})
        persisted = [e["message"]["text"] for e in chat]
        assert [t for t in persisted if t in acked] == acked and len(persisted) == len(set(persisted)), "persisted once each, in order"
        for c in (*viewers, poster):
            await c.close()
        await api.http.aclose()
    finally:
        nodes.stop()
