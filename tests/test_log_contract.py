"""The room log's contract (live/log/base.py), run against the memory and the Redis log.

Each test gets a ``world`` (tests/worlds.py): backends of one kind, one set per node.
Where the embedded (memory) log legitimately differs — it is one process, the only
node — the test says so and checks what memory promises instead.
"""

import asyncio
import itertools

import pytest

from live.backends import Backends
from live.errors import EpochChanged
from live.log.base import RoomLog
from rooms.commands import ChatPost
from rooms.types import RoomId
from tests.harness import eventually as until_value
from tests.worlds import ALICE, Follower, World, new_room, until


async def post(log: RoomLog, room: RoomId, epoch: str, text: str) -> int:
    return await log.append(room, epoch, ALICE, ChatPost(text=text), origin=text)


async def test_seq_is_dense_from_one_and_ts_never_goes_backwards(world: World) -> None:
    log = world.node("a").log
    room = new_room()
    epoch = await log.seed(room, None)
    seqs = [await post(log, room, epoch, f"m{i}") for i in range(30)]
    assert seqs == list(range(1, 31))
    entries = await log.read(room)
    assert [e.seq for e in entries] == seqs
    assert [e.origin for e in entries] == [f"m{i}" for i in range(30)]
    assert all(a.ts <= b.ts for a, b in itertools.pairwise(entries))


async def test_seq_continues_after_the_seeded_snapshot(world: World) -> None:
    log = world.node("a").log
    room = new_room()
    epoch = await log.seed(room, (7, {"title": "seeded"}))
    assert await post(log, room, epoch, "first") == 8
    history = await log.open(room, lambda e: None, lambda: None, lambda n, c: None)
    assert history.epoch == epoch
    assert history.snapshot == (7, {"title": "seeded"})
    assert [e.seq for e in history.entries] == [8]


async def test_a_room_without_history_opens_without_an_epoch(world: World) -> None:
    log = world.node("a").log
    history = await log.open(new_room(), lambda e: None, lambda: None, lambda n, c: None)
    assert history.epoch is None and history.snapshot is None and history.entries == []


async def test_concurrent_appenders_are_delivered_once_each_in_seq_order(world: World) -> None:
    a = world.node("a")
    # Memory is one process: its only appenders are this node's concurrent tasks.
    # On Redis, a second node appends to the same room at the same time.
    writers = [a] if world.one_node else [a, world.node("b")]
    room = new_room()
    epoch = await a.log.seed(room, None)
    followers = [await Follower().open(node, room) for node in writers]

    async def burst(node: Backends, name: str) -> list[int]:
        return [await post(node.log, room, epoch, f"{name}-{i}") for i in range(25)]

    bursts = await asyncio.gather(*(burst(node, f"{node.node_id}{k}") for node in writers for k in range(3)))
    total = sum(len(b) for b in bursts)
    assert sorted(s for b in bursts for s in b) == list(range(1, total + 1))  # dense, none twice
    await until(lambda: all(len(f.entries) >= total for f in followers), "every entry delivered")
    stored = await a.log.read(room)
    for follower in followers:
        # Publish order is seq order, and what is published is what is stored.
        assert [(e.seq, e.origin) for e in follower.entries] == [(e.seq, e.origin) for e in stored]


async def test_read_returns_the_entries_after_a_seq_up_to_a_limit(world: World) -> None:
    log = world.node("a").log
    room = new_room()
    epoch = await log.seed(room, None)
    for i in range(10):
        await post(log, room, epoch, f"m{i}")
    assert [e.seq for e in await log.read(room, 3, 4)] == [4, 5, 6, 7]
    assert [e.seq for e in await log.read(room, 8, 100)] == [9, 10]
    assert await log.read(room, 10) == []
    assert await log.read(new_room()) == []


async def test_append_with_a_stale_epoch_raises_and_appends_nothing(world: World) -> None:
    log = world.node("a").log
    room = new_room()
    epoch = await log.seed(room, None)
    await post(log, room, epoch, "kept")
    with pytest.raises(EpochChanged):
        await post(log, room, "not-" + epoch, "lost")
    with pytest.raises(EpochChanged):
        await post(log, new_room(), epoch, "no history")  # a room never seeded
    assert [e.origin for e in await log.read(room)] == ["kept"]


async def test_seed_keeps_an_existing_history_and_its_epoch(world: World) -> None:
    log = world.node("a").log
    room = new_room()
    epoch = await log.seed(room, None)
    await post(log, room, epoch, "m0")
    assert await log.seed(room, (40, {"title": "ignored"})) == epoch
    assert await post(log, room, epoch, "m1") == 2
    history = await log.open(room, lambda e: None, lambda: None, lambda n, c: None)
    assert history.snapshot is None and [e.seq for e in history.entries] == [1, 2]


