"""The fold: one entry at a time, in seq order, into state, events and an outcome.

``check`` decides whether an entry is accepted and never changes anything;
``fold`` calls it and then applies the entry. Both read time only from
``entry.ts``, so every node that folds the same log computes the same events.
Rules are kept in one table, ``RULES``: command class -> ``Rule`` (roles allowed, the
room status it needs, a check, an apply; see ``rooms.rules``). The rules themselves
live with their feature, one module each.
"""

from dataclasses import dataclass, field
from typing import Any

from rooms import auctions, chat, checkout, cohosts, comments, commerce, conduct, erasure, giveaways, lifecycle, moderation, polls, product_reviews, products, questions, review
from rooms import commands as c
from rooms import events as e
from rooms import shop_commands as sc
from rooms.errors import Code, Rejection
from rooms.errors import OutOfOrder as OutOfOrder  # re-exported: callers catch it from here
from rooms.lifecycle import room_exists, room_live, room_open
from rooms.roles import MERCHANT, SEES_SALES, SELLERS, STAFF, WRITERS, Role
from rooms.rules import Rule, accept
from rooms.state import RoomState, Status
from rooms.types import Millis, Seq, UserId


@dataclass(frozen=True, slots=True)
class Accepted:
    result: dict[str, Any] = field(default_factory=dict)


Outcome = Accepted | Rejection

_SYSTEM = frozenset({Role.SYSTEM})
_CHECKOUT = MERCHANT | _SYSTEM  # the merchant over HTTP, or the server with its webhook answer

# A plain tuple, not annotated: each row is type-checked against its own command class.
_RULES = (
    Rule(c.RoomCreate, MERCHANT, None, lifecycle.check_create, lifecycle.apply_create),
    Rule(c.RoomGoLive, MERCHANT, None, lifecycle.check_transition, lifecycle.apply_go_live),
    Rule(c.RoomEnd, MERCHANT, None, lifecycle.check_transition, lifecycle.apply_end),
    Rule(c.RoomTick, _SYSTEM, room_exists, accept, lifecycle.apply_tick),
    Rule(c.ChatPost, WRITERS, room_live, review.check_post, review.apply_post),
    Rule(c.ChatDelete, WRITERS, room_live, chat.check_delete, chat.apply_delete),
    Rule(c.ChatPin, SELLERS, room_live, chat.check_pin, chat.apply_pin),
    Rule(c.ChatUnpin, SELLERS, room_live, chat.check_unpin, chat.apply_unpin),
    Rule(c.ChatMembersOnly, STAFF, room_live, accept, chat.apply_members_only),
    Rule(c.ModTimeout, STAFF, room_open, moderation.check_timeout, moderation.apply_timeout),
    Rule(c.ModBan, STAFF, room_open, moderation.check_ban, moderation.apply_ban),
    Rule(c.ModUnban, STAFF, room_open, moderation.check_unban, moderation.apply_unban),
    Rule(c.ModUntimeout, STAFF, room_open, moderation.check_untimeout, moderation.apply_untimeout),
    Rule(c.ModAppoint, MERCHANT, room_open, moderation.check_appoint, moderation.apply_appoint),
    Rule(c.ModDismiss, MERCHANT, room_open, moderation.check_dismiss, moderation.apply_dismiss),
    Rule(c.ModSlowMode, STAFF, room_open, moderation.check_slow_mode, moderation.apply_slow_mode),
    Rule(c.ModShadowMute, STAFF, room_open, moderation.check_shadow_mute, moderation.apply_shadow_mute),
    Rule(c.ModShadowUnmute, STAFF, room_open, moderation.check_shadow_mute, moderation.apply_shadow_unmute),
    Rule(c.ChatReport, WRITERS, room_live, review.check_report, review.apply_report),
    Rule(c.ModApprove, SEES_SALES, room_live, review.check_review, review.apply_approve),
    Rule(c.ModReject, SEES_SALES, room_open, review.check_review, review.apply_reject),
    Rule(c.ModReportThreshold, SEES_SALES, room_open, review.check_threshold, review.apply_threshold),
    Rule(c.RulesSet, MERCHANT, room_open, conduct.check_set, conduct.apply_set),
    Rule(c.RulesAccept, WRITERS, room_open, accept, conduct.apply_accept),
    Rule(c.ProductPin, SELLERS, room_live, products.check_pin, products.apply_pin),
    Rule(c.ProductUnpin, SELLERS, room_live, products.check_unpin, products.apply_unpin),
    Rule(c.OfferCreate, SELLERS, room_live, commerce.check_offer, commerce.apply_offer),
    Rule(c.OfferEnd, SELLERS, room_live, commerce.check_end_offer, commerce.apply_end_offer),
    Rule(c.OfferClaim, WRITERS, room_live, commerce.check_claim, commerce.apply_claim),
    # Orders outlive the show: the merchant confirms payments after the room has ended.
    Rule(c.OrderConfirm, MERCHANT, None, commerce.check_confirm, commerce.apply_confirm),
    Rule(c.OrderCancel, WRITERS, None, commerce.check_cancel, commerce.apply_cancel),
    Rule(c.AuctionStart, SELLERS, room_live, auctions.check_start, auctions.apply_start),
    Rule(c.AuctionBid, WRITERS, room_live, auctions.check_bid, auctions.apply_bid),  # only viewers: the check says so
    Rule(c.AuctionCancel, SELLERS, room_live, auctions.check_cancel, auctions.apply_cancel),
    Rule(c.CommentClaims, STAFF, room_open, comments.check_settings, comments.apply_settings),
    Rule(c.PollCreate, STAFF, room_live, polls.check_create, polls.apply_create),
    Rule(c.PollVote, WRITERS, room_live, polls.check_vote, polls.apply_vote),
    Rule(c.PollClose, STAFF, room_live, polls.check_close, polls.apply_close),
    Rule(c.QuestionAsk, WRITERS, room_live, questions.check_ask, questions.apply_ask),
    Rule(c.QuestionUpvote, WRITERS, room_live, questions.check_upvote, questions.apply_upvote),
    Rule(c.QuestionAnswer, STAFF, room_live, questions.check_target, questions.apply_answer),
    Rule(c.QuestionHighlight, STAFF, room_live, questions.check_target, questions.apply_highlight),
    Rule(c.GiveawayStart, STAFF, room_live, giveaways.check_start, giveaways.apply_start),
    Rule(c.GiveawayEnter, WRITERS, room_live, giveaways.check_enter, giveaways.apply_enter),
    Rule(c.GiveawayDraw, STAFF, room_live, giveaways.check_draw, giveaways.apply_draw),
    Rule(c.PrivacyErase, _SYSTEM, room_exists, erasure.check_erase, erasure.apply_erase),  # docs/privacy.md
    Rule(sc.OrderCheckout, _CHECKOUT, None, checkout.check_checkout, checkout.apply_checkout),
    Rule(sc.ProductReviews, _SYSTEM, room_open, product_reviews.check_reviews, product_reviews.apply_reviews),
    Rule(sc.ReviewSpotlight, SELLERS, room_live, accept, product_reviews.apply_spotlight),
    Rule(sc.ReviewUnspotlight, SELLERS, room_live, product_reviews.check_unspotlight, product_reviews.apply_unspotlight),
    Rule(sc.CohostInvite, MERCHANT, room_open, cohosts.check_invite, cohosts.apply_invite),
    Rule(sc.CohostAccept, WRITERS, room_open, cohosts.check_accept, cohosts.apply_accept),
    Rule(sc.CohostRemove, WRITERS, room_open, cohosts.check_remove, cohosts.apply_remove),
)
RULES: dict[type[c.Command], Rule[Any]] = {rule.command: rule for rule in _RULES}


