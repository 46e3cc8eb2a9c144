"""The folded state of one room.

The fold owns and updates a ``RoomState`` in place: copying maps of every chatter
on each entry would make the fold O(room size) per message. Read-only decisions
live in ``fold.check`` so a node can pre-check a command on its replica without
touching it.
"""

from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from rooms.auction_events import AuctionView, Bidder
from rooms.commands import Eligibility, Product, Rules
from rooms.events import Message, OfferView, PollView, QuestionView, UserRef
from rooms.roles import Role
from rooms.shop_commands import ReviewSummary, ReviewView
from rooms.statuses import ReservationStatus
from rooms.types import Millis, RoomId, Seq, UserId

# Messages kept for replies, deletes and pins; older ones can no longer be targeted.
RECENT_MESSAGES = 1000
# Messages a late joiner is shown in the welcome snapshot.
SNAPSHOT_MESSAGES = 50
# Ended auctions a late joiner is shown (running ones always are).
SNAPSHOT_ENDED_AUCTIONS = 5


@dataclass(slots=True)
class Offer:
    id: int
    product: Product
    price: int
    units: int
    per_buyer_limit: int
    starts_at: Millis
    ends_at: Millis
    early_access_at: Millis
    members_only: bool
    affiliate_id: str | None = None  # an affiliate who ran the offer gets its sales
    started: bool = False
    ended: bool = False
    reserved: int = 0
    paid: int = 0

    @property
    def available(self) -> int:
        return self.units - self.reserved - self.paid

    def view(self) -> OfferView:
        return OfferView(
            id=self.id,
            product=self.product,
            price=self.price,
            currency=self.product.currency,
            units=self.units,
            per_buyer_limit=self.per_buyer_limit,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            early_access_at=self.early_access_at,
            members_only=self.members_only,
        )


@dataclass(slots=True)
class Auction:
    """One lot under the hammer (rules: ``rooms.auctions``). ``maxes`` are private."""

    id: int
    product: Product
    start_price: int
    increment: int
    starts_at: Millis
    ends_at: Millis  # as it stands: anti-snipe moves it later, never earlier
    early_access_at: Millis
    extend_seconds: int  # 0: sudden death
    members_only: bool
    affiliate_id: str | None = None
    started: bool = False
    ended: bool = False
    price: int = 0  # the visible current bid (0: no bid yet)
    leader: UserId | None = None
    bids: int = 0
    maxes: dict[UserId, int] = field(default_factory=dict)  # each bidder's maximum: never on the wire but to its bidder
    names: dict[UserId, str] = field(default_factory=dict)
    refs: dict[UserId, str] = field(default_factory=dict)  # the referral each bidder came with
    keys: dict[str, str] = field(default_factory=dict)  # "user|key" -> "amount|max" of the bid it first sent
    reservation_id: int | None = None  # the winner's order
    end_reason: str | None = None

    def view(self) -> AuctionView:
        return AuctionView(
            id=self.id,
            product=self.product,
            currency=self.product.currency,
            start_price=self.start_price,
            increment=self.increment,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            early_access_at=self.early_access_at,
            extend_seconds=self.extend_seconds,
            members_only=self.members_only,
        )

    def leader_ref(self) -> Bidder | None:
        return Bidder(id=self.leader, name=self.names.get(self.leader, "")) if self.leader is not None else None

    def public(self) -> dict[str, Any]:
        """The auction as a late joiner sees it (no maximum of anyone's)."""
        lead = self.leader_ref()
        return asdict(self.view()) | {
            "price": self.price,
            "leader": asdict(lead) if lead else None,
            "bids": self.bids,
            "started": self.started,
            "ended": self.ended,
            "end_reason": self.end_reason,
            "reservation_id": self.reservation_id,
        }


@dataclass(slots=True)
class Reservation:
    id: int
    offer_id: int
    user_id: UserId
    units: int
    price: int
    currency: str
    expires_at: Millis
    affiliate_id: str | None
    key: str
    name: str = ""  # the buyer's display name, for points
    status: ReservationStatus = ReservationStatus.RESERVED


@dataclass(slots=True)
class Sales:
    units: int = 0
    reserved_units: int = 0
    revenue: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Poll:
    id: int
    question: str
    options: list[str]
    multiple: bool
    allow_change: bool
    ends_at: Millis | None
    closed: bool = False
    votes: dict[UserId, list[int]] = field(default_factory=dict)
    tallies: list[int] = field(default_factory=list)

    def view(self) -> PollView:
        return PollView(id=self.id, question=self.question, options=self.options, multiple=self.multiple, allow_change=self.allow_change, ends_at=self.ends_at)


