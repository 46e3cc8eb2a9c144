"""Commands of the checkout, reviews and co-hosts, and the review views they carry.

Kept apart from ``rooms.commands`` (which joins them into its unions) so each feature
reads in one place. Reviews themselves live in SQL (they belong to a brand's product,
not to a room); a room only holds what the server put into its log: a pinned
product's review summary, and the review the host spotlights.
"""

from dataclasses import dataclass, field
from typing import Literal

from rooms.types import Millis, UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewAuthor:
    id: str  # the brand's pseudonym of the buyer (u_…), never the platform's id
    name: str  # the display name the buyer had when they reviewed


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewView:
    """One published review, as shoppers see it (the server reads it from SQL)."""

    id: int
    product_id: str
    stars: int  # 1..5
    text: str
    photo_url: str | None
    author: ReviewAuthor
    created_at: Millis
    helpful: int = 0
    verified: bool = True  # every review comes from a paid order


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewSummary:
    """What a pinned product shows of its reviews: the average, the count, a few of them."""

    average: float  # stars, rounded to two places; 0 without reviews
    count: int
    stars: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])  # how many gave 1..5
    newest: list[ReviewView] = field(default_factory=list)
    most_helpful: list[ReviewView] = field(default_factory=list)


# --- checkout ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCheckout:
    """The merchant's checkout link for one reservation (its webhook answer, or over HTTP)."""

    type: Literal["order.checkout"] = "order.checkout"
    reservation_id: int
    checkout_url: str


# --- reviews -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductReviews:
    """A pinned product's reviews changed (a new one, or one hidden): the server's refresh."""

    type: Literal["product.reviews"] = "product.reviews"
    product_id: str
    reviews: ReviewSummary


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewSpotlight:
    """The host shows one review on screen; the server puts the review in (from SQL)."""

    type: Literal["review.spotlight"] = "review.spotlight"
    review: ReviewView


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewUnspotlight:
    type: Literal["review.unspotlight"] = "review.unspotlight"


# --- co-hosts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CohostInvite:
    """The host (or brand) invites a user to co-host this show; powers once they accept."""

    type: Literal["cohost.invite"] = "cohost.invite"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class CohostAccept:
    type: Literal["cohost.accept"] = "cohost.accept"


@dataclass(frozen=True, slots=True, kw_only=True)
class CohostRemove:
    """The host (or brand) takes an invitation or a co-host's powers back; a co-host may step down."""

    type: Literal["cohost.remove"] = "cohost.remove"
    user_id: UserId


ShopClientCommand = ReviewUnspotlight | CohostInvite | CohostAccept | CohostRemove
# Built by the server: from HTTP, from the merchant's webhook answer, or enriched from SQL.
ShopServerCommand = OrderCheckout | ProductReviews | ReviewSpotlight
