"""The shape of the domain core, pure: the rule table, the lifecycle table, the reaction
rule, what events declare, and the wire words of the enums."""

import dataclasses
import typing

import pytest

from rooms import commands as c
from rooms import events as e
from rooms import lifecycle
from rooms.chat import may_react
from rooms.errors import Code, DomainError, Rejection
from rooms.fold import RULES, Accepted, OutOfOrder, fold
from rooms.roles import Role
from rooms.state import RoomState, Status
from rooms.statuses import EndReason, ReservationStatus
from rooms.types import Millis, RoomId, Seq, UserId

HOST = c.Actor(user_id=UserId("host"), name="Host", role=Role.HOST)
MOD = c.Actor(user_id=UserId("mod"), name="Mod", role=Role.MODERATOR)
VIEWER = c.Actor(user_id=UserId("v1"), name="V1", role=Role.VIEWER)
GUEST = c.Actor(user_id=UserId("guest:1"), name="Guest", role=Role.GUEST)


def room(*commands: tuple[c.Actor, c.Command]) -> tuple[RoomState, list[Accepted | Rejection]]:
    state, outcomes = RoomState(RoomId("r")), []
    for i, (actor, command) in enumerate(commands, start=1):
        _, _, outcome = fold(state, c.Entry(seq=Seq(i), ts=Millis(1_000_000 + i), actor=actor, command=command))
        outcomes.append(outcome)
    return state, outcomes


def test_every_command_has_exactly_one_rule() -> None:
    assert set(RULES) == set(typing.get_args(c.Command))
    assert all(cmd is rule.command for cmd, rule in RULES.items())


def test_reactions_are_for_writers_who_are_not_banned() -> None:
    state, _ = room((HOST, c.RoomCreate(title="Show", host_id=UserId("host"))), (HOST, c.RoomGoLive()), (MOD, c.ModBan(user_id=UserId("v2"))))
    refused = Rejection(Code.FORBIDDEN, "you may not react in this room")
    assert may_react(state, VIEWER) is None and may_react(state, HOST) is None
    assert may_react(state, GUEST) == refused
    assert may_react(state, c.Actor(user_id=UserId("v2"), name="V2", role=Role.VIEWER)) == refused


@pytest.mark.parametrize(
    ("opening", "command", "code", "message"),
    [
        ([], c.RoomGoLive(), Code.NOT_FOUND, "room does not exist"),
        ([], c.RoomEnd(), Code.NOT_FOUND, "room does not exist"),
        (["create"], c.RoomCreate(title="Again", host_id=UserId("host")), Code.CONFLICT, "room already exists"),
        (["create", "live"], c.RoomGoLive(), Code.CONFLICT, "room is already live"),
        (["create", "end"], c.RoomGoLive(), Code.ROOM_ENDED, "room has ended"),
        (["create", "end"], c.RoomEnd(), Code.ROOM_ENDED, "room has ended"),
    ],
)
def test_transitions_not_in_the_table_are_refused(opening: list[str], command: c.Command, code: Code, message: str) -> None:
    steps: dict[str, c.Command] = {"create": c.RoomCreate(title="Show", host_id=UserId("host")), "live": c.RoomGoLive(), "end": c.RoomEnd()}
    _state, outcomes = room(*[(HOST, steps[s]) for s in opening], (HOST, command))
    assert all(isinstance(o, Accepted) for o in outcomes[:-1])
    assert outcomes[-1] == Rejection(code, message)


def test_transitions_in_the_table_move_the_status() -> None:
    for (before, command), after in lifecycle.TRANSITIONS.items():
        path = {Status.NONE: [], Status.SCHEDULED: [c.RoomCreate(title="Show", host_id=UserId("host"))]}
        path[Status.LIVE] = [*path[Status.SCHEDULED], c.RoomGoLive()]
        built = command(title="Show", host_id=UserId("host")) if command is c.RoomCreate else command()
        state, outcomes = room(*[(HOST, step) for step in [*path[before], built]])
        assert isinstance(outcomes[-1], Accepted) and state.status is after


def test_events_declare_audience_and_coalescing() -> None:
    assert (e.OfferStock.coalesce, e.PollTally.coalesce, e.PointsAwarded.coalesce) == ("offer_id", "poll_id", "user_id")
    assert (e.GiveawayEntries.coalesce, e.QuestionVotes.coalesce) == ("giveaway_id", "question_id")
    assert e.SalesUpdated.coalesce == "affiliate_id"
    assert {"offer.stock", "poll.tally", "points.awarded", "giveaway.entries", "question.votes", "sales.updated"} == e.COALESCED_TYPES
    staff = {"sales.updated", "chat.held", "chat.blocked", "chat.reported", "mod.reviewed", "chat.shadowed", "mod.shadow_mute", "mod.shadow_unmute", "mod.report_threshold"}
    buyers = {"order.placed", "order.checkout", "order.paid", "order.expired", "order.cancelled"}
    assert staff == e.STAFF_TYPES and {"chat.rejected", "auction.outbid"} | buyers == e.PRIVATE_TYPES
    assert {"order.reserved", "order.changed"} | e.PRIVATE_TYPES == e.INTERNAL_TYPES, "one user's events are never broadcast"
    for cls in e.EVENT_CLASSES:
        assert cls.audience in ("public", "staff", "internal", "user")
        assert cls.coalesce is None or cls.coalesce in {f.name for f in dataclasses.fields(cls)}
        assert "type" not in {f.name for f in dataclasses.fields(cls)}, "the tag is a class attribute, never a field"


def test_wire_words_stay_the_same() -> None:
    assert [s.value for s in ReservationStatus] == ["reserved", "paid", "cancelled", "expired"]
    assert [r.value for r in EndReason] == ["time", "host", "room_ended"]
    server = ["bad_request", "unknown_type", "too_large", "unauthorized", "rate_limited", "unavailable", "internal"]
    assert {Code(v) for v in server} <= set(Code) and Code.FORBIDDEN == "forbidden" and Code.ROOM_ENDED == "room_ended"
    assert len({code.value for code in Code}) == len(Code)


def test_one_exception_base_and_the_old_paths() -> None:
    assert issubclass(OutOfOrder, DomainError)
