"""Live auctions: the host puts a catalog product under the hammer, viewers bid, the log decides.

Every bid is checked against the current high bid in log order, and time is read only
from ``entry.ts``: ``advance`` ends an auction before any entry at or after its end is
checked, so no node ever accepts a bid after the end, and a re-fold names the same
winner. **Anti-snipe**: a bid with less than ``extend_seconds`` left moves the end to
``extend_seconds`` after it (``0`` is sudden death: the end never moves). **Maximum
bids** (proxy bidding, as eBay and Whatnot do): a bidder may give a private ``max``;
against others the fold bids for them one increment at a time, which comes to the
second-highest maximum plus one increment, never more than their own maximum (a tie
goes to the earlier maximum). The visible price never passes the leader's maximum,
and no event carries a maximum. The winner gets a reservation through the same
checkout handoff as a claim (``commerce.reserve``: order row, webhook, confirm/cancel,
expiry). Only viewers bid: staff and affiliates of the room never do (shill bidding).
"""

from typing import Any

from rooms import auction_events as ae
from rooms import commands as c
from rooms import commerce
from rooms import events as e
from rooms.commerce import MAX_KEY, MAX_OFFER_SECONDS, MAX_PRICE, MAX_SCHEDULE_MS
from rooms.errors import Code, Rejection
from rooms.roles import Role
from rooms.rules import Applied
from rooms.state import Auction, Reservation, RoomState
from rooms.statuses import EndReason
from rooms.types import Millis, UserId

BIDDERS = frozenset({Role.VIEWER})
MAX_EXTEND_SECONDS = 300
MAX_OPEN_AUCTIONS = 10  # running or scheduled at once in one room


def minimum_bid(a: Auction) -> int:
    """The least the next bid may be: the start price, then the current bid plus the increment."""
    return a.start_price if a.leader is None else a.price + a.increment


def standing(a: Auction, uid: UserId) -> dict[str, Any]:
    """A bidder's own view of an auction, maximum included: their replies, never an event."""
    return {"auction_id": a.id, "leading": a.leader == uid, "price": a.price, "max": a.maxes.get(uid), "ends_at": a.ends_at, "ended": a.ended}


def _auction(s: RoomState, auction_id: int) -> Auction | Rejection:
    a = s.auctions.get(auction_id)
    return a if a is not None else Rejection(Code.NOT_FOUND, "no such auction")


# --- time ------------------------------------------------------------------------------


def advance(s: RoomState, ts: Millis) -> list[e.Event]:
    """Auctions that start or end at ``ts``, in creation order (every node the same)."""
    out: list[e.Event] = []
    for a in s.auctions.values():
        if not a.started and not a.ended and ts >= a.starts_at:
            a.started = True
            out.append(ae.AuctionStarted(auction_id=a.id, ends_at=a.ends_at))
        if a.started and not a.ended and ts >= a.ends_at:
            out += _finish(s, a, EndReason.TIME, ts)
    return out


def end_all(s: RoomState, ts: Millis) -> list[e.Event]:
    """The room ended: so do its auctions; one with bids goes to its leader (the bids stand)."""
    out: list[e.Event] = []
    for a in s.auctions.values():
        if not a.ended:
            out += _finish(s, a, EndReason.ROOM_ENDED, ts)
    return out


def _finish(s: RoomState, a: Auction, reason: EndReason, ts: Millis) -> list[e.Event]:
    a.ended, a.end_reason = True, reason.value
    winner = a.leader_ref() if reason is not EndReason.HOST else None
    events: list[e.Event] = []
    if winner is not None:
        r = Reservation(
            id=a.id,  # the auction's seq: no claim has it, so it never collides with one
            offer_id=a.id,
            user_id=winner.id,
            units=1,
            price=a.price,
            currency=a.product.currency,
            expires_at=Millis(ts + s.reservation_seconds * 1000),
            affiliate_id=a.refs.get(winner.id) or a.affiliate_id,
            key=f"auction:{a.id}",
            name=winner.name,
        )
        a.reservation_id = r.id
        view = e.ReservationView(
            id=r.id, offer_id=a.id, product_id=a.product.id, user_id=r.user_id, units=1, price=r.price, currency=r.currency,
            expires_at=r.expires_at, affiliate_id=r.affiliate_id, key=r.key, auction_id=a.id,
        )  # fmt: skip
        events += commerce.reserve(s, r, view)
    ended = ae.AuctionEnded(auction_id=a.id, reason=reason, winner=winner, price=a.price if winner else 0, bids=a.bids, reservation_id=a.reservation_id)
    return [ended, *events]