async def test_a_lost_history_is_seeded_under_a_new_epoch_and_resets_followers(world: World) -> None:
    node = world.node("a")
    room = new_room()
    epoch = await node.log.seed(room, None)
    follower = await Follower().open(node, room)
    await post(node.log, room, epoch, "before")
    await until(lambda: len(follower.entries) == 1, "the entry delivered")

    node = await world.lose_history(node)
    if world.one_node:
        # Memory loses a history only with its process: the follower belonged to the old
        # process and is gone with it, so there is nobody to reset.
        assert follower.resets == 0
    else:
        await until(lambda: follower.resets >= 1, "on_reset for the open follower")
    assert (await node.log.open(room, lambda e: None, lambda: None, lambda n, c: None)).epoch is None
    with pytest.raises(EpochChanged):
        await post(node.log, room, epoch, "after")
    new_epoch = await node.log.seed(room, (1, {"title": "from SQL"}))
    assert new_epoch != epoch
    assert await post(node.log, room, new_epoch, "after") == 2


async def test_a_lost_history_starts_one_loss_clock_for_every_node(world: World) -> None:
    a, b = world.node("a"), world.node("b")
    room = new_room()
    epoch = await a.log.seed(room, None)
    await post(a.log, room, epoch, "m0")
    assert await a.log.lost_for(room) == 0 and await b.log.lost_for(room) == 0
    a = await world.lose_history(a)
    if world.one_node:
        # Memory: a lost history is a restarted process, and nobody else holds any of it.
        assert await a.log.lost_for(room) == 0
        return
    first = await a.log.lost_for(room)
    assert first >= 1
    later = await until_value(lambda: b.log.lost_for(room), lambda ms: ms >= first + 100)  # the same clock, read from b
    assert later >= first + 100
    await a.log.seed(room, (1, {}))
    assert await b.log.lost_for(room) == 0, "seeding stops the clock"


async def test_a_saved_snapshot_is_what_a_node_opens_the_room_from(world: World) -> None:
    a = world.node("a")
    room = new_room()
    epoch = await a.log.seed(room, None)
    for i in range(5):
        await post(a.log, room, epoch, f"m{i}")
    await a.log.save_snapshot(room, 3, b'{"title":"at three"}')
    # Memory is one process: the node that opens the room is the one that saved it.
    opener = a if world.one_node else world.node("b")
    history = await opener.log.open(room, lambda e: None, lambda: None, lambda n, c: None)
    assert history.snapshot == (3, {"title": "at three"})
    assert [e.seq for e in history.entries] == [4, 5]


async def test_trim_drops_entries_up_to_a_seq_and_the_seq_goes_on(world: World) -> None:
    log = world.node("a").log
    room = new_room()
    epoch = await log.seed(room, None)
    for i in range(10):
        await post(log, room, epoch, f"m{i}")
    await log.trim(room, 6)
    assert [e.seq for e in await log.read(room)] == [7, 8, 9, 10]
    assert [e.seq for e in await log.read(room, 8)] == [9, 10]
    assert await post(log, room, epoch, "m10") == 11
    await log.trim(room, 100)
    assert await log.read(room) == []
    assert await post(log, room, epoch, "m11") == 12


async def test_a_room_trimmed_after_a_snapshot_opens_from_it(world: World) -> None:
    log = world.node("a").log
    room = new_room()
    epoch = await log.seed(room, None)
    for i in range(5):
        await post(log, room, epoch, f"m{i}")
    await log.save_snapshot(room, 5, b'{"title":"ended"}')  # as the persister does before it trims
    await log.trim(room, 5)
    history = await log.open(room, lambda e: None, lambda: None, lambda n, c: None)
    assert (history.epoch, history.snapshot, history.entries) == (epoch, (5, {"title": "ended"}), [])
    assert await post(log, room, epoch, "m5") == 6


async def test_close_room_ends_the_subscription(world: World) -> None:
    node = world.node("a")
    closed, still = new_room(), new_room()
    epochs = {room: await node.log.seed(room, None) for room in (closed, still)}
    followers = {room: await Follower().open(node, room) for room in (closed, still)}
    await node.log.close_room(closed)
    await post(node.log, closed, epochs[closed], "unheard")
    await post(node.log, still, epochs[still], "heard")
    # Delivery is in publish order on the node's one subscription: once the later entry
    # of the open room is in, the closed room's entry would have been too.
    await until(lambda: len(followers[still].entries) == 1, "the open room's entry")
    assert followers[closed].entries == []
