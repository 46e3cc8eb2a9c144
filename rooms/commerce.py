"""Flash offers and the orders they become: offers, claims, reservations, payment.

A claim that is accepted **reserves** units for the buyer for the room's
``reservation_seconds``; the merchant confirms it (paid) or cancels it, or it expires
and its units return to stock. Every rule reads time from ``entry.ts`` only; ``advance``
applies the time rules (offer start and end, expiry) before each entry, and the server
appends a ``room.tick`` when a deadline passes in a quiet room. The fold never reserves
more units than an offer has: ``reserved + paid <= units`` after every entry.
Pinned products are in ``rooms.products``; the points a purchase earns in ``rooms.rewards``.
"""

from typing import Any

from rooms import commands as c
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.rewards import award, give_badge
from rooms.roles import Role
from rooms.rules import Applied
from rooms.state import Offer, Reservation, RoomState, Sales
from rooms.statuses import EndReason, ReservationStatus
from rooms.types import Millis, UserId

MAX_OFFER_UNITS = 1_000_000
# Per unit, minor units (Rp 100 billion; $1 billion in cents). Low enough that what a room
# adds up (a claim's units x price, a seller's running revenue, an auction raised by
# increments) stays far inside SQL's BIGINT and the 64-bit integers of JSON and MessagePack.
MAX_PRICE = 10**11
MAX_SCHEDULE_MS = 30 * 86_400_000  # an offer starts within this of now
MAX_OFFER_SECONDS = 24 * 3600
MAX_KEY = 64


def _stock(o: Offer) -> e.OfferStock:
    return e.OfferStock(offer_id=o.id, available=o.available, reserved=o.reserved, paid=o.paid)


def _sales(s: RoomState, r: Reservation, *, reserved: int = 0, paid: int = 0) -> e.SalesUpdated:
    """Move a reservation's units in its affiliate's running totals."""
    key = r.affiliate_id or "none"
    t = s.sales.setdefault(key, Sales())
    t.reserved_units += reserved
    t.units += paid
    if paid:
        t.revenue[r.currency] = t.revenue.get(r.currency, 0) + paid * r.price
    return e.SalesUpdated(affiliate_id=key, units=t.units, reserved_units=t.reserved_units, revenue=dict(t.revenue))


def _release(s: RoomState, r: Reservation, status: ReservationStatus, by: UserId | None) -> list[e.Event]:
    """Give a reservation's units back to its offer (cancelled or expired); an auction's lot has no stock."""
    offer = s.offers.get(r.offer_id)
    if offer is not None:
        offer.reserved -= r.units
    s.held[f"{r.offer_id}|{r.user_id}"] -= r.units
    r.status = status
    return [e.OrderChanged(reservation_id=r.id, status=status, by=by), *_stocks(offer), _sales(s, r, reserved=-r.units)]


def _stocks(offer: Offer | None) -> list[e.Event]:
    return [_stock(offer)] if offer is not None else []


def reserve(s: RoomState, r: Reservation, view: e.ReservationView) -> list[e.Event]:
    """Record a reservation made elsewhere (an auction's winner): the order and its sales."""
    s.reservations[r.id] = r
    s.held[f"{r.offer_id}|{r.user_id}"] = s.held.get(f"{r.offer_id}|{r.user_id}", 0) + r.units
    return [e.OrderReserved(reservation=view), _sales(s, r, reserved=r.units)]


def advance(s: RoomState, ts: Millis) -> list[e.Event]:
    """Time rules due at ``ts``, in a fixed order, so every node emits the same events."""
    out: list[e.Event] = []
    for r in s.reservations.values():
        if r.status == ReservationStatus.RESERVED and ts >= r.expires_at:
            out += _release(s, r, ReservationStatus.EXPIRED, None)
    for o in s.offers.values():
        if not o.started and not o.ended and ts >= o.starts_at:
            o.started = True
            out.append(e.OfferStarted(offer_id=o.id))
        if o.started and not o.ended and ts >= o.ends_at:
            o.ended = True
            out.append(e.OfferEnded(offer_id=o.id, reason=EndReason.TIME))
    return out


def end_all(s: RoomState) -> list[e.Event]:
    """The room ended: so do its offers."""
    out: list[e.Event] = []
    for o in s.offers.values():
        if not o.ended:
            o.ended = True
            out.append(e.OfferEnded(offer_id=o.id, reason=EndReason.ROOM_ENDED))
    return out


def _offer(s: RoomState, offer_id: int) -> Offer | Rejection:
    offer = s.offers.get(offer_id)
    return offer if offer is not None else Rejection(Code.NOT_FOUND, "no such offer")


def _open_reservation(s: RoomState, reservation_id: int) -> Reservation | Rejection:
    r = s.reservations.get(reservation_id)
    if r is None:
        return Rejection(Code.NOT_FOUND, "no such reservation")
    if r.status != ReservationStatus.RESERVED:
        return Rejection(Code.CONFLICT, f"the reservation is {r.status}")
    return r


