"""Commands: everything that changes a room goes into its log as one of these.

Each command is a frozen dataclass with a literal ``type`` tag. The server's wire
schema validates client frames straight into these classes, so this module is the
one definition of what a client may ask for.
"""

from dataclasses import dataclass
from typing import Literal

from rooms.communitycommands import (
    ChatMembersOnly as ChatMembersOnly,
)
from rooms.communitycommands import (
    Eligibility as Eligibility,
)
from rooms.communitycommands import (
    GiveawayDraw as GiveawayDraw,
)
from rooms.communitycommands import (
    GiveawayEnter as GiveawayEnter,
)
from rooms.communitycommands import (
    GiveawayStart as GiveawayStart,
)
from rooms.communitycommands import (
    PollClose as PollClose,
)
from rooms.communitycommands import (
    PollCreate as PollCreate,
)
from rooms.communitycommands import (
    PollVote as PollVote,
)
from rooms.communitycommands import (
    QuestionAnswer as QuestionAnswer,
)
from rooms.communitycommands import (
    QuestionAsk as QuestionAsk,
)
from rooms.communitycommands import (
    QuestionHighlight as QuestionHighlight,
)
from rooms.communitycommands import (
    QuestionUpvote as QuestionUpvote,
)
from rooms.intents import Intent
from rooms.modcommands import (  # re-exported: every command is reached through this module
    ChatReport as ChatReport,
)
from rooms.modcommands import (
    ModApprove as ModApprove,
)
from rooms.modcommands import (
    ModReject as ModReject,
)
from rooms.modcommands import (
    ModReportThreshold as ModReportThreshold,
)
from rooms.modcommands import (
    ModShadowMute as ModShadowMute,
)
from rooms.modcommands import (
    ModShadowUnmute as ModShadowUnmute,
)
from rooms.modcommands import (
    Rules as Rules,
)
from rooms.modcommands import (
    RulesAccept as RulesAccept,
)
from rooms.modcommands import (
    RulesSet as RulesSet,
)
from rooms.roles import Role
from rooms.shop_commands import ReviewSummary, ShopClientCommand, ShopServerCommand
from rooms.types import Millis, Seq, UserId
from rooms.verdicts import ALLOW, Verdict


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who sent a command, as the server verified it from the token."""

    user_id: UserId
    name: str
    role: Role
    tier: str | None = None  # membership tier; any tier counts as a member
    ref: str | None = None  # referral code (an affiliate's id) the viewer came with
    badges: tuple[str, ...] = ()  # earned across the brand's sessions (the server fills them in)
    rules_accepted: bool = False  # accepted this brand's community rules before (the server fills it in)


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """A catalog product as it was when pinned or offered (the server fills it in)."""

    id: str
    sku: str
    title: str
    price: int  # minor units of the currency (IDR has none: 15000 is Rp 15.000)
    currency: str  # ISO 4217
    description: str = ""
    image_url: str | None = None


# --- room lifecycle (HTTP API) -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomCreate:
    type: Literal["room.create"] = "room.create"
    title: str
    host_id: UserId
    brand_id: str | None = None
    starts_at: Millis | None = None
    allow_guests: bool = True
    max_message_length: int = 500
    max_pinned_products: int = 3
    reservation_seconds: int = 600  # how long a claim holds units before they return to stock
    playback_url: str | None = None  # the video stream (HLS, MP4...) the pages play
    report_threshold: int = 3  # distinct viewers' reports that hide a message pending review
    comment_claims: bool = True  # chat like "keep 2" or "bid 150rb" claims or bids (rooms.comments)
    checkout_url_template: str | None = None  # the brand's, from the server's settings (rooms.checkout)
    rehearsal_of: str | None = None  # a private rehearsal of this room (the server sets it: POST .../rehearsal)
    moderators: tuple[UserId, ...] = ()  # the brand's moderators as the room opens (the server sets it from SQL)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomGoLive:
    type: Literal["room.go_live"] = "room.go_live"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomEnd:
    type: Literal["room.end"] = "room.end"


# --- chat and moderation (WebSocket) ------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPost:
    """Built by the server from a client's ``chat.post`` (``live.wire.client.PostChat``),
    with automatic moderation's verdict on the text; a client can never set it."""

    type: Literal["chat.post"] = "chat.post"
    text: str
    reply_to: int | None = None  # message id (the seq of the post replied to)
    verdict: Verdict = ALLOW  # automatic moderation's, put in by the server (never the client's)
    intent: Intent | None = None  # set by the server from the text (rooms.comments); a client's is replaced


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatDelete:
    type: Literal["chat.delete"] = "chat.delete"
    message_id: int
    reason: str | None = None  # for the moderation log (up to 200 characters)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPin:
    type: Literal["chat.pin"] = "chat.pin"
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatUnpin:
    type: Literal["chat.unpin"] = "chat.unpin"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModTimeout:
    type: Literal["mod.timeout"] = "mod.timeout"
    user_id: UserId
    seconds: int
    reason: str | None = None  # for the moderation log (up to 200 characters)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModBan:
    type: Literal["mod.ban"] = "mod.ban"
    user_id: UserId
    reason: str | None = None  # for the moderation log (up to 200 characters)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModUnban:
    type: Literal["mod.unban"] = "mod.unban"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModUntimeout:
    """Lift a timeout before it runs out."""

    type: Literal["mod.untimeout"] = "mod.untimeout"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModAppoint:
    """The host (or brand) makes a user a moderator of this room; powers from their next command.
    The brand's appointments (its moderator team, sent to each open room) only the brand dismisses."""

    type: Literal["mod.appoint"] = "mod.appoint"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModDismiss:
    type: Literal["mod.dismiss"] = "mod.dismiss"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModSlowMode:
    type: Literal["mod.slow_mode"] = "mod.slow_mode"
    seconds: int  # 0 turns slow mode off