# --- checks ----------------------------------------------------------------------------


def check_start(s: RoomState, entry: c.Entry, cmd: c.AuctionStart) -> Rejection | None:
    if not 0 <= cmd.start_price <= MAX_PRICE:
        return Rejection(Code.INVALID, f"start_price must be 0..{MAX_PRICE} minor units")
    if not 1 <= cmd.increment <= MAX_PRICE:
        return Rejection(Code.INVALID, f"increment must be 1..{MAX_PRICE} minor units")
    if not 1 <= cmd.duration_seconds <= MAX_OFFER_SECONDS:
        return Rejection(Code.INVALID, f"duration_seconds must be 1..{MAX_OFFER_SECONDS}")
    if not cmd.sudden_death and not 1 <= cmd.extend_seconds <= MAX_EXTEND_SECONDS:
        return Rejection(Code.INVALID, f"extend_seconds must be 1..{MAX_EXTEND_SECONDS} (or sudden_death)")
    if not 0 <= cmd.early_access_seconds <= MAX_OFFER_SECONDS:
        return Rejection(Code.INVALID, f"early_access_seconds must be 0..{MAX_OFFER_SECONDS}")
    if cmd.starts_at is not None and not entry.ts - MAX_SCHEDULE_MS <= cmd.starts_at <= entry.ts + MAX_SCHEDULE_MS:
        return Rejection(Code.INVALID, f"an auction starts within {MAX_SCHEDULE_MS // 86_400_000} days")
    if sum(not a.ended for a in s.auctions.values()) >= MAX_OPEN_AUCTIONS:
        return Rejection(Code.LIMIT_REACHED, f"at most {MAX_OPEN_AUCTIONS} auctions at once; let one end first")
    return None


def check_cancel(s: RoomState, entry: c.Entry, cmd: c.AuctionCancel) -> Rejection | None:
    a = _auction(s, cmd.auction_id)
    if isinstance(a, Rejection):
        return a
    return Rejection(Code.ENDED, "the auction has ended") if a.ended else None


def _amounts(a: Auction, cmd: c.AuctionBid) -> tuple[int, int]:
    """(the bid shown, the bidder's maximum) a bid asks for."""
    amount = cmd.amount if cmd.amount is not None else minimum_bid(a)
    return amount, cmd.max if cmd.max is not None else amount  # the check holds max >= amount for others


def check_bid(s: RoomState, entry: c.Entry, cmd: c.AuctionBid) -> Rejection | None:
    uid = entry.actor.user_id
    a = _auction(s, cmd.auction_id)
    if isinstance(a, Rejection):
        return a
    if (first := a.keys.get(f"{uid}|{cmd.key}")) is not None:
        if first != f"{cmd.amount}|{cmd.max}":
            return Rejection(Code.KEY_REUSED, "this idempotency key was used for a different bid")
        return None  # a retry: the fold answers with the bidder's standing
    if not 1 <= len(cmd.key) <= MAX_KEY:
        return Rejection(Code.INVALID, f"key must be 1..{MAX_KEY} characters")
    if entry.actor.role not in BIDDERS:
        return Rejection(Code.FORBIDDEN, "the room's staff and affiliates may not bid")
    if uid in s.banned:
        return Rejection(Code.BANNED, "you are banned from this room")
    if a.ended:
        return Rejection(Code.ENDED, "the auction has ended")
    return _check_timing(a, entry) or _check_amounts(a, uid, cmd)


def _check_timing(a: Auction, entry: c.Entry) -> Rejection | None:
    """Members-only auctions, and early access: members may bid from ``early_access_at``."""
    ts, member = entry.ts, entry.actor.tier is not None
    if a.members_only and not member:
        return Rejection(Code.MEMBERS_ONLY, "this auction is for members")
    if ts < a.starts_at:
        if ts >= a.early_access_at and not member:
            return Rejection(Code.MEMBERS_ONLY, "members only until the public start", retry_after_ms=a.starts_at - ts)
        if ts < a.early_access_at or not member:
            return Rejection(Code.NOT_STARTED, "the auction has not started", retry_after_ms=(a.early_access_at if member else a.starts_at) - ts)
    return None


