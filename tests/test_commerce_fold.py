"""Commerce in the fold, pure: offers never oversell, limits hold, keys never reserve twice."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import commands as c
from rooms import events as e
from rooms.commerce import MAX_PRICE
from rooms.errors import Code, Rejection
from rooms.fold import Accepted, fold
from rooms.roles import Role
from rooms.state import RoomState
from rooms.types import Millis, RoomId, Seq, UserId

PRODUCT = c.Product(id="tee", sku="TEE-1", title="Tee", price=150_000, currency="IDR")
HOST = c.Actor(user_id=UserId("host"), name="Host", role=Role.HOST)
BRAND = c.Actor(user_id=UserId("acme"), name="Acme", role=Role.BRAND)
SYSTEM = c.Actor(user_id=UserId("system"), name="system", role=Role.SYSTEM)
BUYERS = [c.Actor(user_id=UserId(f"b{i}"), name=f"B{i}", role=Role.VIEWER, tier="gold" if i % 2 else None, ref="aff1" if i % 3 == 0 else None) for i in range(6)]


class Room:
    def __init__(self, *, units: int = 10, limit: int = 2, reservation_seconds: int = 60, **offer: object) -> None:
        self.state = RoomState(RoomId("r"))
        self.ts = 1_000_000
        self.events: list[e.Event] = []
        self.run(HOST, c.RoomCreate(title="Sale", host_id=UserId("host"), reservation_seconds=reservation_seconds))
        self.run(HOST, c.RoomGoLive())
        created = self.run(HOST, c.OfferCreate(product=PRODUCT, price=99_000, units=units, per_buyer_limit=limit, duration_seconds=600, **offer))  # type: ignore[arg-type]
        assert isinstance(created, Accepted), created
        self.offer_id = created.result["offer_id"]

    def run(self, actor: c.Actor, command: c.Command, dt: int = 0) -> Accepted | Rejection:
        self.ts += dt
        _, evs, outcome = fold(self.state, c.Entry(seq=Seq(self.state.seq + 1), ts=Millis(self.ts), actor=actor, command=command))
        self.events += evs
        return outcome


actions = st.lists(
    st.tuples(
        st.sampled_from(["claim", "claim", "claim", "retry", "confirm", "cancel", "tick"]),
        st.integers(0, len(BUYERS) - 1),
        st.integers(1, 3),
        st.integers(0, 40_000),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(actions, st.integers(1, 12), st.integers(1, 3))
def test_never_oversells_limits_hold_keys_reserve_once(steps: list[tuple[str, int, int, int]], units: int, limit: int) -> None:
    room = Room(units=units, limit=min(limit, units))
    offer = room.state.offers[room.offer_id]
    keys: dict[int, list[str]] = {i: [] for i in range(len(BUYERS))}
    for n, (action, who, amount, dt) in enumerate(steps):
        buyer = BUYERS[who]
        if action == "claim" or (action == "retry" and not keys[who]):
            keys[who].append(f"k{n}")
            room.run(buyer, c.OfferClaim(offer_id=room.offer_id, units=amount, key=keys[who][-1]), dt)
        elif action == "retry":
            room.run(buyer, c.OfferClaim(offer_id=room.offer_id, units=amount, key=keys[who][-1]), dt)
        elif action in ("confirm", "cancel") and room.state.reservations:
            rid = sorted(room.state.reservations)[who % len(room.state.reservations)]
            room.run(BRAND if action == "confirm" else buyer, c.OrderConfirm(reservation_id=rid) if action == "confirm" else c.OrderCancel(reservation_id=rid), dt)
        else:
            room.run(SYSTEM, c.RoomTick(), dt)
        live = [r for r in room.state.reservations.values() if r.status in ("reserved", "paid")]
        assert offer.reserved + offer.paid <= offer.units, "never more than the offer has"
        assert offer.reserved == sum(r.units for r in live if r.status == "reserved")
        assert offer.paid == sum(r.units for r in live if r.status == "paid")
        for b in BUYERS:
            assert sum(r.units for r in live if r.user_id == b.user_id) <= offer.per_buyer_limit
        per_key = [(r.user_id, r.key) for r in room.state.reservations.values()]
        assert len(per_key) == len(set(per_key)), "a key reserves at most once"
    # Every stock event tells the truth at its point, and the last one is the final state.
    stock = [ev for ev in room.events if isinstance(ev, e.OfferStock)]
    if stock:
        assert (stock[-1].available, stock[-1].reserved, stock[-1].paid) == (offer.available, offer.reserved, offer.paid)


def test_claim_rules_and_stable_codes() -> None:
    room = Room(units=3, limit=2, reservation_seconds=60)
    a, b, member = BUYERS[0], BUYERS[2], BUYERS[1]
    first = room.run(a, c.OfferClaim(offer_id=room.offer_id, units=2, key="x"))
    assert isinstance(first, Accepted) and first.result["units"] == 2 and first.result["repeated"] is False
    again = room.run(a, c.OfferClaim(offer_id=room.offer_id, units=2, key="x"))
    assert isinstance(again, Accepted) and again.result["reservation_id"] == first.result["reservation_id"] and again.result["repeated"]
    reused = room.run(a, c.OfferClaim(offer_id=room.offer_id, units=1, key="x"))
    assert isinstance(reused, Rejection) and reused.code is Code.KEY_REUSED
    over = room.run(a, c.OfferClaim(offer_id=room.offer_id, units=1, key="y"))
    assert isinstance(over, Rejection) and over.code is Code.LIMIT_REACHED
    short = room.run(b, c.OfferClaim(offer_id=room.offer_id, units=2, key="z"))
    assert isinstance(short, Rejection) and short.code is Code.NOT_ENOUGH_STOCK
    assert isinstance(room.run(b, c.OfferClaim(offer_id=room.offer_id, units=1, key="z")), Accepted)
    sold = room.run(member, c.OfferClaim(offer_id=room.offer_id, units=1, key="m"))
    assert isinstance(sold, Rejection) and sold.code is Code.SOLD_OUT
    assert any(isinstance(ev, e.OfferSoldOut) for ev in room.events)
    # The reservation expires through the log: the next entry after the deadline returns the units.
    room.run(SYSTEM, c.RoomTick(), dt=60_000)
    offer = room.state.offers[room.offer_id]
    assert offer.available == 3 and [r.status for r in room.state.reservations.values()] == ["expired", "expired"]
    expired = [ev for ev in room.events if isinstance(ev, e.OrderChanged)]
    assert [ev.status for ev in expired] == ["expired", "expired"]
    # The referral code rides along to attribution.
    assert room.state.reservations[first.result["reservation_id"]].affiliate_id == "aff1"


def test_offer_timing_members_and_roles() -> None:
    room = Room(units=5, limit=1, starts_at=Millis(1_000_000 + 60_000), early_access_seconds=30, members_only=False)
    viewer, member = BUYERS[0], BUYERS[1]
    early = room.run(viewer, c.OfferClaim(offer_id=room.offer_id, units=1, key="a"))
    assert isinstance(early, Rejection) and early.code is Code.NOT_STARTED and early.retry_after_ms == 60_000
    in_window = room.run(viewer, c.OfferClaim(offer_id=room.offer_id, units=1, key="a"), dt=35_000)
    assert isinstance(in_window, Rejection) and in_window.code is Code.MEMBERS_ONLY
    assert isinstance(room.run(member, c.OfferClaim(offer_id=room.offer_id, units=1, key="m")), Accepted)
    assert isinstance(room.run(viewer, c.OfferClaim(offer_id=room.offer_id, units=1, key="a"), dt=25_000), Accepted)
    assert any(isinstance(ev, e.OfferStarted) for ev in room.events)
    late = room.run(BUYERS[2], c.OfferClaim(offer_id=room.offer_id, units=1, key="late"), dt=600_000)
    assert isinstance(late, Rejection) and late.code is Code.ENDED
    assert [ev.reason for ev in room.events if isinstance(ev, e.OfferEnded)] == ["time"]
    for actor, command in [(viewer, c.OfferCreate(product=PRODUCT, price=1, units=1)), (viewer, c.OrderConfirm(reservation_id=4)), (viewer, c.RoomTick())]:
        denied = room.run(actor, command)
        assert isinstance(denied, Rejection) and denied.code is Code.FORBIDDEN


def test_pinned_products_are_bounded_and_in_the_snapshot() -> None:
    room = Room()
    for i in range(3):
        assert isinstance(room.run(HOST, c.ProductPin(product=c.Product(id=f"p{i}", sku="s", title="t", price=1, currency="USD"))), Accepted)
    full = room.run(HOST, c.ProductPin(product=PRODUCT, highlight="hot"))
    assert isinstance(full, Rejection) and full.code is Code.LIMIT_REACHED
    assert isinstance(room.run(HOST, c.ProductUnpin(product_id="p0")), Accepted)
    assert isinstance(room.run(HOST, c.ProductPin(product=PRODUCT, highlight="hot")), Accepted)
    snap = room.state.snapshot()
    assert [p["product"]["id"] for p in snap["pinned_products"]] == ["p1", "p2", "tee"]
    assert snap["offers"][0]["available"] == 10 and snap["offers"][0]["currency"] == "IDR"


def test_an_offer_price_beyond_the_cap_is_invalid() -> None:
    """The cap keeps what a room adds up (units x price, revenue) inside 64-bit integers."""
    room = Room()
    for price in (MAX_PRICE + 1, 2**53, 10**30, -1):
        refused = room.run(HOST, c.OfferCreate(product=PRODUCT, price=price, units=1))
        assert isinstance(refused, Rejection) and refused.code is Code.INVALID, price
    assert isinstance(room.run(HOST, c.OfferCreate(product=PRODUCT, price=MAX_PRICE, units=1)), Accepted)
    far = Millis(room.ts + 31 * 86_400_000)
    for bad in (c.OfferCreate(product=PRODUCT, price=1, units=1, starts_at=far), c.OfferCreate(product=PRODUCT, price=1, units=1, early_access_seconds=2**40)):
        refused = room.run(HOST, bad)
        assert isinstance(refused, Rejection) and refused.code is Code.INVALID, bad


@settings(max_examples=200, deadline=None)
@given(actions, st.integers(1, 12), st.integers(1, 3), st.integers(1, 90))
def test_skipping_time_rules_until_the_next_deadline_changes_nothing(steps: list[tuple[str, int, int, int]], units: int, limit: int, reservation_seconds: int) -> None:
    """The fold skips the time rules until ``due_at``; a fold that runs them for every
    entry (the bound forgotten each time) must emit exactly the same events and outcomes."""
    fast = Room(units=units, limit=min(limit, units), reservation_seconds=reservation_seconds)
    slow = Room(units=units, limit=min(limit, units), reservation_seconds=reservation_seconds)
    for n, (action, who, amount, dt) in enumerate(steps):
        command: c.Command = c.RoomTick() if action == "tick" else c.OfferClaim(offer_id=fast.offer_id, units=amount, key=f"k{n % 5}")
        actor = SYSTEM if action == "tick" else BUYERS[who]
        if action in ("confirm", "cancel") and fast.state.reservations:
            rid = sorted(fast.state.reservations)[who % len(fast.state.reservations)]
            command, actor = (c.OrderConfirm(reservation_id=rid), BRAND) if action == "confirm" else (c.OrderCancel(reservation_id=rid), BUYERS[who])
        slow.state.due_at = None
        assert fast.run(actor, command, dt * 3) == slow.run(actor, command, dt * 3)
        assert fast.events == slow.events
