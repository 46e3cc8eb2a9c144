"""The room's lifecycle: its status transitions, and the gates other rules pass first.

A room moves through ``Status`` only along ``TRANSITIONS``, a table of
(status now, command) -> status after, in the manner of h11's ``_state.py``: a pair
that is not in the table is refused (``_refusal`` says with which code). The gates
(``room_exists``, ``room_open``, ``room_live``) read only the status; a rule names the
one it needs in its row of ``rooms.fold.RULES``. What a room's end does to offers,
auctions and polls is theirs to say (``commerce.end_all``, ``auctions.end_all``, ``polls.end_all``).
"""

from rooms import auctions, commerce, polls
from rooms import commands as c
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.moderation import MAX_BRAND_MODERATORS
from rooms.roles import Role
from rooms.rules import Applied
from rooms.state import RoomState, Status
from rooms.types import UserId

MAX_MESSAGE_LENGTH = 4000

LifecycleCommand = c.RoomCreate | c.RoomGoLive | c.RoomEnd

TRANSITIONS: dict[tuple[Status, type[LifecycleCommand]], Status] = {
    (Status.NONE, c.RoomCreate): Status.SCHEDULED,
    (Status.SCHEDULED, c.RoomGoLive): Status.LIVE,
    (Status.SCHEDULED, c.RoomEnd): Status.ENDED,
    (Status.LIVE, c.RoomEnd): Status.ENDED,
}


# --- gates ---------------------------------------------------------------------------


def room_exists(s: RoomState) -> Rejection | None:
    if s.status is Status.NONE:
        return Rejection(Code.NOT_FOUND, "room does not exist")
    return None


def room_open(s: RoomState) -> Rejection | None:
    """Created and not ended (scheduled or live)."""
    if s.status is Status.ENDED:
        return Rejection(Code.ROOM_ENDED, "room has ended")
    return room_exists(s)


def room_live(s: RoomState) -> Rejection | None:
    if r := room_open(s):
        return r
    if s.status is not Status.LIVE:
        return Rejection(Code.ROOM_NOT_LIVE, "room is not live yet")
    return None


# --- transitions ---------------------------------------------------------------------


def _refusal(s: RoomState, cmd: LifecycleCommand) -> Rejection | None:
    """Why the table has no row for (the room's status, ``cmd``), or None if it has one."""
    if (s.status, type(cmd)) in TRANSITIONS:
        return None
    if isinstance(cmd, c.RoomCreate):
        return Rejection(Code.CONFLICT, "room already exists")
    return room_open(s) or Rejection(Code.CONFLICT, f"room is already {s.status.value}")


def _move(s: RoomState, cmd: LifecycleCommand) -> e.RoomStatusChanged:
    s.status = TRANSITIONS[(s.status, type(cmd))]
    return e.RoomStatusChanged(status=s.status.value)


def check_create(s: RoomState, entry: c.Entry, cmd: c.RoomCreate) -> Rejection | None:
    if r := _refusal(s, cmd):
        return r
    if not cmd.title.strip():
        return Rejection(Code.EMPTY, "title is empty")
    if not 1 <= cmd.max_message_length <= MAX_MESSAGE_LENGTH:
        return Rejection(Code.INVALID, f"max_message_length must be 1..{MAX_MESSAGE_LENGTH}")
    if not 1 <= cmd.report_threshold <= 100:
        return Rejection(Code.INVALID, "report_threshold must be 1..100")
    if cmd.moderators and cmd.brand_id is None:
        return Rejection(Code.INVALID, "only a brand's room starts with the brand's moderators")
    if len(cmd.moderators) > MAX_BRAND_MODERATORS:
        return Rejection(Code.LIMIT_REACHED, f"at most {MAX_BRAND_MODERATORS} moderators per brand")
    return None


def rehearsal(s: RoomState, title: str, host: UserId) -> list[c.Command]:
    """What a rehearsal of this room is set up with, in order: the room's settings, its
    rules (the brand's and its own), its moderators, slow mode and comment words — the show
    the host will run, so the rehearsal shows what viewers will see (a rules prompt included).
    Members-only chat is switched once live, so the host does that in the rehearsal too."""
    commands: list[c.Command] = [
        c.RoomCreate(
            title=title,
            host_id=host,
            brand_id=s.brand_id,
            allow_guests=False,
            max_message_length=s.max_message_length,
            max_pinned_products=s.max_pinned_products,
            reservation_seconds=s.reservation_seconds,
            playback_url=s.playback_url,
            report_threshold=s.report_threshold,
            comment_claims=s.comment_claims,
            rehearsal_of=s.room_id,
            moderators=tuple(sorted(s.brand_moderators)),
        )
    ]
    if s.brand_rules is not None:
        commands.append(c.RulesSet(scope="brand", rules=s.brand_rules))
    if s.room_rules is not None:
        commands.append(c.RulesSet(scope="room", rules=s.room_rules))
    commands += [c.ModAppoint(user_id=user) for user in sorted(s.moderators - s.brand_moderators)]
    if s.slow_mode_seconds:
        commands.append(c.ModSlowMode(seconds=s.slow_mode_seconds))
    if s.claim_words or s.bid_words:
        commands.append(c.CommentClaims(enabled=s.comment_claims, claim_words=s.claim_words, bid_words=s.bid_words))
    return commands


def check_transition(s: RoomState, entry: c.Entry, cmd: c.RoomGoLive | c.RoomEnd) -> Rejection | None:
    return _refusal(s, cmd)


def apply_create(s: RoomState, entry: c.Entry, cmd: c.RoomCreate) -> Applied:
    s.title, s.host_id, s.brand_id = cmd.title.strip(), cmd.host_id, cmd.brand_id
    s.starts_at, s.created_at = cmd.starts_at, entry.ts
    s.allow_guests, s.max_message_length = cmd.allow_guests, cmd.max_message_length
    s.max_pinned_products, s.reservation_seconds = cmd.max_pinned_products, cmd.reservation_seconds
    s.playback_url, s.report_threshold, s.comment_claims = cmd.playback_url, cmd.report_threshold, cmd.comment_claims
    s.checkout_url_template, s.rehearsal_of = cmd.checkout_url_template, cmd.rehearsal_of
    s.roles_seen[cmd.host_id] = Role.HOST
    for user in cmd.moderators:  # the brand's team, as the brand's own appointments (a host on it stays host)
        if user != cmd.host_id:
            s.moderators.add(user)
            s.brand_moderators.add(user)
            s.roles_seen[user] = Role.MODERATOR
    return [_move(s, cmd)], {}


def apply_go_live(s: RoomState, entry: c.Entry, cmd: c.RoomGoLive) -> Applied:
    s.went_live_at = entry.ts
    return [_move(s, cmd)], {}


def apply_end(s: RoomState, entry: c.Entry, cmd: c.RoomEnd) -> Applied:
    s.ended_at = entry.ts
    ended = [*commerce.end_all(s), *auctions.end_all(s, entry.ts), *polls.end_all(s)]
    return [*ended, _move(s, cmd)], {}


def apply_tick(s: RoomState, entry: c.Entry, cmd: c.RoomTick) -> Applied:
    """The clock's entry changes nothing itself: the fold's time rules already ran for it."""
    return [], {}
