"""The fold: one entry at a time, in seq order, into state, events and an outcome.

``check`` decides whether an entry is accepted and never changes anything;
``fold`` calls it and then applies the entry. Both read time only from
``entry.ts``, so every node that folds the same log computes the same events.
Rules are kept in one table, command type -> (roles allowed, check, apply).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rooms import commands as c
from rooms import commerce, community
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.roles import EXEMPT_FROM_SLOW_MODE, MERCHANT, SEES_SALES, SELLERS, STAFF, WRITERS, Role, can_moderate
from rooms.state import RoomState, Status
from rooms.types import Millis, Seq, UserId

MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
MAX_SLOW_MODE_SECONDS = 3600


class OutOfOrder(Exception):
    """An entry whose seq is not the next one: the caller must catch up first."""


@dataclass(frozen=True, slots=True)
class Accepted:
    result: dict[str, Any] = field(default_factory=dict)


Outcome = Accepted | Rejection
Check = Callable[[RoomState, c.Entry], Rejection | None]
Apply = Callable[[RoomState, c.Entry], tuple[list[e.Event], dict[str, Any]]]


# --- checks (pure) --------------------------------------------------------------


def _must_be_open(state: RoomState, entry: c.Entry) -> Rejection | None:
    if state.status is Status.NONE:
        return Rejection(Code.NOT_FOUND, "room does not exist")
    if state.status is Status.ENDED:
        return Rejection(Code.ROOM_ENDED, "room has ended")
    return None


def _must_be_live(state: RoomState, entry: c.Entry) -> Rejection | None:
    if r := _must_be_open(state, entry):
        return r
    if state.status is not Status.LIVE:
        return Rejection(Code.ROOM_NOT_LIVE, "room is not live yet")
    return None


def _check_create(state: RoomState, entry: c.Entry) -> Rejection | None:
    if state.status is not Status.NONE:
        return Rejection(Code.CONFLICT, "room already exists")
    cmd = entry.command
    assert isinstance(cmd, c.RoomCreate)
    if not cmd.title.strip():
        return Rejection(Code.EMPTY, "title is empty")
    if not 1 <= cmd.max_message_length <= 4000:
        return Rejection(Code.INVALID, "max_message_length must be 1..4000")
    return None


def _check_go_live(state: RoomState, entry: c.Entry) -> Rejection | None:
    if r := _must_be_open(state, entry):
        return r
    if state.status is Status.LIVE:
        return Rejection(Code.CONFLICT, "room is already live")
    return None


def _check_post(state: RoomState, entry: c.Entry) -> Rejection | None:
    if r := _must_be_live(state, entry):
        return r
    cmd = entry.command
    assert isinstance(cmd, c.ChatPost)
    uid, ts = entry.actor.user_id, entry.ts
    # A user's role is known to the fold only once they act, so a ban or timeout may
    # name a moderator who has not spoken yet; staff are never held by one.
    if entry.actor.role not in STAFF:
        if uid in state.banned:
            return Rejection(Code.BANNED, "you are banned from this room")
        until = state.timeouts.get(uid)
        if until is not None and ts < until:
            return Rejection(Code.TIMED_OUT, "you are timed out", retry_after_ms=until - ts)
    if state.members_only_chat and entry.actor.tier is None and entry.actor.role not in SEES_SALES:
        return Rejection(Code.MEMBERS_ONLY, "chat is for members right now")
    text = cmd.text.strip()
    if not text:
        return Rejection(Code.EMPTY, "message is empty")
    if len(text) > state.max_message_length:
        return Rejection(Code.TOO_LONG, f"message is longer than {state.max_message_length} characters")
    if cmd.reply_to is not None and cmd.reply_to not in state.messages:
        return Rejection(Code.NOT_FOUND, "the message replied to does not exist")
    if state.slow_mode_seconds and entry.actor.role not in EXEMPT_FROM_SLOW_MODE:
        last = state.last_post.get(uid)
        wait = state.slow_mode_seconds * 1000
        if last is not None and ts - last < wait:
            return Rejection(Code.SLOW_MODE, "slow mode is on", retry_after_ms=last + wait - ts)
    return None


def _check_message_target(state: RoomState, entry: c.Entry) -> Rejection | None:
    if r := _must_be_live(state, entry):
        return r
    message_id = getattr(entry.command, "message_id")
    message = state.messages.get(message_id)
    if message is None:
        return Rejection(Code.NOT_FOUND, "no such message")
    if isinstance(entry.command, c.ChatDelete):
        if message.user.id != entry.actor.user_id and entry.actor.role not in STAFF:
            return Rejection(Code.FORBIDDEN, "only the author or a moderator may delete a message")
    return None


def _check_unpin(state: RoomState, entry: c.Entry) -> Rejection | None:
    if r := _must_be_live(state, entry):
        return r
    if state.pinned is None:
        return Rejection(Code.NOT_FOUND, "no message is pinned")
    return None


def _check_moderate_user(state: RoomState, entry: c.Entry) -> Rejection | None:
    if r := _must_be_open(state, entry):
        return r
    target = getattr(entry.command, "user_id")
    if target == entry.actor.user_id:
        return Rejection(Code.INVALID, "you cannot moderate yourself")
    if target == state.host_id or not can_moderate(entry.actor.role, state.roles_seen.get(target)):
        return Rejection(Code.FORBIDDEN, "that user cannot be moderated")
    if isinstance(entry.command, c.ModTimeout) and not 1 <= entry.command.seconds <= MAX_TIMEOUT_SECONDS:
        return Rejection(Code.INVALID, f"seconds must be 1..{MAX_TIMEOUT_SECONDS}")
    if isinstance(entry.command, c.ModUnban) and target not in state.banned:
        return Rejection(Code.NOT_FOUND, "that user is not banned")
    return None


def _check_slow_mode(state: RoomState, entry: c.Entry) -> Rejection | None:
    if r := _must_be_open(state, entry):
        return r
    cmd = entry.command
    assert isinstance(cmd, c.ModSlowMode)
    if not 0 <= cmd.seconds <= MAX_SLOW_MODE_SECONDS:
        return Rejection(Code.INVALID, f"seconds must be 0..{MAX_SLOW_MODE_SECONDS}")
    return None


# --- applies (mutate the state the caller owns) -------------------------------------


def _apply_create(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.RoomCreate)
    s.status, s.title, s.host_id, s.brand_id = Status.SCHEDULED, cmd.title.strip(), cmd.host_id, cmd.brand_id
    s.starts_at, s.created_at = cmd.starts_at, entry.ts
    s.allow_guests, s.max_message_length = cmd.allow_guests, cmd.max_message_length
    s.max_pinned_products, s.reservation_seconds = cmd.max_pinned_products, cmd.reservation_seconds
    s.playback_url = cmd.playback_url
    s.roles_seen[cmd.host_id] = Role.HOST
    return [e.RoomStatusChanged(status=s.status.value)], {}


def _apply_go_live(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    s.status, s.went_live_at = Status.LIVE, entry.ts
    return [e.RoomStatusChanged(status=s.status.value)], {}


def _apply_end(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    s.status, s.ended_at = Status.ENDED, entry.ts
    return [*commerce.end_all(s), *community.end_all(s), e.RoomStatusChanged(status=s.status.value)], {}


def _apply_post(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.ChatPost)
    msg = e.Message(id=entry.seq, user=community.user_ref(s, entry.actor), text=cmd.text.strip(), ts=entry.ts, reply_to=cmd.reply_to)
    s.remember(msg)
    s.last_post[entry.actor.user_id] = entry.ts
    s.message_count += 1
    return [e.ChatMessage(message=msg), *community.award(s, entry.actor.user_id, entry.actor.name, "chat")], {"message_id": msg.id}


def _apply_delete(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.ChatDelete)
    del s.messages[cmd.message_id]
    events: list[e.Event] = [e.ChatDeleted(message_id=cmd.message_id, by=entry.actor.user_id)]
    if s.pinned is not None and s.pinned.id == cmd.message_id:
        s.pinned = None
        events.append(e.ChatUnpinned(message_id=cmd.message_id))
    return events, {}


def _apply_pin(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.ChatPin)
    s.pinned = s.messages[cmd.message_id]
    return [e.ChatPinned(message=s.pinned)], {}


def _apply_unpin(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    assert s.pinned is not None
    message_id, s.pinned = s.pinned.id, None
    return [e.ChatUnpinned(message_id=message_id)], {}


def _apply_timeout(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.ModTimeout)
    until = Millis(entry.ts + cmd.seconds * 1000)
    s.timeouts[cmd.user_id] = until
    return [e.UserTimedOut(user_id=cmd.user_id, until=until)], {"until": until}


def _apply_ban(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.ModBan)
    s.banned.add(cmd.user_id)
    return [e.UserBanned(user_id=cmd.user_id)], {}


def _apply_unban(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.ModUnban)
    s.banned.discard(cmd.user_id)
    return [e.UserUnbanned(user_id=cmd.user_id)], {}


def _apply_slow_mode(s: RoomState, entry: c.Entry) -> tuple[list[e.Event], dict[str, Any]]:
    cmd = entry.command
    assert isinstance(cmd, c.ModSlowMode)
    s.slow_mode_seconds = cmd.seconds
    return [e.SlowModeChanged(seconds=cmd.seconds)], {}


_LIFECYCLE = MERCHANT
_PINNERS = SELLERS


def _live_and(rule: Check) -> Check:
    def both(state: RoomState, entry: c.Entry) -> Rejection | None:
        return _must_be_live(state, entry) or rule(state, entry)

    return both

RULES: dict[type, tuple[frozenset[Role], Check, Apply]] = {
    c.RoomCreate: (_LIFECYCLE, _check_create, _apply_create),
    c.RoomGoLive: (_LIFECYCLE, _check_go_live, _apply_go_live),
    c.RoomEnd: (_LIFECYCLE, _must_be_open, _apply_end),
    c.ChatPost: (WRITERS, _check_post, _apply_post),
    c.ChatDelete: (WRITERS, _check_message_target, _apply_delete),
    c.ChatPin: (_PINNERS, _check_message_target, _apply_pin),
    c.ChatUnpin: (_PINNERS, _check_unpin, _apply_unpin),
    c.ModTimeout: (STAFF, _check_moderate_user, _apply_timeout),
    c.ModBan: (STAFF, _check_moderate_user, _apply_ban),
    c.ModUnban: (STAFF, _check_moderate_user, _apply_unban),
    c.ModSlowMode: (STAFF, _check_slow_mode, _apply_slow_mode),
    c.ProductPin: (SELLERS, _live_and(commerce.check_pin), commerce.apply_pin),
    c.ProductUnpin: (SELLERS, _live_and(commerce.check_unpin), commerce.apply_unpin),
    c.OfferCreate: (SELLERS, _live_and(commerce.check_offer), commerce.apply_offer),
    c.OfferEnd: (SELLERS, _live_and(commerce.check_end_offer), commerce.apply_end_offer),
    c.OfferClaim: (WRITERS, _live_and(commerce.check_claim), commerce.apply_claim),
    # Orders outlive the show: the merchant confirms payments after the room has ended.
    c.OrderConfirm: (MERCHANT, commerce.check_confirm, commerce.apply_confirm),
    c.OrderCancel: (WRITERS, commerce.check_cancel, commerce.apply_cancel),
    c.RoomTick: (frozenset({Role.SYSTEM}), commerce.check_room_open, commerce.apply_tick),
    c.ChatMembersOnly: (STAFF, _must_be_live, community.apply_members_only),
    c.PollCreate: (STAFF, _live_and(community.check_poll), community.apply_poll),
    c.PollVote: (WRITERS, _live_and(community.check_vote), community.apply_vote),
    c.PollClose: (STAFF, _live_and(community.check_close_poll), community.apply_close_poll),
    c.QuestionAsk: (WRITERS, _live_and(community.check_ask), community.apply_ask),
    c.QuestionUpvote: (WRITERS, _live_and(community.check_upvote), community.apply_upvote),
    c.QuestionAnswer: (STAFF, _live_and(community.check_question_target), community.apply_answer),
    c.QuestionHighlight: (STAFF, _live_and(community.check_question_target), community.apply_highlight),
    c.GiveawayStart: (STAFF, _live_and(community.check_giveaway), community.apply_giveaway),
    c.GiveawayEnter: (WRITERS, _live_and(community.check_enter), community.apply_enter),
    c.GiveawayDraw: (STAFF, _live_and(community.check_draw), community.apply_draw),
}


def check(state: RoomState, entry: c.Entry) -> Rejection | None:
    """Why ``entry`` would be rejected on ``state``, or None; changes nothing."""
    roles, check_rule, _ = RULES[type(entry.command)]
    if entry.actor.role not in roles:
        return Rejection(Code.FORBIDDEN, f"role {entry.actor.role.value} may not {entry.command.type}")
    return check_rule(state, entry)


def fold(state: RoomState, entry: c.Entry) -> tuple[RoomState, list[e.Event], Outcome]:
    """Apply the next log entry. Raises OutOfOrder unless entry.seq == state.seq + 1."""
    if entry.seq != state.seq + 1:
        raise OutOfOrder(f"room {state.room_id}: expected seq {state.seq + 1}, got {entry.seq}")
    state.seq = Seq(entry.seq)
    if state.status is not Status.NONE and entry.actor.role not in (Role.GUEST, Role.SYSTEM):
        state.roles_seen.setdefault(UserId(entry.actor.user_id), entry.actor.role)
    timed = commerce.advance(state, entry.ts) + community.advance(state, entry.ts)  # time rules first, whatever the command
    rejection = check(state, entry)
    if rejection is not None:
        return state, timed, rejection
    events, result = RULES[type(entry.command)][2](state, entry)
    return state, timed + events, Accepted(result)
