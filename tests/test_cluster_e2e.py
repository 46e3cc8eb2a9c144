"""Many nodes, one room: real redis-server, real ``live serve`` processes, stopped by PID.

tests/test_redis_cluster_e2e.py runs these same tests on a Redis Cluster (its own
``redis_aof``): they reach Redis only through the fixture (env, client, stop, start, wipe).
"""

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import COALESCED, Api, Client, Cluster, LiveServer, RedisClusterServer, RedisServer, eventually, rejoin, scrape, token, value

AnyRedis = RedisServer | RedisClusterServer

FAST = {"LIVE_COMMANDS_PER_SECOND": "1000", "LIVE_COMMAND_BURST": "1000"}


@pytest.fixture
def redis_aof(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path, aof=True).start()
    yield srv
    srv.stop()


@pytest.fixture
def cluster(tmp_path: Path, redis_aof: AnyRedis) -> Iterator[Cluster]:
    c = Cluster(tmp_path, redis_aof, 3, **FAST).start()
    yield c
    c.stop()


def chat_seqs(client: Client) -> list[int]:
    return [m["seq"] for m in client.events("chat.message")]


def logged(client: Client) -> list[dict]:  # type: ignore[type-arg]
    """Events every viewer gets one by one; running totals (COALESCED) may skip steps per frame."""
    return [m for m in client.events() if m["type"] not in COALESCED]


async def test_viewers_on_three_nodes_get_every_message_in_one_order(cluster: Cluster) -> None:
    api = Api(cluster.nodes[0])
    await api.live_room("tri")
    viewers = [await Client.join(n.ws_url("tri"), token(f"v{i}", "tri"), fmt) for i, n in enumerate(cluster.nodes) for fmt in ("json", "msgpack")]
    posters = viewers[::2]
    sent = []
    for i in range(30):
        who = posters[i % 3]
        text = f"m{i} via node {i % 3}"
        assert (await who.request("chat.post", text=text))["ok"]
        sent.append(text)
    for v in viewers:
        await v.wait_for(lambda v=v: len(v.chat_texts()) == 30)
    reference = logged(viewers[0])
    for v in viewers:
        assert sorted(v.chat_texts()) == sorted(sent)
        assert logged(v) == reference, "same events, same order, no duplicates on every node"
    for v in viewers:
        await v.close()
    await api.http.aclose()


async def test_a_burst_of_commands_shares_append_calls_and_every_node_gets_it_in_one_order(cluster: Cluster) -> None:
    """40 buyers on one node post at once: their commands queue behind the room's append in
    flight and go to Redis together; every node still gets every message, once, in one order."""
    api = Api(cluster.nodes[0])
    await api.live_room("burst")
    posters = [await Client.join(cluster.nodes[0].ws_url("burst"), token(f"p{i}", "burst")) for i in range(40)]
    watchers = [await Client.join(n.ws_url("burst"), token(f"w{i}", "burst"), fmt) for i, n in enumerate(cluster.nodes) for fmt in ("json", "msgpack")]

    async def post(i: int, n: int) -> list[dict]:  # type: ignore[type-arg]
        return [await posters[i].request("chat.post", text=f"{i}-{k}") for k in range(n)]

    replies = [r for rs in await asyncio.gather(*(post(i, 5) for i in range(40))) for r in rs]
    assert all(r["ok"] for r in replies)
    assert len({r["result"]["message_id"] for r in replies}) == 200, "each post its own message"
    for w in watchers:
        await w.wait_for(lambda w=w: len(w.chat_texts()) == 200)
    reference = logged(watchers[0])
    seqs = chat_seqs(watchers[0])
    assert seqs == sorted(seqs) and len(set(seqs)) == 200
    for w in watchers:
        assert logged(w) == reference, "same events, same order, no duplicates on every node"
    samples = await scrape(api)
    calls, entries = value(samples, "live_redis_append_entries_count"), value(samples, "live_redis_append_entries_sum")
    assert entries >= 200 and calls < entries, "commands that arrived together shared append calls"
    for c in posters + watchers:
        await c.close()
    await api.http.aclose()


