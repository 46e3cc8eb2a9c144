"""The host's moderator team, pure: appointed users moderate from their next command."""

from rooms import commands as c
from rooms import events as e
from rooms import moderation
from rooms.errors import Code, Rejection
from rooms.fold import Accepted, fold
from rooms.roles import Role
from rooms.state import RoomState
from rooms.types import Millis, RoomId, Seq, UserId


def actor(user: str, role: Role) -> c.Actor:
    return c.Actor(user_id=UserId(user), name=user.title(), role=role)


HOST, ANA, BEN, CY, MOD = actor("host", Role.HOST), actor("ana", Role.VIEWER), actor("ben", Role.VIEWER), actor("cy", Role.AFFILIATE), actor("mod", Role.MODERATOR)


class Room:
    def __init__(self) -> None:
        self.state = RoomState(RoomId("r"))
        self.ts = 1_000_000
        self.events: list[e.Event] = []
        assert isinstance(self.run(HOST, c.RoomCreate(title="Show", host_id=UserId("host"))), Accepted)
        assert isinstance(self.run(HOST, c.RoomGoLive()), Accepted)

    def run(self, who: c.Actor, command: c.Command, dt: int = 1) -> Accepted | Rejection:
        self.ts += dt
        _, events, outcome = fold(self.state, c.Entry(seq=Seq(self.state.seq + 1), ts=Millis(self.ts), actor=who, command=command))
        self.events += events
        return outcome


def code(outcome: Accepted | Rejection) -> Code | None:
    return outcome.code if isinstance(outcome, Rejection) else None


def test_an_appointed_viewer_moderates_from_the_next_command_until_dismissed() -> None:
    room = Room()
    assert code(room.run(ANA, c.ModBan(user_id=UserId("ben")))) is Code.FORBIDDEN
    assert isinstance(room.run(HOST, c.ModAppoint(user_id=UserId("ana"))), Accepted)
    assert room.events[-1] == e.ModeratorAppointed(user_id=UserId("ana"), by=UserId("host"), brand=False)
    assert isinstance(room.run(ANA, c.ModBan(user_id=UserId("ben"))), Accepted), "the same token, now with powers"
    assert code(room.run(MOD, c.ModBan(user_id=UserId("ana")))) is Code.FORBIDDEN, "moderators do not moderate each other"
    assert room.state.moderation_view() == {"moderators": ["ana"], "brand_moderators": [], "banned": ["ben"], "timed_out": {}, "shadow_muted": [], "report_threshold": 3, "queue": []}
    assert isinstance(room.run(HOST, c.ModDismiss(user_id=UserId("ana"))), Accepted)
    assert code(room.run(ANA, c.ModUnban(user_id=UserId("ben")))) is Code.FORBIDDEN, "powers end with the dismissal"
    assert isinstance(room.run(MOD, c.ModTimeout(user_id=UserId("ana"), seconds=60)), Accepted), "and she can be moderated again"


def test_who_may_appoint_and_whom() -> None:
    room = Room()
    assert code(room.run(MOD, c.ModAppoint(user_id=UserId("ana")))) is Code.FORBIDDEN, "the host or brand appoints"
    assert isinstance(room.run(HOST, c.ModAppoint(user_id=UserId("cy"))), Accepted), "an affiliate may be appointed"
    assert code(room.run(HOST, c.ModAppoint(user_id=UserId("cy")))) is Code.CONFLICT
    assert code(room.run(HOST, c.ModAppoint(user_id=UserId("host")))) is Code.CONFLICT
    assert code(room.run(HOST, c.ModDismiss(user_id=UserId("ben")))) is Code.NOT_FOUND


BRAND = actor("acme-staff", Role.BRAND)


def test_the_brands_team_starts_in_its_new_rooms_and_only_the_brand_dismisses_them() -> None:
    state = RoomState(RoomId("b"))
    create = c.RoomCreate(title="Show", host_id=UserId("host"), brand_id="acme", moderators=(UserId("ana"), UserId("host")))
    _, _, outcome = fold(state, c.Entry(seq=Seq(1), ts=Millis(1), actor=BRAND, command=create))
    assert isinstance(outcome, Accepted)
    assert state.moderators == state.brand_moderators == {"ana"}, "a host on the brand's team stays the host"
    room = Room()
    room.state = state
    assert isinstance(room.run(ANA, c.ModBan(user_id=UserId("ben"))), Accepted), "powers from the start"
    assert code(room.run(HOST, c.ModDismiss(user_id=UserId("ana")))) is Code.FORBIDDEN, "the host cannot undo the brand's appointment"
    assert isinstance(room.run(BRAND, c.ModDismiss(user_id=UserId("ana"))), Accepted)
    assert state.moderators == state.brand_moderators == set()
    stray = c.RoomCreate(title="Show", host_id=UserId("host"), moderators=(UserId("ana"),))
    assert code(fold(RoomState(RoomId("c")), c.Entry(seq=Seq(1), ts=Millis(1), actor=HOST, command=stray))[2]) is Code.INVALID, "only a brand's room has a brand's team"


def test_the_brand_takes_over_the_hosts_appointment_and_the_limits_are_apart() -> None:
    room = Room()
    assert isinstance(room.run(HOST, c.ModAppoint(user_id=UserId("ana"))), Accepted)
    assert isinstance(room.run(BRAND, c.ModAppoint(user_id=UserId("ana"))), Accepted), "the brand's now"
    assert room.events[-1] == e.ModeratorAppointed(user_id=UserId("ana"), by=UserId("acme-staff"), brand=True)
    assert room.state.moderation_view()["brand_moderators"] == ["ana"], "staff are told whose she is"
    assert code(room.run(BRAND, c.ModAppoint(user_id=UserId("ana")))) is Code.CONFLICT
    assert code(room.run(HOST, c.ModDismiss(user_id=UserId("ana")))) is Code.FORBIDDEN
    for n in range(moderation.MAX_MODERATORS):
        assert isinstance(room.run(HOST, c.ModAppoint(user_id=UserId(f"v{n}"))), Accepted), "the brand's team does not use up the room's own places"
    assert code(room.run(HOST, c.ModAppoint(user_id=UserId("one-more")))) is Code.LIMIT_REACHED
    assert isinstance(room.run(BRAND, c.ModAppoint(user_id=UserId("one-more"))), Accepted)


def test_a_timeout_can_be_lifted_before_it_runs_out() -> None:
    room = Room()
    assert isinstance(room.run(MOD, c.ModTimeout(user_id=UserId("ben"), seconds=300)), Accepted)
    assert code(room.run(BEN, c.ChatPost(text="let me talk"))) is Code.TIMED_OUT
    assert isinstance(room.run(MOD, c.ModUntimeout(user_id=UserId("ben"))), Accepted)
    assert isinstance(room.run(BEN, c.ChatPost(text="thanks")), Accepted)
    assert code(room.run(MOD, c.ModUntimeout(user_id=UserId("ben")))) is Code.NOT_FOUND
