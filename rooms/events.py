"""Events: what viewers see. The fold emits them; the server encodes each once.

An event's fields are its wire payload; the server adds ``type``, ``seq`` and ``ts``
from the entry it came from. What the shell needs to route an event is declared on
its class (see ``rooms.eventbase.EventBase``): ``audience`` says who gets it, ``coalesce`` whether a later
event of the same class and subject replaces it within one frame. The views
(``UserRef``, ``OfferView``...) are payload parts, not events. Auctions and comment
claims have their own module (``rooms.auction_events``), folded into ``Event`` here.
"""

from dataclasses import dataclass
from typing import ClassVar

from rooms import modevents as m
from rooms.auction_events import AuctionEvent
from rooms.commands import Product
from rooms.eventbase import EventBase as _Event
from rooms.eventbase import Message as Message
from rooms.eventbase import UserRef as UserRef
from rooms.shop_commands import ReviewSummary
from rooms.shop_events import ShopEvent
from rooms.statuses import EndReason, ReservationStatus
from rooms.types import Millis, UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomStatusChanged(_Event):
    type: ClassVar[str] = "room.status"
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage(_Event):
    type: ClassVar[str] = "chat.message"
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatDeleted(_Event):
    type: ClassVar[str] = "chat.deleted"
    message_id: int
    by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPinned(_Event):
    type: ClassVar[str] = "chat.pinned"
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatUnpinned(_Event):
    type: ClassVar[str] = "chat.unpinned"
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserTimedOut(_Event):
    type: ClassVar[str] = "mod.timeout"
    user_id: UserId
    until: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class UserBanned(_Event):
    type: ClassVar[str] = "mod.ban"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class UserUnbanned(_Event):
    type: ClassVar[str] = "mod.unban"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeoutLifted(_Event):
    type: ClassVar[str] = "mod.untimeout"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeratorAppointed(_Event):
    type: ClassVar[str] = "mod.appointed"
    user_id: UserId
    by: UserId
    brand: bool = False  # the brand's team: only the brand dismisses them here


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeratorDismissed(_Event):
    type: ClassVar[str] = "mod.dismissed"
    user_id: UserId
    by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class SlowModeChanged(_Event):
    type: ClassVar[str] = "room.slow_mode"
    seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferView:
    id: int  # the seq of the entry that created it
    product: Product
    price: int
    currency: str
    units: int
    per_buyer_limit: int
    starts_at: Millis
    ends_at: Millis
    early_access_at: Millis  # members may claim from here (== starts_at without early access)
    members_only: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationView:
    id: int  # the seq of the claim
    offer_id: int
    product_id: str
    user_id: UserId
    units: int
    price: int  # per unit, minor units
    currency: str
    expires_at: Millis
    affiliate_id: str | None
    key: str
    auction_id: int | None = None  # an auction's winner (offer_id is then the auction's id too)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductPinned(_Event):
    type: ClassVar[str] = "product.pinned"
    product: Product
    highlight: str | None
    reviews: ReviewSummary | None = None  # its reviews' average, count, newest and most helpful


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductUnpinned(_Event):
    type: ClassVar[str] = "product.unpinned"
    product_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferCreated(_Event):
    type: ClassVar[str] = "offer.created"
    offer: OfferView


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferStarted(_Event):
    type: ClassVar[str] = "offer.started"
    offer_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferStock(_Event):
    type: ClassVar[str] = "offer.stock"
    coalesce: ClassVar[str | None] = "offer_id"
    offer_id: int
    available: int
    reserved: int
    paid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferSoldOut(_Event):
    type: ClassVar[str] = "offer.sold_out"
    offer_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferEnded(_Event):
    type: ClassVar[str] = "offer.ended"
    offer_id: int
    reason: EndReason


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReserved(_Event):
    type: ClassVar[str] = "order.reserved"
    audience: ClassVar[str] = "internal"
    reservation: ReservationView


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderChanged(_Event):
    """reserved -> paid, cancelled or expired."""

    type: ClassVar[str] = "order.changed"
    audience: ClassVar[str] = "internal"
    reservation_id: int
    status: ReservationStatus
    by: UserId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesUpdated(_Event):
    """One affiliate's running sales in this room (``none``: unattributed), for the host's console."""

    type: ClassVar[str] = "sales.updated"
    audience: ClassVar[str] = "staff"
    coalesce: ClassVar[str | None] = "affiliate_id"
    affiliate_id: str
    units: int  # paid
    reserved_units: int
    revenue: dict[str, int]  # per currency, minor units