async def test_killed_node_loses_nothing_acknowledged(cluster: Cluster, redis_aof: AnyRedis) -> None:
    api = Api(cluster.nodes[0])
    await api.live_room("kill")
    host = await Client.join(cluster.nodes[1].ws_url("kill"), token("host1", "kill", "host"))
    await host.request("chat.post", text="warm-up")
    # Kill the node that holds the persister lease, so the takeover is exercised too.
    with redis_aof.client() as r:
        holder_id = await eventually(lambda: asyncio.to_thread(r.get, "live:{kill}:lease"), lambda v: v is not None)
    ids = [(await api.http.get(n.url + "/healthz")).json()["node"] for n in cluster.nodes]
    victim = cluster.nodes[ids.index(holder_id.decode())]
    survivors = [n for n in cluster.nodes if n is not victim]
    on_victim = [await Client.join(victim.ws_url("kill"), token(f"x{i}", "kill")) for i in range(3)]
    on_survivor = await Client.join(survivors[0].ws_url("kill"), token("s", "kill"))
    poster = await Client.join(survivors[-1].ws_url("kill"), token("p", "kill", "moderator"))

    acked: list[str] = []

    async def post_stream() -> None:
        for i in range(60):
            r = await poster.request("chat.post", text=f"n{i}")
            if r["ok"]:
                acked.append(f"n{i}")
            await asyncio.sleep(0.01)

    posting = asyncio.create_task(post_stream())
    await on_victim[0].wait_for(lambda: len(on_victim[0].chat_texts()) >= 10)
    victim.stop(signal.SIGKILL)
    for c in on_victim:
        assert await c.wait_closed() == 1006
    # Reconnect each to a surviving node, resuming from the last seq it saw.
    resumed = []
    for i, c in enumerate(on_victim):
        last = c.events()[-1]["seq"]
        again = await Client.join(survivors[i % 2].ws_url("kill"), token(f"x{i}", "kill"), since=last, epoch=c.welcome["epoch"])  # type: ignore[index]
        assert again.welcome["resumed"] is True  # type: ignore[index]
        resumed.append((c, again))
    await posting
    for before, after in resumed:
        await after.wait_for(lambda a=after, b=before: len(b.chat_texts()) + len(a.chat_texts()) >= len(acked))
        whole = before.chat_texts() + after.chat_texts()
        seqs = chat_seqs(before) + chat_seqs(after)
        assert seqs == sorted(set(seqs)), "no gap reordering, no duplicate"
        assert whole == [t for t in acked if t in whole] and set(acked) <= set(whole)
    await on_survivor.wait_for(lambda: set(acked) <= set(on_survivor.chat_texts()))

    survivor_api = Api(survivors[0])
    chat = await eventually(lambda: survivor_api.transcript("kill", type="chat.message"), lambda ev: set(acked) <= {e["message"]["text"] for e in ev})
    await survivor_api.http.aclose()
    texts = [e["message"]["text"] for e in chat]
    assert texts == ["warm-up", *acked], "every acknowledged message persisted exactly once, in order"
    for c in [on_survivor, poster, host] + [a for _, a in resumed]:
        await c.close()
    await api.http.aclose()


async def test_redis_restart_with_data_leaves_no_gap(cluster: Cluster, redis_aof: AnyRedis) -> None:
    api = Api(cluster.nodes[0])
    await api.live_room("bounce")
    a = await Client.join(cluster.nodes[0].ws_url("bounce"), token("a", "bounce"))
    b = await Client.join(cluster.nodes[1].ws_url("bounce"), token("b", "bounce"))
    assert (await a.request("chat.post", text="before"))["ok"]
    redis_aof.stop()
    down = await a.request("chat.post", text="while down")
    assert down["ok"] is False and down["error"]["code"] == "unavailable" and down["error"]["retry_after_ms"] > 0
    redis_aof.start()

    async def posted_after() -> dict:  # type: ignore[type-arg]
        return await b.request("chat.post", text="after")

    await eventually(posted_after, lambda r: r["ok"], timeout=15)
    for c in (a, b):
        await c.wait_for(lambda c=c: c.chat_texts() == ["before", "after"])
        seqs = chat_seqs(c)
        assert c.closed_code is None and seqs == sorted(set(seqs))
    assert logged(a) == logged(b)
    for c in (a, b):
        await c.close()
    await api.http.aclose()


