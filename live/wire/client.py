"""Every message a client may send: control messages, catalog requests and the room's commands.

A client frame is one JSON object or MessagePack map ``{"type": ..., "id": ..., ...}``,
validated straight into one of these dataclasses (or a ``rooms.commands`` command).
"""

from dataclasses import dataclass
from typing import Literal

from rooms import commands as c


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    """First frame of a connection: the token (never in the URL) and where to resume."""

    type: Literal["hello"] = "hello"
    token: str | None = None  # None joins as a guest where the room allows it
    since: int | None = None  # last seq seen, to resume
    epoch: str | None = None  # epoch that seq belongs to
    ref: str | None = None  # referral code (an affiliate's id), when the token carries none


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    type: Literal["ping"] = "ping"


@dataclass(frozen=True, slots=True, kw_only=True)
class React:
    type: Literal["reaction"] = "reaction"
    kind: Literal["heart", "clap", "fire", "laugh", "wow"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PostChat:
    """Becomes ``rooms.commands.ChatPost`` once automatic moderation has scored the text
    (``live.automod.edge``): the verdict is the server's, never the client's."""

    type: Literal["chat.post"] = "chat.post"
    text: str
    reply_to: int | None = None  # message id (the seq of the post replied to)


@dataclass(frozen=True, slots=True, kw_only=True)
class PinProduct:
    """Becomes ``rooms.commands.ProductPin`` once the server has looked the product up."""

    type: Literal["product.pin"] = "product.pin"
    product_id: str
    highlight: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateOffer:
    """Becomes ``rooms.commands.OfferCreate`` once the server has looked the product up."""

    type: Literal["offer.create"] = "offer.create"
    product_id: str
    units: int
    price: int | None = None  # default: the catalog price
    per_buyer_limit: int = 1
    starts_in_seconds: int = 0
    duration_seconds: int = 60
    early_access_seconds: int = 0
    members_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StartAuction:
    """Becomes ``rooms.commands.AuctionStart`` once the server has looked the product up."""

    type: Literal["auction.start"] = "auction.start"
    product_id: str
    start_price: int | None = None  # default: the catalog price
    increment: int = 1  # minor units
    duration_seconds: int = 60
    extend_seconds: int = 10  # anti-snipe window
    sudden_death: bool = False
    starts_in_seconds: int = 0
    early_access_seconds: int = 0
    members_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MyBids:
    """Read-only: the caller's standing in the room's auctions, their maximums included (private)."""

    type: Literal["auction.mine"] = "auction.mine"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotlightReview:
    """Becomes ``rooms.shop_commands.ReviewSpotlight`` once the server has read the review."""

    type: Literal["review.spotlight"] = "review.spotlight"
    review_id: int


Control = Hello | Ping | React | MyBids
CatalogRequest = PinProduct | CreateOffer | StartAuction
ClientMessage = Control | PostChat | CatalogRequest | SpotlightReview | c.ClientCommand
