"""The review queue, reports, shadow-mutes and community rules, pure: what the fold does
with automatic moderation's verdict, and that any log re-folds to the same room."""

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from live.log.serde import entry_from_dict, entry_to_dict, state_from_dict, state_to_dict
from live.store.privacy import scrub
from live.wire import codec
from live.wire.codec import Format
from live.wire.server import reply_to
from rooms import commands as c
from rooms import events as e
from rooms import modevents as m
from rooms.errors import Code, Rejection
from rooms.fold import Accepted, fold
from rooms.roles import Role
from rooms.state import RoomState
from rooms.types import Millis, RoomId, Seq, UserId
from rooms.verdicts import ALLOW, Outcome, Verdict
from tests.test_rooms_moderation import ANA, BEN, HOST, MOD, Room, actor, code

CY = actor("cy", Role.VIEWER)
BRAND = actor("brand", Role.BRAND)
HOLD = Verdict(outcome=Outcome.HOLD, reasons=("link",), score=0.1)
BLOCK = Verdict(outcome=Outcome.BLOCK, reasons=("word_list", "caps"), score=0.9)


def post(room: Room, who: c.Actor, text: str, verdict: Verdict = ALLOW) -> Accepted | Rejection:
    return room.run(who, c.ChatPost(text=text, verdict=verdict))


def test_a_held_message_reaches_staff_and_its_author_and_waits_for_approval() -> None:
    room = Room()
    held = post(room, ANA, "cheap at www.fake.example", HOLD)
    assert isinstance(held, Accepted) and held.result == {"message_id": 3, "held": True, "reasons": ["link"]}
    event = room.events[-1]
    assert isinstance(event, m.ChatHeld) and event.audience == "staff" and event.recipient() == "ana" and event.reasons == ("link",)
    assert not any(isinstance(ev, e.ChatMessage) for ev in room.events), "viewers see nothing"
    assert room.state.snapshot()["messages"] == [] and [h["message"]["text"] for h in room.state.moderation_view()["queue"]] == ["cheap at www.fake.example"]
    assert isinstance(post(room, BEN, "first shown"), Accepted)
    assert code(room.run(ANA, c.ModApprove(message_id=3))) is Code.FORBIDDEN, "viewers do not review"
    assert isinstance(room.run(MOD, c.ModApprove(message_id=3)), Accepted)
    shown = [ev.message for ev in room.events if isinstance(ev, e.ChatMessage)]
    assert [(msg.id, msg.user.id, msg.text) for msg in shown] == [(4, "ben", "first shown"), (3, "ana", "cheap at www.fake.example")], "in order of approval, original author and id"
    assert room.state.moderation_view()["queue"] == [] and [msg["id"] for msg in room.state.snapshot()["messages"]] == [4, 3]
    assert code(room.run(MOD, c.ModApprove(message_id=3))) is Code.NOT_FOUND


def test_a_rejected_message_is_never_shown_and_its_author_is_told_why() -> None:
    room = Room()
    post(room, ANA, "dm me for deals", HOLD)
    assert isinstance(room.run(BRAND, c.ModReject(message_id=3, reason="scam")), Accepted), "brand staff review too"
    told = [ev for ev in room.events if isinstance(ev, m.ChatRejected)]
    assert told == [m.ChatRejected(user_id=UserId("ana"), message_id=3, reason="scam")] and told[0].audience == "user"
    assert not any(isinstance(ev, e.ChatMessage) for ev in room.events)


def test_a_blocked_message_is_refused_with_its_reasons_and_recorded() -> None:
    room = Room()
    out = post(room, ANA, "BAD WORDS", BLOCK)
    assert isinstance(out, Rejection) and out.code is Code.BLOCKED and out.reasons == ("word_list", "caps")
    blocked = room.events[-1]
    assert isinstance(blocked, m.ChatBlocked) and (blocked.user.id, blocked.text, blocked.reasons) == ("ana", "BAD WORDS", ("word_list", "caps")) and blocked.recipient() == "ana"
    assert room.state.messages == {} and room.state.message_count == 0
    assert isinstance(post(room, HOST, "staff are never blocked", BLOCK), Accepted)