@dataclass(frozen=True, slots=True, kw_only=True)
class PollView:
    id: int
    question: str
    options: list[str]
    multiple: bool
    allow_change: bool
    ends_at: Millis | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollCreated(_Event):
    type: ClassVar[str] = "poll.created"
    poll: PollView


@dataclass(frozen=True, slots=True, kw_only=True)
class PollTally(_Event):
    """Coalesced on the wire: at most one per poll per frame, always the latest."""

    type: ClassVar[str] = "poll.tally"
    coalesce: ClassVar[str | None] = "poll_id"
    poll_id: int
    tallies: list[int]
    voters: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PollClosed(_Event):
    type: ClassVar[str] = "poll.closed"
    poll_id: int
    tallies: list[int]
    voters: int
    winners: list[int]  # indexes of the options with the most votes
    reason: EndReason


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionView:
    id: int
    user: UserRef
    text: str
    ts: Millis
    votes: int = 0
    answered: bool = False
    highlighted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionAsked(_Event):
    type: ClassVar[str] = "question.asked"
    question: QuestionView


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionVotes(_Event):
    type: ClassVar[str] = "question.votes"
    coalesce: ClassVar[str | None] = "question_id"
    question_id: int
    votes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionAnswered(_Event):
    type: ClassVar[str] = "question.answered"
    question_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionHighlighted(_Event):
    type: ClassVar[str] = "question.highlighted"
    question_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveawayStarted(_Event):
    type: ClassVar[str] = "giveaway.started"
    giveaway_id: int
    title: str
    winners: int
    eligibility: dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveawayEntries(_Event):
    type: ClassVar[str] = "giveaway.entries"
    coalesce: ClassVar[str | None] = "giveaway_id"
    giveaway_id: int
    entrants: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveawayDrawn(_Event):
    """The draw is a pure function of the log: anyone can recompute it (docs/protocol.md)."""

    type: ClassVar[str] = "giveaway.drawn"
    giveaway_id: int
    winners: list[UserRef]
    entrants: int
    seed: str  # sha256 over room, giveaway id, draw seq and the sorted entrant ids


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsAwarded(_Event):
    """A user's new room total; coalesced on the wire per user per frame."""

    type: ClassVar[str] = "points.awarded"
    coalesce: ClassVar[str | None] = "user_id"
    user_id: UserId
    points: int
    badges: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MembersOnlyChanged(_Event):
    type: ClassVar[str] = "chat.members_only"
    enabled: bool


Event = (
    RoomStatusChanged
    | ChatMessage
    | ChatDeleted
    | ChatPinned
    | ChatUnpinned
    | UserTimedOut
    | UserBanned
    | UserUnbanned
    | TimeoutLifted
    | ModeratorAppointed
    | ModeratorDismissed
    | SlowModeChanged
    | ProductPinned
    | ProductUnpinned
    | OfferCreated
    | OfferStarted
    | OfferStock
    | OfferSoldOut
    | OfferEnded
    | OrderReserved
    | OrderChanged
    | SalesUpdated
    | PollCreated
    | PollTally
    | PollClosed
    | QuestionAsked
    | QuestionVotes
    | QuestionAnswered
    | QuestionHighlighted
    | GiveawayStarted
    | GiveawayEntries
    | GiveawayDrawn
    | PointsAwarded
    | MembersOnlyChanged
    | m.ChatHeld
    | m.ChatBlocked
    | m.ChatReported
    | m.ChatHidden
    | m.ChatRestored
    | m.ChatRejected
    | m.ModReviewed
    | m.ChatShadowed
    | m.UserShadowMuted
    | m.UserShadowUnmuted
    | m.RulesChanged
    | m.ReportThresholdChanged
    | AuctionEvent
    | ShopEvent
)


EVENT_CLASSES: tuple[type[Event], ...] = Event.__args__

# The default audience is every viewer; these go only to staff (host, moderators,
# brand); these never go out in the room's broadcast (internal: the persister's;
# user: one user's, sent by the node that serves them, see ``EventBase.recipient``).
STAFF_TYPES = frozenset(cls.type for cls in EVENT_CLASSES if cls.audience == "staff")
PRIVATE_TYPES = frozenset(cls.type for cls in EVENT_CLASSES if cls.audience == "user")
INTERNAL_TYPES = frozenset(cls.type for cls in EVENT_CLASSES if cls.audience == "internal") | PRIVATE_TYPES
# Running totals (``coalesce`` set): a frame may skip their intermediate steps.
COALESCED_TYPES = frozenset(cls.type for cls in EVENT_CLASSES if cls.coalesce is not None)
