"""The contracts of leases (live/coord/leases.py), presence (live/coord/presence.py) and
usage (live/coord/usage.py), run against the memory and the Redis implementations.

Each test gets a ``world`` (tests/worlds.py): backends of one kind, one set per node.
The memory backends are one process, the only node there is, so where a contract is
about several nodes the test says what memory promises instead.
"""

import asyncio

from live.coord.redis import LEASES_PER_CALL
from rooms.commands import ChatPost
from rooms.types import RoomId
from tests.harness import eventually
from tests.worlds import ALICE, Follower, World, new_room, until

SHORT_MS = 300  # lease time and presence expiry for the tests that wait for one to pass


# --- leases ---------------------------------------------------------------------------


async def test_one_lease_holder_at_a_time(world: World) -> None:
    a, b = world.node("a"), world.node("b")
    rooms = [new_room() for _ in range(20)]
    held_a, held_b = await asyncio.gather(a.leases.hold(rooms), b.leases.hold(rooms))
    if world.one_node:
        # Memory: each node is a process of its own and the only node of its rooms, so
        # it holds every lease it asks for.
        assert held_a == held_b == set(rooms)
        return
    assert held_a.isdisjoint(held_b) and held_a | held_b == set(rooms)  # each room: exactly one
    assert await a.leases.hold(rooms) == held_a  # renewed, not lost
    assert await b.leases.hold(rooms) == held_b


async def test_a_node_holding_many_rooms_holds_each_once(world: World) -> None:
    """More rooms than one call takes (``LEASES_PER_CALL`` on one Redis): every answer lands on its room."""
    a, b = world.node("a"), world.node("b")
    theirs = [new_room() for _ in range(2 * LEASES_PER_CALL + 1)]
    assert await b.leases.hold(theirs[::3]) == set(theirs[::3])
    held = await a.leases.hold(theirs)
    if world.one_node:
        assert held == set(theirs)
        return
    assert held == set(theirs) - set(theirs[::3])


async def test_a_lease_not_renewed_lapses_to_the_next_node(world: World) -> None:
    a, b = world.node("a", lease_ms=SHORT_MS), world.node("b", lease_ms=SHORT_MS)
    room = new_room()
    assert await a.leases.hold([room]) == {room}
    if world.one_node:
        # Memory has no lease time: the one node never goes away unseen.
        assert await b.leases.hold([room]) == {room}
        return
    assert await b.leases.hold([room]) == set()
    await eventually(lambda: b.leases.hold([room]), lambda held: held == {room})  # b asks until a's lease lapses
    assert await a.leases.hold([room]) == set()  # a's lapsed lease is b's now


async def test_progress_marks_round_trip(world: World) -> None:
    a = world.node("a")
    # On Redis the marks are the holder's word to the other nodes; memory's one node
    # reads back its own.
    reader = a if world.one_node else world.node("b")
    r1, r2, unmarked = new_room(), new_room(), new_room()
    assert await reader.leases.marks([r1, r2, unmarked]) == {}
    await a.leases.mark({r1: 5, r2: 9})
    await a.leases.mark({r1: 12})
    assert await reader.leases.marks([r1, r2, unmarked]) == {r1: 12, r2: 9}
    assert await reader.leases.marks([]) == {}


# --- presence -------------------------------------------------------------------------


async def test_the_nodes_viewer_shares_sum_and_a_zero_share_leaves_at_once(world: World) -> None:
    a, b = world.node("a"), world.node("b")
    room, other = new_room(), new_room()
    assert await a.presence.report({room: (3, {}), other: (1, {})}) == {room: 3, other: 1}
    totals = await b.presence.report({room: (4, {})})
    if world.one_node:
        # Memory: a room's viewers are the one node's own.
        assert totals == {room: 4}
        assert await a.presence.report({room: (0, {})}) == {room: 0}
        return
    assert totals == {room: 7}
    await a.presence.heartbeat()  # a counts b from its first heartbeat after b's
    assert await a.presence.report({room: (0, {})}) == {room: 4}
    assert await b.presence.report({room: (4, {})}) == {room: 4}
    assert await b.presence.report({}) == {}


