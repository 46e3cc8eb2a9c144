"""The events of live auctions and of comments that claim or bid (``rooms.auctions``,
``rooms.comments``). ``rooms.events`` folds ``AuctionEvent`` into its ``Event`` union.

A bidder's maximum is private: no event carries it (the bidder's own replies do).
"""

from dataclasses import dataclass
from typing import ClassVar

from rooms.commands import Product
from rooms.eventbase import EventBase
from rooms.statuses import EndReason
from rooms.types import Millis, UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class Bidder:
    id: UserId
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionView:
    id: int  # the seq of the entry that created it
    product: Product
    currency: str
    start_price: int  # minor units
    increment: int  # the least a bid must add to the current one
    starts_at: Millis
    ends_at: Millis  # the end as it stands (anti-snipe moves it later)
    early_access_at: Millis  # members may bid from here (== starts_at without early access)
    extend_seconds: int  # anti-snipe window; 0 is sudden death (the end never moves)
    members_only: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionCreated(EventBase):
    type: ClassVar[str] = "auction.created"
    auction: AuctionView


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionStarted(EventBase):
    type: ClassVar[str] = "auction.started"
    auction_id: int
    ends_at: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class BidPlaced(EventBase):
    """The visible current bid after a bid (a maximum bid may have answered it at once)."""

    type: ClassVar[str] = "auction.bid"
    auction_id: int
    price: int  # the current bid, minor units
    leader: Bidder
    bids: int  # accepted bids so far
    ends_at: Millis
    outbid: UserId | None  # who this bid left behind: the previous leader, or the bidder a higher maximum answered


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbid(EventBase):
    """To the bidder left behind only (every connection of theirs): bid again, or raise a maximum."""

    type: ClassVar[str] = "auction.outbid"
    audience: ClassVar[str] = "user"
    auction_id: int
    user_id: UserId
    price: int  # the current bid now
    minimum_bid: int  # the least a new bid must be
    ends_at: Millis

    def recipient(self) -> UserId | None:
        return self.user_id


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionExtended(EventBase):
    """Anti-snipe: a bid in the last ``extend_seconds`` moved the end."""

    type: ClassVar[str] = "auction.extended"
    auction_id: int
    ends_at: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionEnded(EventBase):
    type: ClassVar[str] = "auction.ended"
    auction_id: int
    reason: EndReason  # time; host (cancelled: no winner); room_ended (the leader wins)
    winner: Bidder | None
    price: int  # the winning bid (0 with no winner)
    bids: int
    reservation_id: int | None  # the winner's order, checked out like a claim's


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatClaim(EventBase):
    """What a chat message that claimed or bid did ("keep 2", "bid 150rb"): follows its ``chat.message``."""

    type: ClassVar[str] = "chat.claim"
    message_id: int
    user_id: UserId
    kind: str  # "claim" or "bid"
    target_id: int | None  # the offer or auction it went to (None: none could be chosen)
    ok: bool
    code: str | None = None  # the rejection's code, as a button claim or bid would get it
    units: int | None = None  # a claim's units
    amount: int | None = None  # a bid's amount, minor units
    reservation_id: int | None = None  # an accepted claim's order


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentClaimsChanged(EventBase):
    type: ClassVar[str] = "comments.claims"
    enabled: bool
    claim_words: list[str]  # the room's own, besides the built-in ones
    bid_words: list[str]


AuctionEvent = AuctionCreated | AuctionStarted | BidPlaced | Outbid | AuctionExtended | AuctionEnded | ChatClaim | CommentClaimsChanged
