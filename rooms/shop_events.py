"""Events of the checkout, reviews and co-hosts (joined into ``rooms.events.Event``).

A buyer's order events are for the buyer only (audience ``user``, ``recipient`` the
buyer's ``user_id``): never broadcast nor persisted as transcript, and every node hands
them to that user's own connections (``live.notify``). Reviews and co-hosts are public.
"""

from dataclasses import dataclass
from typing import ClassVar

from rooms.eventbase import EventBase
from rooms.shop_commands import ReviewSummary, ReviewView
from rooms.statuses import ReservationStatus
from rooms.types import Millis, UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class MyOrder:
    """One of a buyer's reservations in this room, as the buyer sees it."""

    reservation_id: int
    offer_id: int
    product_id: str
    title: str
    image_url: str | None
    units: int
    price: int  # per unit, minor units
    currency: str
    status: ReservationStatus
    expires_at: Millis  # the reservation's countdown runs to this
    checkout_url: str | None  # where the buyer pays; None until the merchant gives one


class _BuyersEvent(EventBase):
    """An event only its buyer (the ``user_id`` field of each subclass) is sent."""

    __slots__ = ()
    audience: ClassVar[str] = "user"

    def recipient(self) -> UserId | None:
        return UserId(getattr(self, "user_id"))  # noqa: B009 - every subclass has the field; this base has none


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPlaced(_BuyersEvent):
    """To the buyer only: a claim of theirs reserved units (on every connection they have)."""

    type: ClassVar[str] = "order.placed"
    audience: ClassVar[str] = "user"
    user_id: UserId
    order: MyOrder


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCheckoutReady(_BuyersEvent):
    """To the buyer only: the link to pay for a reservation, and when it runs out."""

    type: ClassVar[str] = "order.checkout"
    audience: ClassVar[str] = "user"
    user_id: UserId
    reservation_id: int
    checkout_url: str
    expires_at: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPaid(_BuyersEvent):
    type: ClassVar[str] = "order.paid"
    audience: ClassVar[str] = "user"
    user_id: UserId
    reservation_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(_BuyersEvent):
    type: ClassVar[str] = "order.expired"
    audience: ClassVar[str] = "user"
    user_id: UserId
    reservation_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(_BuyersEvent):
    type: ClassVar[str] = "order.cancelled"
    audience: ClassVar[str] = "user"
    user_id: UserId
    reservation_id: int
    by: UserId | None  # the buyer, or the merchant


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductReviewsChanged(EventBase):
    """A pinned product's review summary, after a new review or one hidden."""

    type: ClassVar[str] = "product.reviews"
    product_id: str
    reviews: ReviewSummary


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewSpotlighted(EventBase):
    type: ClassVar[str] = "review.spotlighted"
    review: ReviewView


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewUnspotlighted(EventBase):
    type: ClassVar[str] = "review.unspotlighted"
    review_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CohostInvited(EventBase):
    type: ClassVar[str] = "cohost.invited"
    user_id: UserId
    by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class CohostJoined(EventBase):
    type: ClassVar[str] = "cohost.joined"
    user_id: UserId
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CohostRemoved(EventBase):
    type: ClassVar[str] = "cohost.removed"
    user_id: UserId
    by: UserId


PRIVATE_ORDER_EVENTS = (OrderPlaced, OrderCheckoutReady, OrderPaid, OrderExpired, OrderCancelled)
ShopEvent = (
    OrderPlaced | OrderCheckoutReady | OrderPaid | OrderExpired | OrderCancelled | ProductReviewsChanged | ReviewSpotlighted | ReviewUnspotlighted | CohostInvited | CohostJoined | CohostRemoved
)