async def test_a_share_counts_while_its_node_heartbeats_and_leaves_when_it_stops(world: World) -> None:
    a, b = world.node(f"a-{new_room()}", presence_ttl_ms=SHORT_MS), world.node(f"b-{new_room()}", presence_ttl_ms=SHORT_MS)
    room = new_room()
    await a.presence.report({room: (3, {})})
    if world.one_node:
        # Memory has no expiry and nothing to keep alive: the only node's share is what it last said.
        assert await a.presence.heartbeat() is False and a.presence.heartbeat_seconds is None
        assert await a.presence.report({room: (3, {})}) == {room: 3}
        return
    assert await b.presence.report({room: (4, {})}) == {room: 7}
    # a never reports the room again, only heartbeats: its share counts past the expiry.
    started = asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - started < 2 * SHORT_MS / 1000:
        await a.presence.heartbeat()
        await b.presence.heartbeat()
        assert await b.presence.report({room: (4, {})}) == {room: 7}
    # a goes silent: once its heartbeat is older than the expiry, b's heartbeat says the
    # live nodes changed and the total leaves a's share out.
    async def b_after_heartbeat() -> tuple[bool, dict[RoomId, int]]:
        return await b.presence.heartbeat(), await b.presence.report({room: (4, {})})

    changed, _ = await eventually(b_after_heartbeat, lambda r: r[1] == {room: 4})
    assert changed


async def test_a_node_the_backend_lost_hears_so_at_its_heartbeat(world: World) -> None:
    a = world.node(f"a-{new_room()}")
    room = new_room()
    await a.presence.report({room: (3, {})})
    if world.one_node:
        return  # memory loses nothing while its process lives
    a = await world.lose_history(a)  # Redis restarted empty: shares and live nodes gone
    assert await a.presence.heartbeat() is True, "a must report every room again"
    b = world.node(f"b-{new_room()}")
    assert await b.presence.report({room: (1, {})}) == {room: 1}  # a's share went with the data...
    assert await a.presence.heartbeat() is True  # (b is new to a)
    assert await a.presence.report({room: (3, {})}) == {room: 4}  # ...until a reports it again


async def test_reactions_reach_the_other_nodes_through_the_log_subscription(world: World) -> None:
    a = world.node("a")
    room = new_room()
    epoch = await a.log.seed(room, None)
    at_a = await Follower().open(a, room)
    if world.one_node:
        # Memory: there is no other node. The reporting node never gets its own back.
        await a.presence.report({room: (1, {"heart": 2})})
        await a.log.append(room, epoch, ALICE, ChatPost(text="after"))
        assert len(at_a.entries) == 1 and at_a.signals == []
        return
    b = world.node("b")
    at_b = await Follower().open(b, room)
    await a.presence.report({room: (1, {"heart": 2, "fire": 1})})
    await until(lambda: at_b.signals != [], "b to receive a's reactions")
    assert at_b.signals == [("a", {"heart": 2, "fire": 1})]
    # On the room's channel the reactions came before this entry: once a has the entry,
    # it would have had its own reactions too, had they been handed back to it.
    await a.log.append(room, epoch, ALICE, ChatPost(text="after"))
    await until(lambda: len(at_a.entries) == 1, "a to receive the entry")
    assert at_a.signals == []
    # A share that changed is announced without reactions (b asks for the total again);
    # a report that changes nothing is not.
    await a.presence.report({room: (1, {})})
    await a.presence.report({room: (2, {})})
    await until(lambda: len(at_b.signals) == 2, "b to hear a's share changed")
    assert at_b.signals[1] == ("a", {})
    await a.log.append(room, epoch, ALICE, ChatPost(text="later"))
    await until(lambda: len(at_b.entries) == 2, "b to receive the entry")
    assert len(at_b.signals) == 2


# --- usage ------------------------------------------------------------------------------


async def test_usage_sums_every_nodes_counts_in_a_window(world: World) -> None:
    a, b = world.node("a"), world.node("b")
    window = 60_000  # long enough that both calls land in one window
    user = f"u:{new_room()}"
    assert await a.usage.add({user: 3}, window) == {user: 3}
    totals = await b.usage.add({user: 4, "u:other": 1}, window)
    if world.one_node:
        # Memory: each node is a process of its own and counts only what it saw.
        assert totals == {user: 4, "u:other": 1}
        return
    assert totals == {user: 7, "u:other": 1}
    assert await a.usage.add({user: 0}, window) == {user: 7}


async def test_usage_starts_over_in_each_window(world: World) -> None:
    a = world.node("a")
    user = f"u:{new_room()}"
    assert await a.usage.add({user: 5}, 200) == {user: 5}
    # A later window counts from zero again (poll until the 200 ms window has turned).
    await eventually(lambda: a.usage.add({user: 1}, 200), lambda totals: totals[user] == 1)