async def test_redis_refusing_writes_gets_unavailable_and_the_socket_stays(tmp_path: Path, redis_aof: RedisServer) -> None:
    """Redis up but answering with an error (out of memory here; a failover's MOVED or
    READONLY the same way): the poster is told "unavailable, retry", nobody is cut off."""
    nodes = Cluster(tmp_path, redis_aof, 2, **FAST).start()
    try:
        api = Api(nodes.nodes[0])
        await api.live_room("oom")
        a = await Client.join(nodes.nodes[0].ws_url("oom"), token("a", "oom"))
        b = await Client.join(nodes.nodes[1].ws_url("oom"), token("b", "oom"))
        assert (await a.request("chat.post", text="before"))["ok"]
        with redis_aof.client() as r:
            r.config_set("maxmemory-policy", "noeviction")
            r.config_set("maxmemory", "1")
            refused = await a.request("chat.post", text="while full")
            assert refused["ok"] is False and refused["error"]["code"] == "unavailable" and refused["error"]["retry_after_ms"] > 0
            assert (await b.request("ping"))["ok"], "the other node's sockets carry on"
            r.config_set("maxmemory", "0")
        assert (await a.request("chat.post", text="after"))["ok"], "the same socket posts again"
        for c in (a, b):
            await c.wait_for(lambda c=c: c.chat_texts() == ["before", "after"])
            assert c.closed_code is None
        for c in (a, b):
            await c.close()
        await api.http.aclose()
    finally:
        nodes.stop()


async def test_a_join_while_redis_is_down_is_told_to_come_back(tmp_path: Path, redis_aof: RedisServer) -> None:
    """Redis stopped: a viewer joining a room this node has not opened gets "unavailable"
    and 1012 (reconnect with backoff), not a dropped socket; once Redis is back, they get in."""
    nodes = Cluster(tmp_path, redis_aof, 2, **FAST).start()
    try:
        api = Api(nodes.nodes[0])
        await api.live_room("down")
        redis_aof.stop()
        c = await Client.open(nodes.nodes[1].ws_url("down"))
        await c.send_raw(c.encode({"type": "hello", "id": "h", "token": token("a", "down")}))
        assert await c.wait_closed() == 1012
        assert [m["error"]["code"] for m in c.messages if m["type"] == "reply"] == ["unavailable"]
        redis_aof.start()
        back = await rejoin(nodes.nodes[1].ws_url("down"), token("a", "down"))
        assert back.welcome is not None and back.welcome["room"]["status"] == "live"
        await back.close()
        await api.http.aclose()
    finally:
        nodes.stop()


async def test_redis_restarted_empty_tells_clients_to_reload(cluster: Cluster, redis_aof: AnyRedis) -> None:
    api = Api(cluster.nodes[0])
    await api.live_room("amnesia")
    a = await Client.join(cluster.nodes[0].ws_url("amnesia"), token("a", "amnesia"))
    b = await Client.join(cluster.nodes[2].ws_url("amnesia"), token("b", "amnesia"))
    assert (await a.request("chat.post", text="kept in SQL"))["ok"]
    await eventually(lambda: api.transcript("amnesia", type="chat.message"), lambda ev: len(ev) == 1)
    redis_aof.stop()
    redis_aof.wipe()
    redis_aof.start()
    for c in (a, b):
        assert await c.wait_closed(timeout=20) == 4010
    old_epoch = a.welcome["epoch"]  # type: ignore[index]
    again = await rejoin(cluster.nodes[1].ws_url("amnesia"), token("a", "amnesia"), since=a.events()[-1]["seq"], epoch=old_epoch)
    w = again.welcome
    assert w is not None and w["resumed"] is False and w["epoch"] != old_epoch
    assert [m["text"] for m in w["room"]["messages"]] == ["kept in SQL"] and w["room"]["status"] == "live"
    assert (await again.request("chat.post", text="new epoch"))["ok"]
    await again.wait_for(lambda: again.chat_texts() == ["new epoch"])
    await again.close()
    await api.http.aclose()