def _check_amounts(a: Auction, uid: UserId, cmd: c.AuctionBid) -> Rejection | None:
    if (cmd.amount is not None and not 1 <= cmd.amount <= MAX_PRICE) or (cmd.max is not None and not 1 <= cmd.max <= MAX_PRICE):
        return Rejection(Code.INVALID, f"amount and max must be 1..{MAX_PRICE} minor units")
    if cmd.max is not None and cmd.amount is not None and cmd.max < cmd.amount:
        return Rejection(Code.INVALID, "max must be at least amount")
    amount, top = _amounts(a, cmd)
    if max(amount, top) > MAX_PRICE:  # a default bid is the price plus an increment: it may pass the cap
        return Rejection(Code.INVALID, f"a bid may be at most {MAX_PRICE} minor units")
    if a.leader == uid:  # may only raise their maximum: nobody bids against themselves
        if cmd.max is None or top <= a.maxes[uid]:
            return Rejection(Code.LEADING, "you are the highest bidder; only a higher maximum changes your bid")
        return None
    if amount < (least := minimum_bid(a)) or (cmd.max is not None and cmd.max < least):
        return Rejection(Code.BID_TOO_LOW, f"the next bid must be at least {least}")
    return None


# --- applies ---------------------------------------------------------------------------


def apply_start(s: RoomState, entry: c.Entry, cmd: c.AuctionStart) -> Applied:
    starts = Millis(max(entry.ts, cmd.starts_at or entry.ts))
    a = Auction(
        id=entry.seq,
        product=cmd.product,
        start_price=cmd.start_price,
        increment=cmd.increment,
        starts_at=starts,
        ends_at=Millis(starts + cmd.duration_seconds * 1000),
        early_access_at=Millis(starts - cmd.early_access_seconds * 1000),
        extend_seconds=0 if cmd.sudden_death else cmd.extend_seconds,
        members_only=cmd.members_only,
        affiliate_id=entry.actor.user_id if entry.actor.role is Role.AFFILIATE else None,
    )
    s.auctions[a.id] = a
    events: list[e.Event] = [ae.AuctionCreated(auction=a.view())]
    events += advance(s, entry.ts)  # one that starts now starts with this entry
    return events, {"auction_id": a.id}


def apply_cancel(s: RoomState, entry: c.Entry, cmd: c.AuctionCancel) -> Applied:
    return _finish(s, s.auctions[cmd.auction_id], EndReason.HOST, entry.ts), {}


def apply_bid(s: RoomState, entry: c.Entry, cmd: c.AuctionBid) -> Applied:
    uid, a = entry.actor.user_id, s.auctions[cmd.auction_id]
    if f"{uid}|{cmd.key}" in a.keys:
        return [], standing(a, uid) | {"repeated": True}
    a.keys[f"{uid}|{cmd.key}"] = f"{cmd.amount}|{cmd.max}"
    amount, top = _amounts(a, cmd)
    a.names[uid] = entry.actor.name
    if entry.actor.ref:
        a.refs[uid] = entry.actor.ref
    a.maxes[uid] = max(a.maxes.get(uid, 0), top)
    if a.leader == uid:
        return [], standing(a, uid) | {"repeated": False}  # a higher maximum, privately
    before, top = a.leader, a.maxes[uid]
    if before is None or top > a.maxes[before]:
        a.price = amount if before is None else max(amount, min(top, a.maxes[before] + a.increment))
        a.leader, leader, outbid = uid, uid, before
    else:  # the leader's maximum answers at once, one increment above (never past it)
        a.price = max(a.price, min(a.maxes[before], top + a.increment))
        leader, outbid = before, uid
    a.bids += 1
    events: list[e.Event] = []
    if a.extend_seconds and a.ends_at - entry.ts < a.extend_seconds * 1000:
        a.ends_at = Millis(entry.ts + a.extend_seconds * 1000)
        events.append(ae.AuctionExtended(auction_id=a.id, ends_at=a.ends_at))
    lead = ae.Bidder(id=leader, name=a.names[leader])
    events.insert(0, ae.BidPlaced(auction_id=a.id, price=a.price, leader=lead, bids=a.bids, ends_at=a.ends_at, outbid=outbid))
    if outbid is not None:
        events.append(ae.Outbid(auction_id=a.id, user_id=outbid, price=a.price, minimum_bid=minimum_bid(a), ends_at=a.ends_at))
    return events, standing(a, uid) | {"repeated": False}
