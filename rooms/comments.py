"""Comment-to-claim: a chat line like "keep 2", "ambil 2", "mau 1" claims, "bid 150k" bids.

Two halves, both pure. ``parse`` reads a message's text with the room's words (the
built-in English and Indonesian ones plus the room's own) and the edge puts the
``Intent`` it finds into the ``chat.post`` command. ``act`` is the fold's half: with
the message accepted, it picks the running offer or auction (by the product id or SKU
the comment names, or the only one running) and runs the very check and apply of a
button claim or bid (``commerce.check_claim`` / ``auctions.check_bid``), with the
idempotency key ``chat:<message id>``, so limits, stock and bans hold whichever way a
viewer buys, and a re-fold decides the same. What it did follows the message as a
``chat.claim`` event. Only whole short messages count: "I'd keep 2 if it were blue" is chat.
"""

import functools
import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from rooms import auction_events as ae
from rooms import auctions, commerce
from rooms import commands as c
from rooms.errors import Code, Rejection
from rooms.events import Event
from rooms.intents import Intent
from rooms.roles import Role
from rooms.rules import Applied
from rooms.state import Auction, Offer, RoomState

CLAIM_WORDS = ("keep", "claim", "take", "want", "buy", "ambil", "mau", "beli", "pesan", "order", "book")
BID_WORDS = ("bid", "tawar")
MAX_ROOM_WORDS = 20
MAX_UNITS = 99  # in one comment
_WORD = re.compile(r"^[^\W\d_]{2,20}$")  # letters only, any script
_CODE = r"#?(?P<code>[a-z0-9][a-z0-9_.:-]{0,63})"
_NUMBER = r"(?P<num>\d[\d.,]{0,24})"
_SCALE = {"k": 1000, "rb": 1000, "ribu": 1000, "jt": 1_000_000, "juta": 1_000_000}
# ISO 4217 currencies without minor units, and IDR, which this server keeps in whole rupiah.
_ZERO_DECIMALS = frozenset(["BIF", "CLP", "DJF", "GNF", "IDR", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"])

Acted = tuple[list[Event], dict[str, Any]]  # a chat line's claim or bid: its events and its part of the reply


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@functools.lru_cache(maxsize=256)
def _patterns(claim_words: tuple[str, ...], bid_words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """A room's three patterns, built once per set of words (they sit on every chat line's path)."""
    words = _alternatives((*BID_WORDS, *bid_words))
    return (
        re.compile(rf"^(?:{_alternatives((*CLAIM_WORDS, *claim_words))})(?:\s*x?\s*(?P<n>\d{{1,2}}))?(?:\s*(?:pcs|pc|buah|x))?(?:\s+{_CODE})?$"),
        re.compile(rf"^(?P<word>(?:{words})\s*)?(?:rp\.?\s*|\$\s*)?{_NUMBER}\s*(?P<scale>k|rb|ribu|jt|juta)?(?:\s+{_CODE})?$"),
        re.compile(rf"^(?:{words})(?:\s+{_CODE})?$"),
    )


def parse(text: str, claim_words: list[str] | tuple[str, ...] = (), bid_words: list[str] | tuple[str, ...] = ()) -> Intent | None:
    """The claim or bid a whole message asks for, or None when it is just chat."""
    t = " ".join(text.lower().split()).rstrip("!. ")
    if not t or len(t) > 80:
        return None
    claim, bid, bare_bid = _patterns(tuple(claim_words), tuple(bid_words))
    if m := claim.match(t):
        units = int(m["n"]) if m["n"] else 1
        return Intent(kind="claim", units=units, code=m["code"]) if 1 <= units <= MAX_UNITS else None
    if (m := bid.match(t)) and (m["word"] or m["scale"]):  # a bare number is chat, "150rb" a bid
        amount = _amount(m["num"], m["scale"])
        return Intent(kind="bid", amount=amount, code=m["code"]) if amount is not None else None
    if m := bare_bid.match(t):
        return Intent(kind="bid", code=m["code"])  # "bid": the minimum next bid
    return None


def _amount(num: str, scale: str | None) -> str | None:
    """ "150.000" and "150,000" are thousands, "1,5" and "12.50" decimals (as Indonesians and others write)."""
    groups = re.split(r"[.,]", num)
    if any(not g for g in groups):
        return None
    decimals = len(groups) > 1 and len(groups[-1]) <= 2  # else every separator groups thousands
    digits = "".join(groups[:-1]) + "." + groups[-1] if decimals else "".join(groups)
    try:
        value = Decimal(digits) * _SCALE.get(scale or "", 1)
    except InvalidOperation:
        return None
    return format(value.normalize(), "f") if 0 < value < 10**16 else None


def to_minor(amount: str, currency: str) -> int | None:
    """Major units (a decimal string) in the currency's minor units; None if it does not divide."""
    value = Decimal(amount) * (1 if currency.upper() in _ZERO_DECIMALS else 100)
    return int(value) if value == value.to_integral_value() else None


# --- the fold's half ---------------------------------------------------------------------


def _pick(ts: int, lots: list[Offer] | list[Auction], code: str | None) -> Offer | Auction | Rejection | None:
    """The running offer or auction a comment means: named by product id or SKU, or the only one.
    None: the message is only chat (nothing runs, or it names nothing that does)."""
    running = [lot for lot in lots if not lot.ended and ts >= lot.early_access_at]
    if not running:
        return None  # nothing to claim or bid on: the message is only chat
    if code is not None:
        named = [lot for lot in running if code in (lot.product.id.lower(), lot.product.sku.lower())]
        return named[0] if named else None  # "keep going" is chat, not a claim of "going"
    if len(running) > 1:
        return Rejection(Code.INVALID, "several are on sale: name the product's code")
    return running[0]


def act(s: RoomState, entry: c.Entry, cmd: c.ChatPost) -> Acted:
    """A posted message's claim or bid, when it asks for one and the room allows it."""
    intent = cmd.intent
    if intent is None or not s.comment_claims or entry.actor.role is not Role.VIEWER:
        return [], {}  # staff, brands and affiliates say "keep 2" to the room, not to the checkout
    lots = list(s.offers.values()) if intent.kind == "claim" else list(s.auctions.values())
    target = _pick(entry.ts, lots, intent.code)
    if target is None:
        return [], {}
    note = ae.ChatClaim(message_id=entry.seq, user_id=entry.actor.user_id, kind=intent.kind, target_id=None, ok=False)
    key = f"chat:{entry.seq}"
    if isinstance(target, Rejection):
        return _refused(note, target)
    if isinstance(target, Offer):
        claim = c.OfferClaim(offer_id=target.id, units=intent.units, key=key)
        note = replace(note, target_id=target.id, units=intent.units)
        if rejection := commerce.check_claim(s, entry, claim):
            return _refused(note, rejection)
        events, result = commerce.apply_claim(s, entry, claim)
        if isinstance(result, Rejection):
            return _refused(note, result)
        return [replace(note, ok=True, reservation_id=result["reservation_id"]), *events], {"claim": result}
    amount = to_minor(intent.amount, target.product.currency) if intent.amount is not None else auctions.minimum_bid(target)
    note = replace(note, target_id=target.id, amount=amount)
    if amount is None:
        return _refused(note, Rejection(Code.INVALID, f"that amount does not fit {target.product.currency}"))
    bid = c.AuctionBid(auction_id=target.id, amount=amount, key=key)
    if rejection := auctions.check_bid(s, entry, bid):
        return _refused(note, rejection)
    events, result = auctions.apply_bid(s, entry, bid)
    if isinstance(result, Rejection):
        return _refused(note, result)
    return [replace(note, ok=True), *events], {"bid": result}


def _refused(note: ae.ChatClaim, why: Rejection) -> Acted:
    """The message stands; what it asked for did not happen (its author's reply says why)."""
    error = {"code": why.code.value, "message": why.message}
    return [replace(note, code=why.code.value)], {note.kind: {"ok": False, "error": error}}


# --- the room's setting ------------------------------------------------------------------


def check_settings(s: RoomState, entry: c.Entry, cmd: c.CommentClaims) -> Rejection | None:
    for words in (cmd.claim_words, cmd.bid_words):
        if words is not None and (len(words) > MAX_ROOM_WORDS or not all(_WORD.match(w) for w in words)):
            return Rejection(Code.INVALID, f"at most {MAX_ROOM_WORDS} words, each 2..20 letters")
    return None


def apply_settings(s: RoomState, entry: c.Entry, cmd: c.CommentClaims) -> Applied:
    s.comment_claims = cmd.enabled
    if cmd.claim_words is not None:
        s.claim_words = sorted({w.lower() for w in cmd.claim_words})
    if cmd.bid_words is not None:
        s.bid_words = sorted({w.lower() for w in cmd.bid_words})
    changed = ae.CommentClaimsChanged(enabled=s.comment_claims, claim_words=s.claim_words, bid_words=s.bid_words)
    return [changed], {}