# --- checks ----------------------------------------------------------------------------


def check_offer(s: RoomState, entry: c.Entry, cmd: c.OfferCreate) -> Rejection | None:
    if not 1 <= cmd.units <= MAX_OFFER_UNITS:
        return Rejection(Code.INVALID, f"units must be 1..{MAX_OFFER_UNITS}")
    if not 1 <= cmd.per_buyer_limit <= cmd.units:
        return Rejection(Code.INVALID, "per_buyer_limit must be 1..units")
    if not 1 <= cmd.duration_seconds <= MAX_OFFER_SECONDS:
        return Rejection(Code.INVALID, f"duration_seconds must be 1..{MAX_OFFER_SECONDS}")
    if not 0 <= cmd.price <= MAX_PRICE:
        return Rejection(Code.INVALID, f"price must be 0..{MAX_PRICE} minor units")
    if not 0 <= cmd.early_access_seconds <= MAX_OFFER_SECONDS:
        return Rejection(Code.INVALID, f"early_access_seconds must be 0..{MAX_OFFER_SECONDS}")
    if cmd.starts_at is not None and not entry.ts - MAX_SCHEDULE_MS <= cmd.starts_at <= entry.ts + MAX_SCHEDULE_MS:
        return Rejection(Code.INVALID, f"an offer starts within {MAX_SCHEDULE_MS // 86_400_000} days")
    return None


def check_end_offer(s: RoomState, entry: c.Entry, cmd: c.OfferEnd) -> Rejection | None:
    offer = _offer(s, cmd.offer_id)
    if isinstance(offer, Rejection):
        return offer
    if offer.ended:
        return Rejection(Code.ENDED, "the offer has ended")
    return None


def check_claim(s: RoomState, entry: c.Entry, cmd: c.OfferClaim) -> Rejection | None:
    uid = entry.actor.user_id
    first = s.claim_keys.get(f"{uid}|{cmd.key}")
    if first is not None:
        r = s.reservations[first]
        if (r.offer_id, r.units) != (cmd.offer_id, cmd.units):
            return Rejection(Code.KEY_REUSED, "this idempotency key was used for a different claim")
        return None  # a retry: the fold answers with the first result
    if not 1 <= len(cmd.key) <= MAX_KEY:
        return Rejection(Code.INVALID, f"key must be 1..{MAX_KEY} characters")
    offer = _offer(s, cmd.offer_id)
    if isinstance(offer, Rejection):
        return offer
    if uid in s.banned:
        return Rejection(Code.BANNED, "you are banned from this room")
    if offer.ended:
        return Rejection(Code.ENDED, "the offer has ended")
    return _check_timing(offer, entry) or _check_units(s, offer, uid, cmd.units)


def _check_timing(offer: Offer, entry: c.Entry) -> Rejection | None:
    """Members-only offers, and early access: members may claim from ``early_access_at``."""
    ts, member = entry.ts, entry.actor.tier is not None
    if offer.members_only and not member:
        return Rejection(Code.MEMBERS_ONLY, "this offer is for members")
    if ts < offer.starts_at:
        if ts >= offer.early_access_at and not member:
            return Rejection(Code.MEMBERS_ONLY, "members only until the public start", retry_after_ms=offer.starts_at - ts)
        if ts < offer.early_access_at or not member:
            return Rejection(Code.NOT_STARTED, "the offer has not started", retry_after_ms=(offer.early_access_at if member else offer.starts_at) - ts)
    return None


def _check_units(s: RoomState, offer: Offer, uid: UserId, units: int) -> Rejection | None:
    if not 1 <= units <= offer.per_buyer_limit:
        return Rejection(Code.INVALID, f"units must be 1..{offer.per_buyer_limit}")
    if s.held.get(f"{offer.id}|{uid}", 0) + units > offer.per_buyer_limit:
        return Rejection(Code.LIMIT_REACHED, f"at most {offer.per_buyer_limit} per buyer")
    if offer.available == 0:
        return Rejection(Code.SOLD_OUT, "sold out")
    if units > offer.available:
        return Rejection(Code.NOT_ENOUGH_STOCK, f"only {offer.available} left")
    return None


def settles_orders(s: RoomState, actor: c.Actor) -> bool:
    """The merchant whose orders these are: the room's brand, or the host of a brandless
    room. A branded room's host runs the show but does not settle its buyers' orders."""
    return actor.role is Role.BRAND or (actor.role is Role.HOST and s.brand_id is None)


def check_confirm(s: RoomState, entry: c.Entry, cmd: c.OrderConfirm) -> Rejection | None:
    if not settles_orders(s, entry.actor):
        return Rejection(Code.FORBIDDEN, "only the room's merchant may confirm a reservation")
    r = _open_reservation(s, cmd.reservation_id)
    return r if isinstance(r, Rejection) else None