@dataclass(slots=True)
class Question:
    id: int
    user: UserRef
    text: str
    ts: Millis
    voters: set[UserId] = field(default_factory=set)
    answered: bool = False
    highlighted: bool = False

    def view(self) -> QuestionView:
        return QuestionView(id=self.id, user=self.user, text=self.text, ts=self.ts, votes=len(self.voters), answered=self.answered, highlighted=self.highlighted)


@dataclass(slots=True)
class Giveaway:
    id: int
    title: str
    winners: int
    eligibility: Eligibility
    entrants: dict[UserId, UserRef] = field(default_factory=dict)  # in order of entry
    drawn: list[UserId] | None = None
    seed: str | None = None


@dataclass(slots=True)
class Held:
    """A message in the review queue."""

    message: Message
    reasons: tuple[str, ...]
    kind: str  # "held": never shown; "reported": shown, then hidden by reports
    reports: int = 0


@dataclass(slots=True)
class PinnedProduct:
    product: Product
    highlight: str | None
    reviews: ReviewSummary | None = None


class Status(StrEnum):
    NONE = "none"  # no room.create in the log yet
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


@dataclass(slots=True)
class RoomState:
    room_id: RoomId
    seq: Seq = Seq(0)  # noqa: RUF009 - NewType is the identity at run time
    status: Status = Status.NONE
    title: str = ""
    host_id: UserId | None = None
    brand_id: str | None = None
    starts_at: Millis | None = None
    created_at: Millis | None = None
    went_live_at: Millis | None = None
    ended_at: Millis | None = None
    allow_guests: bool = True
    max_message_length: int = 500
    slow_mode_seconds: int = 0
    pinned: Message | None = None
    banned: set[UserId] = field(default_factory=set)
    moderators: set[UserId] = field(default_factory=set)  # appointed in the room (their token may say viewer)
    brand_moderators: set[UserId] = field(default_factory=set)  # those of them the brand appointed: only it dismisses them
    timeouts: dict[UserId, Millis] = field(default_factory=dict)
    last_post: dict[UserId, Millis] = field(default_factory=dict)
    roles_seen: dict[UserId, Role] = field(default_factory=dict)
    messages: "OrderedDict[int, Message]" = field(default_factory=OrderedDict)
    message_count: int = 0
    # review queue, reports, shadow-mutes, community rules
    queue: dict[int, Held] = field(default_factory=dict)  # message id -> held item, oldest first
    reports: dict[int, set[UserId]] = field(default_factory=dict)  # shown message id -> who reported it
    report_threshold: int = 3
    shadow_muted: set[UserId] = field(default_factory=set)
    brand_rules: Rules | None = None
    room_rules: Rules | None = None  # overrides the brand's
    rules_accepted: set[UserId] = field(default_factory=set)  # accepted here (the actor says if before)
    # commerce
    max_pinned_products: int = 3
    reservation_seconds: int = 600
    playback_url: str | None = None
    pinned_products: list[PinnedProduct] = field(default_factory=list)
    offers: dict[int, Offer] = field(default_factory=dict)
    reservations: dict[int, Reservation] = field(default_factory=dict)
    claim_keys: dict[str, int] = field(default_factory=dict)  # "user|key" -> reservation id
    held: dict[str, int] = field(default_factory=dict)  # "offer|user" -> units reserved or paid
    sales: dict[str, "Sales"] = field(default_factory=dict)  # affiliate id ("none") -> running totals
    auctions: dict[int, Auction] = field(default_factory=dict)
    comment_claims: bool = True  # chat like "keep 2" claims (rooms.comments)
    claim_words: list[str] = field(default_factory=list)  # the room's own, besides the built-in ones
    bid_words: list[str] = field(default_factory=list)
    # community
    polls: dict[int, Poll] = field(default_factory=dict)
    questions: dict[int, Question] = field(default_factory=dict)
    giveaways: dict[int, Giveaway] = field(default_factory=dict)
    members_only_chat: bool = False
    points: dict[UserId, int] = field(default_factory=dict)
    earned: dict[str, int] = field(default_factory=dict)  # "user|kind" -> points so far, for caps
    badges: dict[UserId, list[str]] = field(default_factory=dict)  # earned in this room
    names: dict[UserId, str] = field(default_factory=dict)  # display names of those with points
    # No time rule acts before this (a lower bound; None: work it out). The fold skips the
    # time rules until then, instead of walking every reservation for every command.
    due_at: Millis | None = None
    rehearsal_of: str | None = None  # a private rehearsal: staff only, its sales and numbers count nowhere
    # checkout, reviews, co-hosts (rooms.checkout, rooms.product_reviews, rooms.cohosts)
    checkout_url_template: str | None = None
    checkout_urls: dict[int, str] = field(default_factory=dict)  # reservation id -> the buyer's link
    spotlight: ReviewView | None = None
    cohosts: set[UserId] = field(default_factory=set)  # host powers in this show (their token may say viewer)
    cohost_invites: set[UserId] = field(default_factory=set)

    def top_questions(self, n: int) -> list[Question]:
        """Most upvoted first; ties by age (older first)."""
        return sorted(self.questions.values(), key=lambda q: (-len(q.voters), q.id))[:n]

    def leaderboard(self, n: int) -> list[dict[str, Any]]:
        top = sorted(self.points.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return [{"user_id": u, "name": self.names.get(u, u), "points": pts, "badges": self.badges.get(u, [])} for u, pts in top]

    def schedule(self, at: Millis) -> None:
        """A rule added a deadline: the bound may only move earlier."""
        if self.due_at is not None:
            self.due_at = min(self.due_at, at)

    def next_deadline(self) -> Millis | None:
        """The earliest time a time rule will act (offer start/end, reservation expiry)."""
        times = [r.expires_at for r in self.reservations.values() if r.status == ReservationStatus.RESERVED]
        times += [p.ends_at for p in self.polls.values() if not p.closed and p.ends_at is not None]
        lots: list[Offer | Auction] = [*self.offers.values(), *self.auctions.values()]
        for o in lots:
            if not o.ended:
                times.append(o.ends_at if o.started else o.starts_at)
        return min(times) if times else None

    @property
    def rules(self) -> Rules | None:
        """The rules in force: the room's own, else its brand's."""
        return self.room_rules if self.room_rules is not None else self.brand_rules

    def moderation_view(self) -> dict[str, Any]:
        """What staff see of the room's moderation: who moderates, who is banned, timed out (until
        when) or shadow-muted, and the review queue (oldest first)."""
        return {
            "moderators": sorted(self.moderators),
            "brand_moderators": sorted(self.brand_moderators),  # of them, the brand's team (only the brand dismisses them)
            "banned": sorted(self.banned),
            "timed_out": dict(sorted(self.timeouts.items())),
            "shadow_muted": sorted(self.shadow_muted),
            "report_threshold": self.report_threshold,
            "queue": [asdict(h) for h in self.queue.values()],
        }

    def remember(self, message: Message) -> None:
        self.messages[message.id] = message
        while len(self.messages) > RECENT_MESSAGES:
            old, _ = self.messages.popitem(last=False)
            self.reports.pop(old, None)

    def giveaway_view(self, g: Giveaway) -> dict[str, Any]:
        """A giveaway as a late joiner needs it (so a reload still shows it): entrants counted, winners once drawn."""
        drawn = None if g.drawn is None else [asdict(g.entrants[u]) for u in g.drawn if u in g.entrants]
        return {"id": g.id, "title": g.title, "winners": g.winners, "eligibility": asdict(g.eligibility), "entrants": len(g.entrants), "drawn": drawn}

    def snapshot(self) -> dict[str, Any]:
        """The public view a joining viewer starts from (no moderation internals)."""
        recent = list(self.messages.values())[-SNAPSHOT_MESSAGES:]
        ended = set(sorted(a.id for a in self.auctions.values() if a.ended)[-SNAPSHOT_ENDED_AUCTIONS:])
        return {
            "id": self.room_id,
            "seq": self.seq,
            "status": self.status.value,
            "title": self.title,
            "host_id": self.host_id,
            "brand_id": self.brand_id,
            "starts_at": self.starts_at,
            "went_live_at": self.went_live_at,
            "ended_at": self.ended_at,
            "allow_guests": self.allow_guests,
            "rehearsal_of": self.rehearsal_of,
            "playback_url": self.playback_url,
            "max_message_length": self.max_message_length,
            "slow_mode_seconds": self.slow_mode_seconds,
            "pinned": asdict(self.pinned) if self.pinned else None,
            "messages": [asdict(m) for m in recent],
            "message_count": self.message_count,
            "pinned_products": [asdict(p) for p in self.pinned_products],
            "members_only_chat": self.members_only_chat,
            "rules": asdict(self.rules) if self.rules is not None else None,
            "cohosts": sorted(self.cohosts),
            "cohost_invites": sorted(self.cohost_invites),
            "spotlight": asdict(self.spotlight) if self.spotlight else None,
            "polls": [asdict(p.view()) | {"tallies": p.tallies, "voters": len(p.votes), "closed": p.closed} for p in self.polls.values() if not p.closed],
            "questions": [asdict(q.view()) for q in self.top_questions(SNAPSHOT_MESSAGES)],
            "leaderboard": self.leaderboard(10),
            "giveaways": [self.giveaway_view(g) for g in list(self.giveaways.values())[-5:]],
            "offers": [asdict(o.view()) | {"available": o.available, "reserved": o.reserved, "paid": o.paid, "started": o.started, "ended": o.ended} for o in self.offers.values()],
            "auctions": [a.public() for a in self.auctions.values() if not a.ended or a.id in ended],
            "comment_claims": {"enabled": self.comment_claims, "claim_words": self.claim_words, "bid_words": self.bid_words},
        }