# --- commerce -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductPin:
    type: Literal["product.pin"] = "product.pin"
    product: Product
    highlight: str | None = None
    reviews: ReviewSummary | None = None  # the server fills it in from SQL


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductUnpin:
    type: Literal["product.unpin"] = "product.unpin"
    product_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferCreate:
    type: Literal["offer.create"] = "offer.create"
    product: Product
    price: int  # offer price, minor units, in the product's currency
    units: int
    per_buyer_limit: int = 1
    starts_at: Millis | None = None  # None: now
    duration_seconds: int = 60
    early_access_seconds: int = 0  # members may claim this long before the public start
    members_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferEnd:
    type: Literal["offer.end"] = "offer.end"
    offer_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferClaim:
    type: Literal["offer.claim"] = "offer.claim"
    offer_id: int
    units: int = 1
    key: str  # idempotency key: a retry with the same key gets the first result


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderConfirm:
    type: Literal["order.confirm"] = "order.confirm"
    reservation_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancel:
    type: Literal["order.cancel"] = "order.cancel"
    reservation_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionStart:
    """Built by the server from a client's ``auction.start`` once it has looked the product up."""

    type: Literal["auction.start"] = "auction.start"
    product: Product
    start_price: int  # minor units; the first bid must be at least this
    increment: int  # the least a bid must add to the current one
    duration_seconds: int = 60
    extend_seconds: int = 10  # anti-snipe: a bid in the last N s moves the end to N s after it
    sudden_death: bool = False  # no anti-snipe: the end never moves
    starts_at: Millis | None = None  # None: now
    early_access_seconds: int = 0  # members may bid this long before the public start
    members_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionBid:
    type: Literal["auction.bid"] = "auction.bid"
    auction_id: int
    amount: int | None = None  # the bid shown, minor units; None: the minimum next bid
    max: int | None = None  # a private maximum: the server bids for you up to it, one increment at a time
    key: str  # idempotency key: a retry with the same key gets the first result


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionCancel:
    """The host stops an auction: it ends with no winner."""

    type: Literal["auction.cancel"] = "auction.cancel"
    auction_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentClaims:
    """Staff switch comment-to-claim and set the room's words (added to the built-in ones)."""

    type: Literal["comments.claims"] = "comments.claims"
    enabled: bool
    claim_words: list[str] | None = None  # None: keep the room's
    bid_words: list[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomTick:
    """Appended by the server when a deadline passes, so time rules act in a quiet room."""

    type: Literal["room.tick"] = "room.tick"


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivacyErase:
    """A person's data is erased (docs/privacy.md): the room's state names them ``alias``
    from here on, their messages and questions read "[removed]". Appended by the server."""

    type: Literal["privacy.erase"] = "privacy.erase"
    user_id: UserId
    alias: UserId
    # The person as their reviews' author in this room's brand (a pseudonym, which the
    # domain cannot work out), and what copies of those reviews show instead.
    author: str | None = None
    author_alias: str | None = None


ClientCommand = (
    ChatDelete
    | ChatPin
    | ChatUnpin
    | ModTimeout
    | ModBan
    | ModUnban
    | ModUntimeout
    | ModAppoint
    | ModDismiss
    | ModSlowMode
    | ChatReport
    | ModApprove
    | ModReject
    | ModShadowMute
    | ModShadowUnmute
    | ModReportThreshold
    | RulesAccept
    | ChatMembersOnly
    | ProductUnpin
    | OfferEnd
    | OfferClaim
    | OrderCancel
    | AuctionBid
    | AuctionCancel
    | CommentClaims
    | PollCreate
    | PollVote
    | PollClose
    | QuestionAsk
    | QuestionUpvote
    | QuestionAnswer
    | QuestionHighlight
    | GiveawayStart
    | GiveawayEnter
    | GiveawayDraw
    | ShopClientCommand
)
# Built by the server: from HTTP, from a client request it enriched, or by its clock.
ServerCommand = RoomCreate | RoomGoLive | RoomEnd | ChatPost | ProductPin | OfferCreate | OrderConfirm | RoomTick | RulesSet | PrivacyErase | AuctionStart | ShopServerCommand
Command = ClientCommand | ServerCommand


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One position in a room's log: the command, who sent it, and when.

    ``origin`` names the node and request that appended it, so that node can answer
    its client from the fold's outcome once the entry comes back through the log.
    """

    seq: Seq
    ts: Millis
    actor: Actor
    command: Command
    origin: str | None = None