async def test_node_joining_mid_session_serves_the_same_room(tmp_path: Path, redis_aof: AnyRedis) -> None:
    cluster = Cluster(tmp_path, redis_aof, 1, LIVE_PERSIST_INTERVAL_MS="100", **FAST).start()
    late = LiveServer(tmp_path, LIVE_DATABASE_URL=cluster.nodes[0].env["LIVE_DATABASE_URL"], **redis_aof.env, **FAST)
    try:
        first = cluster.nodes[0]
        api = Api(first)
        await api.live_room("mid")
        host = await Client.join(first.ws_url("mid"), token("host1", "mid", "host"))
        for i in range(50):
            await host.request("chat.post", text=f"early {i}")
        pinned = await host.request("chat.post", text="pinned one")
        await host.request("chat.pin", message_id=pinned["result"]["message_id"])
        await host.request("mod.slow_mode", seconds=7)
        await host.wait_for(lambda: host.events("room.slow_mode"))
        late.start()
        here = await Client.join(first.ws_url("mid"), token("v1", "mid"))
        there = await Client.join(late.ws_url("mid"), token("v2", "mid"))
        assert here.welcome["room"] == there.welcome["room"]  # type: ignore[index]
        assert there.welcome["room"]["pinned"]["text"] == "pinned one" and there.welcome["room"]["slow_mode_seconds"] == 7  # type: ignore[index]
        await host.request("chat.post", text="later")
        for c in (here, there):
            await c.wait_for(lambda c=c: c.chat_texts() == ["later"])
        assert logged(here) == logged(there)
        slowed = [await c.request("chat.post", text=f"once {i}") for i, c in enumerate((there, there))]
        assert slowed[0]["ok"] and slowed[1]["error"]["code"] == "slow_mode", "rules folded from the snapshot hold"
        for c in (host, here, there):
            await c.close()
        await api.http.aclose()
    finally:
        late.stop()
        cluster.stop()


async def test_a_node_with_a_few_viewers_of_a_big_show_batches_as_the_whole_show(tmp_path: Path, redis_aof: AnyRedis) -> None:
    """The batch window follows the room's viewers on every node, not this node's share: a
    frame costs each viewer a send either way. Here a window of 1 ms per viewer (5 to 200)."""
    cluster = Cluster(tmp_path, redis_aof, 2, **FAST, LIVE_BATCH_WINDOW_MS="5", LIVE_MAX_BATCH_WINDOW_MS="200", LIVE_BATCH_VIEWERS_PER_MS="1").start()
    try:
        api = Api(cluster.nodes[0])
        await api.live_room("show")
        crowd = [await Client.join(cluster.nodes[0].ws_url("show"), token(f"c{i}", "show")) for i in range(59)]
        host = await Client.join(cluster.nodes[0].ws_url("show"), token("host1", "show", "host"))
        lone = await Client.join(cluster.nodes[1].ws_url("show"), token("lone", "show"))  # alone on its node
        await lone.wait_for(lambda: [m["viewers"] for m in lone.messages if m["type"] == "presence"][-1:] == [61])
        for i in range(40):
            await host.request("chat.post", text=f"m{i}")
        await lone.wait_for(lambda: len(lone.chat_texts()) == 40)
        chat = [t for t, types in lone.frames if "chat.message" in types]
        # Alone, its window would be 5 ms (one viewer); the show's 61 viewers make it 61 ms.
        assert len(chat) <= 2 + (chat[-1] - chat[0]) / 0.06, f"{len(chat)} frames in {chat[-1] - chat[0]:.3f} s"
        for c in [*crowd, host, lone]:
            await c.close()
        await api.http.aclose()
    finally:
        cluster.stop()


async def test_viewer_count_spans_nodes_and_drops_when_a_node_dies(cluster: Cluster) -> None:
    api = Api(cluster.nodes[0])
    await api.live_room("count")
    watcher = await Client.join(cluster.nodes[0].ws_url("count"), token("w", "count"))
    others = [await Client.join(cluster.nodes[i % 2 + 1].ws_url("count"), token(f"o{i}", "count")) for i in range(4)]

    def viewers() -> int | None:
        counts = [m["viewers"] for m in watcher.messages if m["type"] == "presence"]
        return counts[-1] if counts else None

    await watcher.wait_for(lambda: viewers() == 5)
    cluster.nodes[2].stop(signal.SIGKILL)  # held two of the viewers
    await watcher.wait_for(lambda: viewers() == 3, timeout=10)
    # The live nodes are settled now: a count that changes on another node reaches this
    # one's viewers because that node announces its share (no node re-reports quiet rooms).
    late = await Client.join(cluster.nodes[1].ws_url("count"), token("late", "count"))
    await watcher.wait_for(lambda: viewers() == 4)
    await late.close()
    await watcher.wait_for(lambda: viewers() == 3)
    # Reactions from another node reach this one's viewers.
    for _ in range(3):
        assert (await others[0].request("reaction", kind="clap"))["ok"]
    await watcher.wait_for(lambda: sum(m["counts"].get("clap", 0) for m in watcher.messages if m["type"] == "reactions") == 3)
    for c in [watcher, others[0], others[2]]:
        await c.close()
    await api.http.aclose()