def check_cancel(s: RoomState, entry: c.Entry, cmd: c.OrderCancel) -> Rejection | None:
    mine = (r := s.reservations.get(cmd.reservation_id)) is not None and r.user_id == entry.actor.user_id
    if not (mine or settles_orders(s, entry.actor)):  # checked first: no one learns of others' reservations
        return Rejection(Code.FORBIDDEN, "only the buyer or the merchant may cancel a reservation")
    problem = _open_reservation(s, cmd.reservation_id)
    return problem if isinstance(problem, Rejection) else None


# --- applies ---------------------------------------------------------------------------


def apply_offer(s: RoomState, entry: c.Entry, cmd: c.OfferCreate) -> Applied:
    starts = Millis(max(entry.ts, cmd.starts_at or entry.ts))
    offer = Offer(
        id=entry.seq,
        product=cmd.product,
        price=cmd.price,
        units=cmd.units,
        per_buyer_limit=cmd.per_buyer_limit,
        starts_at=starts,
        ends_at=Millis(starts + cmd.duration_seconds * 1000),
        early_access_at=Millis(starts - cmd.early_access_seconds * 1000),
        members_only=cmd.members_only,
        affiliate_id=entry.actor.user_id if entry.actor.role is Role.AFFILIATE else None,
    )
    s.offers[offer.id] = offer
    events: list[e.Event] = [e.OfferCreated(offer=offer.view())]
    events += advance(s, entry.ts)  # an offer that starts now starts with this entry
    return events, {"offer_id": offer.id}


def apply_end_offer(s: RoomState, entry: c.Entry, cmd: c.OfferEnd) -> Applied:
    s.offers[cmd.offer_id].ended = True
    return [e.OfferEnded(offer_id=cmd.offer_id, reason=EndReason.HOST)], {}


def _claim_result(r: Reservation) -> dict[str, Any]:
    return {"reservation_id": r.id, "offer_id": r.offer_id, "units": r.units, "price": r.price, "currency": r.currency, "expires_at": r.expires_at}


def apply_claim(s: RoomState, entry: c.Entry, cmd: c.OfferClaim) -> Applied:
    uid = entry.actor.user_id
    first = s.claim_keys.get(f"{uid}|{cmd.key}")
    if first is not None:
        return [], _claim_result(s.reservations[first]) | {"repeated": True}
    offer = s.offers[cmd.offer_id]
    r = Reservation(
        id=entry.seq,
        offer_id=offer.id,
        user_id=uid,
        units=cmd.units,
        price=offer.price,
        currency=offer.product.currency,
        expires_at=Millis(entry.ts + s.reservation_seconds * 1000),
        affiliate_id=entry.actor.ref or offer.affiliate_id,
        key=cmd.key,
        name=entry.actor.name,
    )
    s.reservations[r.id] = r
    s.schedule(r.expires_at)
    s.claim_keys[f"{uid}|{cmd.key}"] = r.id
    held_key = f"{offer.id}|{uid}"
    s.held[held_key] = s.held.get(held_key, 0) + r.units
    offer.reserved += r.units
    events: list[e.Event] = [e.OrderReserved(reservation=_reservation_view(r, offer)), _stock(offer), _sales(s, r, reserved=r.units)]
    if offer.available == 0:
        events.append(e.OfferSoldOut(offer_id=offer.id))
    return events, _claim_result(r) | {"repeated": False}


def _reservation_view(r: Reservation, offer: Offer) -> e.ReservationView:
    return e.ReservationView(
        id=r.id,
        offer_id=r.offer_id,
        product_id=offer.product.id,
        user_id=r.user_id,
        units=r.units,
        price=r.price,
        currency=r.currency,
        expires_at=r.expires_at,
        affiliate_id=r.affiliate_id,
        key=r.key,
    )


def apply_confirm(s: RoomState, entry: c.Entry, cmd: c.OrderConfirm) -> Applied:
    r = s.reservations[cmd.reservation_id]
    offer = s.offers.get(r.offer_id)  # None: an auction's lot
    if offer is not None:
        offer.reserved -= r.units
        offer.paid += r.units
    r.status = ReservationStatus.PAID
    changed = e.OrderChanged(reservation_id=r.id, status=ReservationStatus.PAID, by=entry.actor.user_id)
    give_badge(s, r.user_id, "first_purchase")
    points = award(s, r.user_id, r.name, "purchase")
    return [changed, *_stocks(offer), _sales(s, r, reserved=-r.units, paid=r.units), *points], {"status": ReservationStatus.PAID.value}


def apply_cancel(s: RoomState, entry: c.Entry, cmd: c.OrderCancel) -> Applied:
    r = s.reservations[cmd.reservation_id]
    return _release(s, r, ReservationStatus.CANCELLED, entry.actor.user_id), {"status": ReservationStatus.CANCELLED.value}