def test_reports_hide_a_message_once_per_viewer_and_review_decides() -> None:
    room = Room()
    post(room, ANA, "rude")
    assert code(room.run(ANA, c.ChatReport(message_id=3))) is Code.INVALID, "not your own"
    assert isinstance(room.run(BEN, c.ChatReport(message_id=3, reason="rude")), Accepted)
    assert code(room.run(BEN, c.ChatReport(message_id=3))) is Code.CONFLICT, "once per viewer"
    assert isinstance(room.run(CY, c.ChatReport(message_id=3)), Accepted)
    assert 3 in room.state.messages
    out = room.run(MOD, c.ChatReport(message_id=3))
    assert isinstance(out, Accepted) and out.result == {"hidden": True}
    assert m.ChatHidden(message_id=3, reason="reports") in room.events
    assert 3 not in room.state.messages and room.state.moderation_view()["queue"][0]["reports"] == 3
    assert isinstance(room.run(MOD, c.ModApprove(message_id=3)), Accepted)
    assert isinstance(room.events[-2], m.ChatRestored) and 3 in room.state.messages
    # hidden again, then rejected: deleted for good
    room.run(HOST, c.ModReportThreshold(reports=1))
    post(room, ANA, "worse")
    room.run(BEN, c.ChatReport(message_id=room.state.seq))
    assert isinstance(room.run(MOD, c.ModReject(message_id=room.state.seq - 1)), Accepted)
    assert any(isinstance(ev, e.ChatDeleted) for ev in room.events)
    assert code(room.run(ANA, c.ChatReport(message_id=1))) is Code.NOT_FOUND
    post(room, HOST, "host speaks")
    assert code(room.run(ANA, c.ChatReport(message_id=room.state.seq))) is Code.FORBIDDEN, "staff messages cannot be reported"


def test_a_shadow_muted_author_sees_their_message_and_nobody_else_does() -> None:
    room = Room()
    assert code(room.run(ANA, c.ModShadowMute(user_id=UserId("ben")))) is Code.FORBIDDEN
    assert isinstance(room.run(MOD, c.ModShadowMute(user_id=UserId("ben"), reason="flood")), Accepted)
    assert code(room.run(MOD, c.ModShadowMute(user_id=UserId("ben")))) is Code.CONFLICT
    out = post(room, BEN, "buy followers")
    assert isinstance(out, Accepted) and out.result == {"message_id": room.state.seq}, "the same reply as a post"
    shadowed = room.events[-1]
    assert isinstance(shadowed, m.ChatShadowed) and shadowed.audience == "staff" and shadowed.recipient() == "ben"
    assert shadowed.as_recipient_sees() == e.ChatMessage(message=shadowed.message), "the author gets an ordinary chat.message"
    assert room.state.snapshot()["messages"] == []
    assert isinstance(room.run(MOD, c.ModShadowUnmute(user_id=UserId("ben"))), Accepted)
    post(room, BEN, "back")
    assert isinstance(room.events[-2], e.ChatMessage)


def test_rules_brand_then_room_and_acceptance() -> None:
    room = Room()
    brand_rules = c.Rules(text="Be kind.", require_acceptance=True)
    assert code(room.run(ANA, c.RulesSet(scope="brand", rules=brand_rules))) is Code.FORBIDDEN
    assert isinstance(room.run(BRAND, c.RulesSet(scope="brand", rules=brand_rules)), Accepted)
    assert room.state.snapshot()["rules"] == {"text": "Be kind.", "require_acceptance": True}
    assert code(post(room, ANA, "hi")) is Code.RULES_NOT_ACCEPTED
    assert isinstance(post(room, HOST, "staff need not accept"), Accepted)
    assert isinstance(room.run(ANA, c.RulesAccept()), Accepted)
    assert isinstance(post(room, ANA, "hi"), Accepted)
    before = c.Actor(user_id=UserId("ben"), name="Ben", role=Role.VIEWER, rules_accepted=True)
    assert isinstance(post(room, before, "accepted in another room of the brand"), Accepted)
    room.run(HOST, c.RulesSet(scope="room", rules=c.Rules(text="Room rules")))
    assert room.events[-1] == m.RulesChanged(rules=c.Rules(text="Room rules")) and isinstance(post(room, CY, "no acceptance here"), Accepted)
    room.run(HOST, c.RulesSet(scope="room", rules=None))
    assert room.state.rules == brand_rules, "clearing the room's own falls back to the brand's"
    assert code(room.run(HOST, c.RulesSet(scope="room", rules=c.Rules(text=" ")))) is Code.INVALID


# --- any log re-folds to the same room ------------------------------------------------------

