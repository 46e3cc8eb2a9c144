"""Auctions and comment-to-claim in the fold, pure: any bid sequence, any timing.

The winner holds the highest maximum (the earlier of equal ones), no bid is accepted
at or after the end, anti-snipe never ends an auction early, the visible price never
passes the leader's maximum, and a re-fold of the same log names the same winner.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import auction_events as ae
from rooms import commands as c
from rooms import events as e
from rooms.comments import parse, to_minor
from rooms.commerce import MAX_PRICE
from rooms.errors import Code, Rejection
from rooms.fold import Accepted, Outcome, fold
from rooms.intents import Intent
from rooms.roles import Role
from rooms.state import RoomState
from rooms.statuses import ReservationStatus
from rooms.types import Millis, RoomId, Seq, UserId

PRODUCT = c.Product(id="bag", sku="BAG-7", title="Batik bag", price=150_000, currency="IDR")
TEE = c.Product(id="tee", sku="TEE-1", title="Tee", price=99_000, currency="IDR")
HOST = c.Actor(user_id=UserId("host"), name="Host", role=Role.HOST)
SYSTEM = c.Actor(user_id=UserId("system"), name="system", role=Role.SYSTEM)
BIDDERS = [c.Actor(user_id=UserId(f"b{i}"), name=f"B{i}", role=Role.VIEWER, tier="gold" if i % 2 else None) for i in range(6)]
START, INC, SECONDS = 100_000, 5_000, 20


class Room:
    def __init__(self, **auction: object) -> None:
        self.state = RoomState(RoomId("r"))
        self.ts = 1_000_000
        self.log: list[c.Entry] = []
        self.events: list[tuple[int, e.Event]] = []
        self.run(HOST, c.RoomCreate(title="Auction night", host_id=UserId("host")))
        self.run(HOST, c.RoomGoLive())
        spec = {"start_price": START, "increment": INC, "duration_seconds": SECONDS} | auction
        started = self.run(HOST, c.AuctionStart(product=PRODUCT, **spec))  # type: ignore[arg-type]
        assert isinstance(started, Accepted), started
        self.auction_id: int = started.result["auction_id"]

    def run(self, actor: c.Actor, command: c.Command, dt: int = 0) -> Outcome:
        self.ts += dt
        entry = c.Entry(seq=Seq(self.state.seq + 1), ts=Millis(self.ts), actor=actor, command=command)
        self.log.append(entry)
        _, evs, outcome = fold(self.state, entry)
        self.events += [(entry.ts, ev) for ev in evs]
        return outcome

    @property
    def auction(self):  # type: ignore[no-untyped-def]
        return self.state.auctions[self.auction_id]

    def ended(self) -> list[ae.AuctionEnded]:
        return [ev for _, ev in self.events if isinstance(ev, ae.AuctionEnded)]


def refold(log: list[c.Entry]) -> tuple[RoomState, list[e.Event]]:
    state, out = RoomState(RoomId("r")), []
    for entry in log:
        _, evs, _ = fold(state, entry)
        out += evs
    return state, out


bids = st.lists(
    st.tuples(
        st.integers(0, len(BIDDERS) - 1),
        st.one_of(st.none(), st.integers(-1, 40).map(lambda k: START + k * INC)),  # amount (None: the minimum next bid)
        st.one_of(st.none(), st.integers(0, 30).map(lambda k: START + k * INC)),  # max (equal ones happen often)
        st.integers(0, 6_000),  # ms since the previous entry
        st.booleans(),  # a tick instead of a bid
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(bids, st.sampled_from([0, 3, 10]))
def test_any_bid_sequence_ends_with_the_highest_maximum_winning(steps: list[tuple[int, int | None, int | None, int, bool]], extend: int) -> None:
    room = Room(extend_seconds=max(extend, 1), sudden_death=extend == 0)
    best: dict[UserId, tuple[int, int]] = {}  # bidder -> (their maximum, when they reached it)
    for n, (who, amount, top, dt, tick) in enumerate(steps):
        a = room.auction
        before_end, was_ended, before_price = a.ends_at, a.ended, a.price
        if tick:
            room.run(SYSTEM, c.RoomTick(), dt)
            continue
        bidder = BIDDERS[who]
        outcome = room.run(bidder, c.AuctionBid(auction_id=room.auction_id, amount=amount, max=top, key=f"k{n}"), dt)
        a = room.auction
        if isinstance(outcome, Accepted):
            assert room.ts < before_end and not was_ended, "no bid is accepted at or after the end"
            assert a.ends_at >= before_end, "the end never moves earlier"
            if extend and a.price != before_price and before_end - room.ts < extend * 1000:
                assert a.ends_at == room.ts + extend * 1000, "a bid in the last N s moves the end to N s after it"
            if extend == 0:
                assert a.ends_at == before_end, "sudden death never extends"
            mine = a.maxes[bidder.user_id]
            if top is not None:
                assert mine <= max(top, best.get(bidder.user_id, (0, 0))[0]), "nobody is bid for past the maximum they gave"
            if mine > best.get(bidder.user_id, (0, 0))[0]:
                best[bidder.user_id] = (mine, n)
        else:
            assert isinstance(outcome, Rejection)
            if room.ts >= before_end:
                assert outcome.code is Code.ENDED
        if a.leader is not None:
            assert a.price <= a.maxes[a.leader], "the visible bid never passes the leader's maximum"
            assert a.price >= START
    room.run(SYSTEM, c.RoomTick(), SECONDS * 1000 + 60_000)
    [ended] = room.ended()
    end_ts = next(ts for ts, ev in room.events if isinstance(ev, ae.AuctionEnded))
    assert end_ts >= room.auction.ends_at, "anti-snipe never ends an auction early"
    if best:
        winner = max(best, key=lambda u: (best[u][0], -best[u][1]))
        assert ended.winner is not None and ended.winner.id == winner
        assert ended.price <= best[winner][0]
        assert room.state.reservations[ended.reservation_id or 0].user_id == winner
    else:
        assert ended.winner is None and ended.reservation_id is None
    state, events = refold(room.log)
    assert events == [ev for _, ev in room.events], "a re-fold emits the same events"
    assert state.auctions[room.auction_id].leader == room.auction.leader


def test_maximum_bids_answer_one_increment_at_a_time_and_stay_private() -> None:
    room = Room()
    a, b = BIDDERS[0], BIDDERS[2]
    first = room.run(a, c.AuctionBid(auction_id=room.auction_id, max=200_000, key="1"))
    assert isinstance(first, Accepted) and first.result | {"leading": True, "price": START, "max": 200_000} == first.result
    second = room.run(b, c.AuctionBid(auction_id=room.auction_id, amount=150_000, key="1"), 1000)
    assert isinstance(second, Accepted) and not second.result["leading"] and second.result["price"] == 155_000
    third = room.run(b, c.AuctionBid(auction_id=room.auction_id, max=400_000, key="2"), 1000)
    assert isinstance(third, Accepted) and third.result["leading"] and third.result["price"] == 205_000
    shown = [ev for _, ev in room.events if isinstance(ev, ae.BidPlaced)]
    assert [(ev.price, ev.leader.id, ev.outbid) for ev in shown] == [(START, "b0", None), (155_000, "b0", "b2"), (205_000, "b2", "b0")]
    assert "400000" not in repr(shown) and "200000" not in repr(shown), "no event carries a maximum"
    # A retry with the same key answers with the standing and changes nothing.
    again = room.run(b, c.AuctionBid(auction_id=room.auction_id, max=400_000, key="2"))
    assert isinstance(again, Accepted) and again.result["repeated"] and room.auction.bids == 3
    assert room.run(b, c.AuctionBid(auction_id=room.auction_id, max=500_000, key="2")) == Rejection(Code.KEY_REUSED, "this idempotency key was used for a different bid")
    low = room.run(a, c.AuctionBid(auction_id=room.auction_id, amount=206_000, key="x"))
    assert isinstance(low, Rejection) and low.code is Code.BID_TOO_LOW


def test_anti_snipe_extends_and_sudden_death_does_not() -> None:
    for sudden in (False, True):
        room = Room(extend_seconds=10, sudden_death=sudden)
        room.run(BIDDERS[0], c.AuctionBid(auction_id=room.auction_id, key="1"), (SECONDS - 3) * 1000)
        assert room.auction.ends_at == (room.ts + 10_000 if not sudden else 1_000_000 + SECONDS * 1000)
        late = room.run(BIDDERS[2], c.AuctionBid(auction_id=room.auction_id, key="1"), 4000)
        assert isinstance(late, Accepted) is (not sudden)
        assert sudden is (late == Rejection(Code.ENDED, "the auction has ended"))


def test_the_winner_checks_out_like_a_claim_and_staff_never_bid() -> None:
    room = Room(members_only=True)
    assert room.run(BIDDERS[0], c.AuctionBid(auction_id=room.auction_id, key="1")) == Rejection(Code.MEMBERS_ONLY, "this auction is for members")
    assert isinstance(room.run(HOST, c.AuctionBid(auction_id=room.auction_id, key="1")), Rejection)
    assert isinstance(room.run(BIDDERS[1], c.AuctionBid(auction_id=room.auction_id, amount=120_000, key="1")), Accepted)
    room.run(SYSTEM, c.RoomTick(), SECONDS * 1000)
    [ended] = room.ended()
    assert ended.winner and ended.winner.id == "b1" and ended.price == 120_000
    [reserved] = [ev for _, ev in room.events if isinstance(ev, e.OrderReserved)]
    assert reserved.reservation.auction_id == room.auction_id and reserved.reservation.price == 120_000
    assert isinstance(room.run(HOST, c.OrderConfirm(reservation_id=reserved.reservation.id)), Accepted)
    assert room.state.reservations[reserved.reservation.id].status is ReservationStatus.PAID


def test_a_cancelled_auction_has_no_winner_and_a_room_end_sells_to_the_leader() -> None:
    room = Room()
    room.run(BIDDERS[0], c.AuctionBid(auction_id=room.auction_id, key="1"))
    room.run(HOST, c.AuctionCancel(auction_id=room.auction_id))
    assert room.ended()[0].winner is None and not room.state.reservations
    room = Room()
    room.run(BIDDERS[0], c.AuctionBid(auction_id=room.auction_id, key="1"))
    room.run(HOST, c.RoomEnd())
    assert room.ended()[0].winner == ae.Bidder(id=UserId("b0"), name="B0")


# --- comment-to-claim -------------------------------------------------------------------


def test_the_parser_reads_english_and_indonesian_and_leaves_chat_alone() -> None:
    claims = {"keep 2": 2, "Ambil 2": 2, "mau 1": 1, "beli 1!": 1, "keep": 1, "KEEP 3 pcs": 3, "ambil x2": 2}
    for text, units in claims.items():
        assert parse(text) == Intent(kind="claim", units=units), text
    assert parse("keep 2 BAG-7") is not None and parse("keep 2 BAG-7").code == "bag-7"  # type: ignore[union-attr]
    for text, amount in {"bid 150k": "150000", "150rb": "150000", "tawar 150000": "150000", "bid Rp150.000": "150000", "bid 1,5jt": "1500000", "bid 12.50": "12.5"}.items():
        intent = parse(text)
        assert intent is not None and intent.kind == "bid" and intent.amount == amount, text
    for chat in ("150000", "hello", "keep it up", "I'd keep 2 if it were blue", "mau tanya dong kak", ""):
        assert parse(chat) is None, chat
    assert parse("sikat 2", claim_words=["sikat"]) is not None and parse("sikat 2") is None
    assert to_minor("150000", "IDR") == 150_000 and to_minor("12.5", "USD") == 1250 and to_minor("12.5", "IDR") is None


def _post(room: Room, actor: c.Actor, text: str, dt: int = 0) -> Outcome:
    return room.run(actor, c.ChatPost(text=text, intent=parse(text, room.state.claim_words, room.state.bid_words)), dt)


def test_comment_bids_and_claims_follow_the_button_rules() -> None:
    room = Room()
    ok = _post(room, BIDDERS[0], "bid 150rb")
    assert isinstance(ok, Accepted) and ok.result["bid"]["price"] == 150_000 and room.auction.leader == "b0"
    low = _post(room, BIDDERS[2], "tawar 151000")
    assert isinstance(low, Accepted) and low.result["bid"]["error"]["code"] == "bid_too_low", "the message stands; the bid does not"
    notes = [ev for _, ev in room.events if isinstance(ev, ae.ChatClaim)]
    assert [(n.ok, n.code, n.amount) for n in notes] == [(True, None, 150_000), (False, "bid_too_low", 151_000)]
    offer = room.run(HOST, c.OfferCreate(product=TEE, price=99_000, units=3, per_buyer_limit=2))
    assert isinstance(offer, Accepted)
    assert _post(room, BIDDERS[0], "ambil 2").result["claim"]["units"] == 2  # type: ignore[union-attr]
    assert _post(room, BIDDERS[0], "keep 1").result["claim"]["error"]["code"] == "limit_reached"  # type: ignore[union-attr]
    button = room.run(BIDDERS[2], c.OfferClaim(offer_id=offer.result["offer_id"], units=2, key="btn"))
    assert isinstance(button, Rejection) and button.code is Code.NOT_ENOUGH_STOCK
    assert "claim" not in _post(room, HOST, "keep 1").result  # type: ignore[union-attr]
    room.run(HOST, c.CommentClaims(enabled=False))
    assert "claim" not in _post(room, BIDDERS[2], "mau 1").result  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 3), st.booleans()), max_size=40), st.integers(1, 8))
def test_comment_and_button_claims_together_never_exceed_stock(steps: list[tuple[int, int, bool]], units: int) -> None:
    room = Room()
    limit = min(3, units)
    offer = room.run(HOST, c.OfferCreate(product=TEE, price=99_000, units=units, per_buyer_limit=limit))
    assert isinstance(offer, Accepted)
    oid = offer.result["offer_id"]
    for n, (who, want, by_comment) in enumerate(steps):
        if by_comment:
            _post(room, BIDDERS[who], f"keep {want}", 10)
        else:
            room.run(BIDDERS[who], c.OfferClaim(offer_id=oid, units=want, key=f"b{n}"), 10)
        o = room.state.offers[oid]
        assert o.reserved + o.paid <= o.units
        for b in BIDDERS:
            assert room.state.held.get(f"{oid}|{b.user_id}", 0) <= limit
    state, _ = refold(room.log)
    assert state.offers[oid].reserved == room.state.offers[oid].reserved


def test_early_access_lets_members_bid_first() -> None:
    room = Room(starts_at=1_000_000 + 60_000, early_access_seconds=30)
    aid = room.auction_id
    assert room.run(BIDDERS[1], c.AuctionBid(auction_id=aid, key="1"), 10_000) == Rejection(Code.NOT_STARTED, "the auction has not started", retry_after_ms=20_000)
    room.run(SYSTEM, c.RoomTick(), 25_000)
    assert isinstance(room.run(BIDDERS[1], c.AuctionBid(auction_id=aid, key="2")), Accepted), "a member in the early-access window"
    early = room.run(BIDDERS[0], c.AuctionBid(auction_id=aid, key="1"))
    assert isinstance(early, Rejection) and early.code is Code.MEMBERS_ONLY and early.retry_after_ms == 25_000
    assert isinstance(room.run(BIDDERS[0], c.AuctionBid(auction_id=aid, key="1"), 25_000), Accepted), "everyone from the public start"


def test_a_comment_names_the_product_when_several_offers_run() -> None:
    room = Room()
    for product in (TEE, c.Product(id="cap", sku="CAP-1", title="Cap", price=50_000, currency="IDR")):
        assert isinstance(room.run(HOST, c.OfferCreate(product=product, price=product.price, units=5, per_buyer_limit=2)), Accepted)
    vague = _post(room, BIDDERS[0], "keep 2")
    assert isinstance(vague, Accepted) and vague.result["claim"]["error"]["code"] == "invalid"
    named = _post(room, BIDDERS[0], "keep 2 CAP-1")
    assert isinstance(named, Accepted) and room.state.reservations[named.result["claim"]["reservation_id"]].offer_id == named.result["claim"]["offer_id"]
    assert room.state.offers[named.result["claim"]["offer_id"]].product.id == "cap"
    assert "claim" not in _post(room, BIDDERS[0], "keep going").result  # type: ignore[union-attr]


def test_increments_never_raise_an_auction_past_the_price_cap() -> None:
    """A hostile start (the cap as start and increment) and default bids: the price stops at
    the cap instead of growing past what SQL and 64-bit JSON hold (it stopped saving before)."""
    room = Room(start_price=MAX_PRICE, increment=MAX_PRICE)
    assert isinstance(room.run(BIDDERS[0], c.AuctionBid(auction_id=room.auction_id, key="1")), Accepted)
    refused = room.run(BIDDERS[1], c.AuctionBid(auction_id=room.auction_id, key="1"))
    assert isinstance(refused, Rejection) and refused.code is Code.INVALID
    assert room.auction.price == MAX_PRICE
    over = room.run(BIDDERS[1], c.AuctionBid(auction_id=room.auction_id, max=MAX_PRICE + 1, key="2"))
    assert isinstance(over, Rejection) and over.code is Code.INVALID
