"""The fold, pure: no loop, no server. Property tests over random logs."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import commands as c
from rooms import events as e
from rooms import moderation
from rooms.errors import Code, Rejection
from rooms.fold import RULES, Accepted, OutOfOrder, fold
from rooms.roles import STAFF, Role
from rooms.state import RoomState, Status
from rooms.types import Millis, RoomId, Seq, UserId

USERS = {
    "host": Role.HOST,
    "mod": Role.MODERATOR,
    "aff": Role.AFFILIATE,
    "brand": Role.BRAND,
    "v1": Role.VIEWER,
    "v2": Role.VIEWER,
    "v3": Role.VIEWER,
    "guest:1": Role.GUEST,
}
ACTORS = {u: c.Actor(user_id=UserId(u), name=u.upper(), role=r) for u, r in USERS.items()}

message_ids = st.integers(1, 40)
user_ids = st.sampled_from(sorted(USERS)).map(UserId)
commands = st.one_of(
    st.builds(c.ChatPost, text=st.sampled_from(["hi", "  ", "x" * 501, "buy!", "ok"]), reply_to=st.none() | message_ids),
    st.builds(c.ChatDelete, message_id=message_ids),
    st.builds(c.ChatPin, message_id=message_ids),
    st.just(c.ChatUnpin()),
    st.builds(c.ModTimeout, user_id=user_ids, seconds=st.integers(-1, 120)),
    st.builds(c.ModBan, user_id=user_ids),
    st.builds(c.ModUnban, user_id=user_ids),
    st.builds(c.ModUntimeout, user_id=user_ids),
    st.builds(c.ModAppoint, user_id=user_ids),
    st.builds(c.ModDismiss, user_id=user_ids),
    st.builds(c.ModSlowMode, seconds=st.integers(0, 30)),
    st.just(c.RoomGoLive()),
    st.just(c.RoomEnd()),
)
steps = st.lists(st.tuples(st.sampled_from(sorted(USERS)), commands, st.integers(0, 20_000)), max_size=60)


def make_log(raw: list[tuple[str, c.Command, int]]) -> list[c.Entry]:
    opening: list[tuple[str, c.Command, int]] = [("host", c.RoomCreate(title="Show", host_id=UserId("host")), 0), ("host", c.RoomGoLive(), 1)]
    out, ts = [], 1_000_000
    for i, (user, cmd, dt) in enumerate(opening + raw, start=1):
        ts += dt
        out.append(c.Entry(seq=Seq(i), ts=Millis(ts), actor=ACTORS[user], command=cmd))
    return out


def run(log: list[c.Entry], state: RoomState | None = None) -> tuple[RoomState, list[tuple[int, e.Event]], list[c.Entry | object]]:
    state = state or RoomState(RoomId("r"))
    events: list[tuple[int, e.Event]] = []
    outcomes: list[object] = []
    for entry in log:
        _, evs, outcome = fold(state, entry)
        events += [(entry.seq, ev) for ev in evs]
        outcomes.append(outcome)
    return state, events, outcomes


@settings(max_examples=300, deadline=None)
@given(steps)
def test_same_log_same_events_and_dense_seq(raw: list[tuple[str, c.Command, int]]) -> None:
    log = make_log(raw)
    s1, ev1, out1 = run(log)
    s2, ev2, out2 = run(log)
    assert ev1 == ev2 and out1 == out2
    assert s1.seq == len(log) and s1.snapshot() == s2.snapshot()
    assert [seq for seq, _ in ev1] == sorted(seq for seq, _ in ev1)


@settings(max_examples=200, deadline=None)
@given(steps, st.data())
def test_recovery_from_any_seq_is_the_tail_of_the_full_stream(raw: list[tuple[str, c.Command, int]], data: st.DataObject) -> None:
    log = make_log(raw)
    _, full, _ = run(log)
    k = data.draw(st.integers(0, len(log)))
    state, _, _ = run(log[:k])
    _, tail, _ = run(log[k:], state)
    assert tail == [(seq, ev) for seq, ev in full if seq > k]


@settings(max_examples=300, deadline=None)
@given(steps)
def test_role_and_moderation_rules_hold(raw: list[tuple[str, c.Command, int]]) -> None:
    state = RoomState(RoomId("r"))
    last_post: dict[str, int] = {}
    for logged in make_log(raw):
        entry = moderation.appointed(state, logged)  # the role the fold judges by (appointed moderators)
        before_banned = set(state.banned)
        slow = state.slow_mode_seconds
        author = state.messages[entry.command.message_id].user.id if isinstance(entry.command, c.ChatDelete) and entry.command.message_id in state.messages else None
        was_live = state.status is Status.LIVE
        known_staff = {u for u, r in state.roles_seen.items() if r in STAFF}
        _, events, outcome = fold(state, logged)
        roles = RULES[type(entry.command)].roles
        if isinstance(outcome, Accepted):
            assert entry.actor.role in roles
            assert entry.actor.role is not Role.GUEST
            if isinstance(entry.command, c.ChatPost):
                assert was_live
                assert entry.actor.user_id not in before_banned or entry.actor.role in STAFF
                if slow and entry.actor.role in (Role.VIEWER, Role.AFFILIATE) and entry.actor.user_id in last_post:
                    assert entry.ts - last_post[entry.actor.user_id] >= slow * 1000
                last_post[entry.actor.user_id] = entry.ts
            if isinstance(entry.command, c.ChatDelete):
                assert author == entry.actor.user_id or entry.actor.role in STAFF
            if isinstance(entry.command, c.ModBan | c.ModTimeout):
                assert entry.command.user_id not in known_staff | {"host", entry.actor.user_id}
        else:
            assert isinstance(outcome, Rejection) and events == []
            if entry.actor.role not in roles:
                assert outcome.code is Code.FORBIDDEN


def test_out_of_order_entry_is_refused() -> None:
    log = make_log([])
    state, _, _ = run(log[:1])
    with pytest.raises(OutOfOrder):
        fold(state, replace(log[1], seq=Seq(5)))


def test_time_rules_read_entry_ts_only() -> None:
    log = make_log([("mod", c.ModTimeout(user_id=UserId("v1"), seconds=60), 0)])
    state, _, _ = run(log)
    post = lambda seq, ts: c.Entry(seq=Seq(seq), ts=Millis(ts), actor=ACTORS["v1"], command=c.ChatPost(text="back"))  # noqa: E731
    until = state.timeouts[UserId("v1")]
    _, _, early = fold(state, post(4, until - 1))
    assert isinstance(early, Rejection) and early.code is Code.TIMED_OUT and early.retry_after_ms == 1
    _, events, ok = fold(state, post(5, until))
    assert isinstance(ok, Accepted) and isinstance(events[0], e.ChatMessage)


def test_deleting_the_pinned_message_unpins_it() -> None:
    log = make_log([("v1", c.ChatPost(text="pin me"), 0), ("mod", c.ChatPin(message_id=3), 0), ("v1", c.ChatDelete(message_id=3), 0)])
    state, events, _ = run(log)
    assert [type(ev).__name__ for _, ev in events][-2:] == ["ChatDeleted", "ChatUnpinned"]
    assert state.pinned is None and state.snapshot()["messages"] == []