USERS = {"host": HOST, "mod": MOD, "brand": BRAND, "ana": ANA, "ben": BEN, "cy": CY}
ids = st.integers(3, 30)
users = st.sampled_from(["ana", "ben", "cy", "mod"]).map(UserId)
verdicts = st.sampled_from([Verdict(), HOLD, BLOCK])
commands = st.one_of(
    st.builds(c.ChatPost, text=st.sampled_from(["hi", "link www.x.example", "  "]), verdict=verdicts),
    st.builds(c.ChatReport, message_id=ids),
    st.builds(c.ModApprove, message_id=ids),
    st.builds(c.ModReject, message_id=ids, reason=st.none() | st.just("no")),
    st.builds(c.ModShadowMute, user_id=users),
    st.builds(c.ModShadowUnmute, user_id=users),
    st.builds(c.ModReportThreshold, reports=st.integers(0, 3)),
    st.builds(c.RulesSet, scope=st.sampled_from(["brand", "room"]), rules=st.none() | st.builds(c.Rules, text=st.just("Be kind"), require_acceptance=st.booleans())),
    st.just(c.RulesAccept()),
    st.builds(c.ChatDelete, message_id=ids),
)
steps = st.lists(st.tuples(st.sampled_from(sorted(USERS)), commands), max_size=50)


def _log(raw: list[tuple[str, c.Command]]) -> list[c.Entry]:
    opening: list[tuple[str, c.Command]] = [("host", c.RoomCreate(title="Show", host_id=UserId("host"), report_threshold=2)), ("host", c.RoomGoLive())]
    return [c.Entry(seq=Seq(i), ts=Millis(1_000_000 + i * 500), actor=USERS[u], command=cmd) for i, (u, cmd) in enumerate(opening + raw, start=1)]


def _fold(log: list[c.Entry], state: RoomState | None = None) -> tuple[RoomState, list[object]]:
    state, out = state or RoomState(RoomId("r")), []
    for entry in log:
        _, events, outcome = fold(state, entry)
        out.append((events, outcome))
    return state, out


@settings(max_examples=200, deadline=None)
@given(steps, st.data())
def test_any_sequence_refolds_to_the_same_room(raw: list[tuple[str, c.Command]], data: st.DataObject) -> None:
    log = _log(raw)
    s1, out1 = _fold(log)
    s2, out2 = _fold([entry_from_dict(entry_to_dict(x)) for x in log])  # as the log stores it
    assert out1 == out2 and s1.snapshot() == s2.snapshot() and s1.moderation_view() == s2.moderation_view()
    k = data.draw(st.integers(0, len(log)))
    head, _ = _fold(log[:k])
    resumed, tail = _fold(log[k:], state_from_dict(state_to_dict(head)))  # a node that opened from a snapshot
    assert tail == out1[k:] and resumed.moderation_view() == s1.moderation_view()
    shown = {msg["id"] for msg in s1.snapshot()["messages"]}
    assert not shown & {h["message"]["id"] for h in s1.moderation_view()["queue"]}, "a queued message is never shown"
    for events, outcome in out1:
        if isinstance(outcome, Rejection) and outcome.code is not Code.BLOCKED:
            assert all(not isinstance(ev, m.ChatBlocked) for ev in events)


def test_a_blocked_reply_carries_its_reasons_on_the_wire() -> None:
    reply = reply_to(7, Rejection(Code.BLOCKED, "this message breaks the room's rules: link", reasons=("link",)))
    wire = orjson.loads(codec.frame(Format.JSON, [codec.encode(Format.JSON, reply)]))
    assert wire == [{"type": "reply", "id": 7, "ok": False, "error": {"code": "blocked", "message": "this message breaks the room's rules: link", "reasons": ["link"]}}]
    plain = orjson.loads(codec.frame(Format.JSON, [codec.encode(Format.JSON, reply_to(8, Rejection(Code.BANNED, "banned")))]))
    assert "reasons" not in plain[0]["error"]


def test_erasure_finds_a_blocked_or_held_authors_text() -> None:
    room = Room()
    post(room, ANA, "my phone is 0812", BLOCK)
    post(room, ANA, "call 0812", HOLD)
    for event in room.events[-2:]:
        body = scrub(orjson.loads(orjson.dumps(event)), c.PrivacyErase(user_id=UserId("ana"), alias=UserId("erased:x")), "[erased]")
        assert "0812" not in orjson.dumps(body).decode() and "ana" not in orjson.dumps(body).decode()
