"""A checkout the buyer can finish: the link to pay, and the buyer's own order events.

Every reservation event (``order.reserved``, ``order.changed``; from claims, or any
other rule that reserves through ``rooms.commerce``) is mirrored by the fold into a
**private** event for the buyer (``private``): placed (with the countdown's end and,
when known, the checkout link), paid, expired, cancelled. The link comes from the
brand's URL template, filled in when the reservation is made (``render``), or from the
merchant: its answer to the ``order.reserved`` webhook, or its call over HTTP, both an
``order.checkout`` command (``check_checkout``, ``apply_checkout``).
"""

import string
from urllib.parse import quote

from rooms import commands as c
from rooms import events as e
from rooms import shop_commands as sc
from rooms import shop_events as se
from rooms.errors import Code, Rejection
from rooms.rules import Applied
from rooms.state import Reservation, RoomState
from rooms.statuses import ReservationStatus
from rooms.types import UserId

MAX_URL = 2000
# What a template may name; ``order_id`` is ``<room_id>.<reservation_id>`` (room ids have no dot).
PLACEHOLDERS = frozenset({"order_id", "room_id", "reservation_id", "product_id", "units"})


def url_problem(url: str) -> str | None:
    """Why a checkout link is refused, or None."""
    if not url.startswith(("https://", "http://")) or len(url) > MAX_URL or any(ch.isspace() for ch in url):
        return f"a checkout URL is an http(s) URL of up to {MAX_URL} characters, without spaces"
    return None


def template_problem(template: str) -> str | None:
    """Why a checkout URL template is refused, or None (checked when the server starts)."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        return f"checkout URL template {template!r}: {exc}"
    if unknown := names - PLACEHOLDERS:
        return f"checkout URL template {template!r} names {sorted(unknown)}; it may name {sorted(PLACEHOLDERS)}"
    return url_problem(template.replace("{", "").replace("}", ""))


def render(template: str, room_id: str, r: Reservation, product_id: str) -> str:
    values = {"order_id": f"{room_id}.{r.id}", "room_id": room_id, "reservation_id": r.id, "product_id": product_id, "units": r.units}
    return template.format_map({k: quote(str(v), safe="") for k, v in values.items()})


def _product(s: RoomState, r: Reservation) -> c.Product | None:
    """What was bought: the offer's product, or the auction's (a winner's ``offer_id`` is the auction's id)."""
    sale = s.offers.get(r.offer_id) or s.auctions.get(r.offer_id)
    return sale.product if sale is not None else None


def order_view(s: RoomState, r: Reservation) -> se.MyOrder:
    product = _product(s, r)
    return se.MyOrder(
        reservation_id=r.id,
        offer_id=r.offer_id,
        product_id=product.id if product else "",
        title=product.title if product else "",
        image_url=product.image_url if product else None,
        units=r.units,
        price=r.price,
        currency=r.currency,
        status=r.status,
        expires_at=r.expires_at,
        checkout_url=s.checkout_urls.get(r.id),
    )


def my_orders(s: RoomState, user: UserId) -> list[se.MyOrder]:
    """A buyer's reservations in this room, oldest first (what the gateway sends after the welcome)."""
    return [order_view(s, r) for r in s.reservations.values() if r.user_id == user]


def private(s: RoomState, events: list[e.Event]) -> list[e.Event]:
    """The buyer's private events for the reservation events among ``events``."""
    out: list[e.Event] = []
    for event in events:
        if isinstance(event, e.OrderReserved):
            placed = s.reservations[event.reservation.id]
            if s.checkout_url_template and placed.id not in s.checkout_urls:
                s.checkout_urls[placed.id] = render(s.checkout_url_template, s.room_id, placed, event.reservation.product_id)
            out.append(se.OrderPlaced(user_id=placed.user_id, order=order_view(s, placed)))
        elif isinstance(event, e.OrderChanged) and (r := s.reservations.get(event.reservation_id)) is not None:
            if event.status == ReservationStatus.PAID:
                out.append(se.OrderPaid(user_id=r.user_id, reservation_id=r.id))
            elif event.status == ReservationStatus.EXPIRED:
                out.append(se.OrderExpired(user_id=r.user_id, reservation_id=r.id))
            elif event.status == ReservationStatus.CANCELLED:
                out.append(se.OrderCancelled(user_id=r.user_id, reservation_id=r.id, by=event.by))
    return out


def check_checkout(s: RoomState, entry: c.Entry, cmd: sc.OrderCheckout) -> Rejection | None:
    if (problem := url_problem(cmd.checkout_url)) is not None:
        return Rejection(Code.INVALID, problem)
    r = s.reservations.get(cmd.reservation_id)
    if r is None:
        return Rejection(Code.NOT_FOUND, "no such reservation")
    if r.status != ReservationStatus.RESERVED:
        return Rejection(Code.CONFLICT, f"the reservation is {r.status}")
    return None


def apply_checkout(s: RoomState, entry: c.Entry, cmd: sc.OrderCheckout) -> Applied:
    r = s.reservations[cmd.reservation_id]
    s.checkout_urls[r.id] = cmd.checkout_url
    ready = se.OrderCheckoutReady(user_id=r.user_id, reservation_id=r.id, checkout_url=cmd.checkout_url, expires_at=r.expires_at)
    return [ready], {"reservation_id": r.id, "checkout_url": cmd.checkout_url}
