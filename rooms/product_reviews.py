"""Reviews in a room: a pinned product's review summary, and the review on screen.

Reviews are the brand's (SQL, ``live.store.reviews``): a buyer reviews a paid order
over HTTP. What a room shows of them enters its log as server commands: the summary
in ``product.pin`` and, when a review is added or hidden, in ``product.reviews`` (to
every room that has the product pinned); the host's spotlight carries the review
itself. So every node shows the same, and a re-fold too.
"""

from rooms import commands as c
from rooms import shop_commands as sc
from rooms import shop_events as se
from rooms.errors import Code, Rejection
from rooms.rules import Applied
from rooms.state import RoomState

MAX_SHOWN = 3  # newest and most helpful reviews a summary carries, each


def check_reviews(s: RoomState, entry: c.Entry, cmd: sc.ProductReviews) -> Rejection | None:
    if not any(p.product.id == cmd.product_id for p in s.pinned_products):
        return Rejection(Code.NOT_FOUND, "that product is not pinned")
    return None


def apply_reviews(s: RoomState, entry: c.Entry, cmd: sc.ProductReviews) -> Applied:
    for pinned in s.pinned_products:
        if pinned.product.id == cmd.product_id:
            pinned.reviews = cmd.reviews
    return [se.ProductReviewsChanged(product_id=cmd.product_id, reviews=cmd.reviews)], {}


def apply_spotlight(s: RoomState, entry: c.Entry, cmd: sc.ReviewSpotlight) -> Applied:
    s.spotlight = cmd.review
    return [se.ReviewSpotlighted(review=cmd.review)], {"review_id": cmd.review.id}


def check_unspotlight(s: RoomState, entry: c.Entry, cmd: sc.ReviewUnspotlight) -> Rejection | None:
    if s.spotlight is None:
        return Rejection(Code.NOT_FOUND, "no review is in the spotlight")
    return None


def apply_unspotlight(s: RoomState, entry: c.Entry, cmd: sc.ReviewUnspotlight) -> Applied:
    assert s.spotlight is not None
    review_id, s.spotlight = s.spotlight.id, None
    return [se.ReviewUnspotlighted(review_id=review_id)], {}