def judged(state: RoomState, entry: c.Entry) -> c.Entry:
    """The entry with the role the room gave its sender: appointed moderator, co-host."""
    return cohosts.as_cohost(state, moderation.appointed(state, entry))


def check(state: RoomState, entry: c.Entry) -> Rejection | None:
    """Why ``entry`` would be rejected on ``state``, or None; changes nothing."""
    entry = judged(state, entry)
    rule = RULES[type(entry.command)]
    if entry.actor.role not in rule.roles:
        return Rejection(Code.FORBIDDEN, f"role {entry.actor.role.value} may not {entry.command.type}")
    if rule.gate is not None and (closed := rule.gate(state)):
        return closed
    return rule.check(state, entry, entry.command)


NO_DEADLINE = Millis(1 << 62)
# Commands that add no deadline, or tell the state the one they add (``RoomState.schedule``):
# the rest make the fold work out the next deadline again.
KEEPS_DEADLINES = (c.ChatPost, c.ChatDelete, c.OfferClaim, c.PollVote, c.RoomTick)


def _advance(state: RoomState, entry: c.Entry) -> list[e.Event]:
    """The time rules, in a fixed order: offers and reservations, auctions, then polls."""
    return commerce.advance(state, entry.ts) + auctions.advance(state, entry.ts) + polls.advance(state, entry.ts)


def fold(state: RoomState, entry: c.Entry) -> tuple[RoomState, list[e.Event], Outcome]:
    """Apply the next log entry. Raises OutOfOrder unless entry.seq == state.seq + 1."""
    if entry.seq != state.seq + 1:
        raise OutOfOrder(f"room {state.room_id}: expected seq {state.seq + 1}, got {entry.seq}")
    state.seq = Seq(entry.seq)
    entry = judged(state, entry)
    if state.status is not Status.NONE and entry.actor.role not in (Role.GUEST, Role.SYSTEM):
        state.roles_seen.setdefault(UserId(entry.actor.user_id), entry.actor.role)
    timed: list[e.Event] = []
    if state.due_at is None or entry.ts >= state.due_at:  # time rules first, whatever the command
        timed = _advance(state, entry)
        state.due_at = state.next_deadline() or NO_DEADLINE
    rejection = check(state, entry)
    if rejection is not None:
        return state, timed + checkout.private(state, timed), rejection
    events, result = RULES[type(entry.command)].apply(state, entry, entry.command)
    if not isinstance(entry.command, KEEPS_DEADLINES):
        state.due_at = None  # it may have added or moved one: work it out at the next entry
    events = timed + events
    return state, events + checkout.private(state, events), result if isinstance(result, Rejection) else Accepted(result)
