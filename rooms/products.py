"""Pinned products: the catalog products shown under the video, at most
``max_pinned_products`` at a time. The server puts the catalog product into the
command (the fold cannot look it up); pinning one again updates its highlight.
"""

from rooms import commands as c
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.rules import Applied
from rooms.state import PinnedProduct, RoomState


def check_pin(s: RoomState, entry: c.Entry, cmd: c.ProductPin) -> Rejection | None:
    if any(p.product.id == cmd.product.id for p in s.pinned_products):
        return None  # pinning again updates the highlight
    if len(s.pinned_products) >= s.max_pinned_products:
        return Rejection(Code.LIMIT_REACHED, f"at most {s.max_pinned_products} products can be pinned; unpin one first")
    return None


def check_unpin(s: RoomState, entry: c.Entry, cmd: c.ProductUnpin) -> Rejection | None:
    if not any(p.product.id == cmd.product_id for p in s.pinned_products):
        return Rejection(Code.NOT_FOUND, "that product is not pinned")
    return None


def apply_pin(s: RoomState, entry: c.Entry, cmd: c.ProductPin) -> Applied:
    s.pinned_products = [p for p in s.pinned_products if p.product.id != cmd.product.id]
    s.pinned_products.append(PinnedProduct(product=cmd.product, highlight=cmd.highlight, reviews=cmd.reviews))
    return [e.ProductPinned(product=cmd.product, highlight=cmd.highlight, reviews=cmd.reviews)], {}


def apply_unpin(s: RoomState, entry: c.Entry, cmd: c.ProductUnpin) -> Applied:
    s.pinned_products = [p for p in s.pinned_products if p.product.id != cmd.product_id]
    return [e.ProductUnpinned(product_id=cmd.product_id)], {}
