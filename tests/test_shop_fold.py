"""Checkout, co-hosts and reviews in the fold, pure: private order events reach only their
buyer's id, co-hosts' powers start and end with log entries, summaries ride the log."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import checkout
from rooms import commands as c
from rooms import events as e
from rooms import shop_commands as sc
from rooms import shop_events as se
from rooms.analytics import refold
from rooms.errors import Code, Rejection
from rooms.fold import Accepted, fold
from rooms.roles import Role
from rooms.state import RoomState
from rooms.types import Millis, RoomId, Seq, UserId

PRODUCT = c.Product(id="tee", sku="TEE-1", title="Tee", price=150_000, currency="IDR", image_url="https://img.example/tee.png")
HOST = c.Actor(user_id=UserId("host"), name="Host", role=Role.HOST)
SYSTEM = c.Actor(user_id=UserId("system"), name="system", role=Role.SYSTEM)
BRAND = c.Actor(user_id=UserId("acme"), name="Acme", role=Role.BRAND)
BUYERS = [c.Actor(user_id=UserId(f"b{i}"), name=f"B{i}", role=Role.VIEWER) for i in range(4)]
TEMPLATE = "https://shop.example/checkout?order={order_id}&p={product_id}"


class Room:
    def __init__(self, template: str | None = TEMPLATE, units: int = 5) -> None:
        self.state = RoomState(RoomId("spring drop"))
        self.ts = 1_000_000
        self.entries: list[c.Entry] = []
        self.events: list[e.Event] = []
        self.run(HOST, c.RoomCreate(title="Sale", host_id=UserId("host"), reservation_seconds=60, checkout_url_template=template))
        self.run(HOST, c.RoomGoLive())
        created = self.run(HOST, c.OfferCreate(product=PRODUCT, price=99_000, units=units, per_buyer_limit=units, duration_seconds=600))
        assert isinstance(created, Accepted)
        self.offer_id = created.result["offer_id"]

    def run(self, actor: c.Actor, command: c.Command, dt: int = 0) -> Accepted | Rejection:
        self.ts += dt
        entry = c.Entry(seq=Seq(self.state.seq + 1), ts=Millis(self.ts), actor=actor, command=command)
        self.entries.append(entry)
        _, evs, outcome = fold(self.state, entry)
        self.events += evs
        return outcome

    def private(self) -> list[e.Event]:
        return [ev for ev in self.events if ev.type in e.PRIVATE_TYPES]


def test_a_claim_tells_its_buyer_privately_with_the_link_and_the_countdown() -> None:
    room = Room()
    claim = room.run(BUYERS[1], c.OfferClaim(offer_id=room.offer_id, units=2, key="k1"))
    assert isinstance(claim, Accepted)
    [placed] = room.private()
    assert isinstance(placed, se.OrderPlaced) and placed.user_id == "b1"
    order = placed.order
    assert (order.reservation_id, order.units, order.title, order.status) == (claim.result["reservation_id"], 2, "Tee", "reserved")
    assert order.expires_at == room.ts + 60_000, "the countdown's end"
    assert order.checkout_url == f"https://shop.example/checkout?order=spring%20drop.{order.reservation_id}&p=tee", "the template, its values URL-quoted"
    assert checkout.my_orders(room.state, UserId("b1")) == [order] and checkout.my_orders(room.state, UserId("b2")) == []


def test_the_merchants_link_paid_expired_and_cancelled_reach_the_buyer_only() -> None:
    room = Room(template=None)
    a = room.run(BUYERS[0], c.OfferClaim(offer_id=room.offer_id, key="a"))
    b = room.run(BUYERS[1], c.OfferClaim(offer_id=room.offer_id, key="b"))
    d = room.run(BUYERS[2], c.OfferClaim(offer_id=room.offer_id, key="d"))
    assert isinstance(a, Accepted) and isinstance(b, Accepted) and isinstance(d, Accepted)
    ra, rb, rd = a.result["reservation_id"], b.result["reservation_id"], d.result["reservation_id"]
    assert all(isinstance(p, se.OrderPlaced) and p.order.checkout_url is None for p in room.private())
    link = room.run(SYSTEM, sc.OrderCheckout(reservation_id=ra, checkout_url="https://pay.example/s/1"))
    assert isinstance(link, Accepted)
    assert room.private()[-1] == se.OrderCheckoutReady(user_id=UserId("b0"), reservation_id=ra, checkout_url="https://pay.example/s/1", expires_at=room.state.reservations[ra].expires_at)
    assert room.run(BRAND, sc.OrderCheckout(reservation_id=ra, checkout_url="javascript:alert(1)")) == Rejection(Code.INVALID, checkout.url_problem("javascript:") or "")
    assert room.run(BUYERS[0], sc.OrderCheckout(reservation_id=ra, checkout_url="https://evil.example")).code is Code.FORBIDDEN  # type: ignore[union-attr]
    room.run(BRAND, c.OrderConfirm(reservation_id=ra))
    room.run(BUYERS[1], c.OrderCancel(reservation_id=rb))
    room.run(SYSTEM, c.RoomTick(), dt=61_000)
    tail = room.private()[-3:]
    assert tail == [
        se.OrderPaid(user_id=UserId("b0"), reservation_id=ra),
        se.OrderCancelled(user_id=UserId("b1"), reservation_id=rb, by=UserId("b1")),
        se.OrderExpired(user_id=UserId("b2"), reservation_id=rd),
    ]
    assert room.run(BRAND, sc.OrderCheckout(reservation_id=ra, checkout_url="https://pay.example/s/2")) == Rejection(Code.CONFLICT, "the reservation is paid")
    assert [o.status for o in checkout.my_orders(room.state, UserId("b0"))] == ["paid"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["claim", "confirm", "cancel", "tick", "link"]), st.integers(0, 3), st.integers(0, 30_000)), max_size=40))
def test_every_order_event_has_one_private_twin_for_its_buyer_and_refolds_the_same(steps: list[tuple[str, int, int]]) -> None:
    room = Room(units=6)
    for n, (action, who, dt) in enumerate(steps):
        mine = [r for r in room.state.reservations.values() if r.user_id == BUYERS[who].user_id]
        if action == "claim":
            room.run(BUYERS[who], c.OfferClaim(offer_id=room.offer_id, key=f"k{n}"), dt)
        elif action == "tick":
            room.run(SYSTEM, c.RoomTick(), dt)
        elif mine and action == "confirm":
            room.run(BRAND, c.OrderConfirm(reservation_id=mine[-1].id), dt)
        elif mine and action == "cancel":
            room.run(BUYERS[who], c.OrderCancel(reservation_id=mine[-1].id), dt)
        elif mine and action == "link":
            room.run(SYSTEM, sc.OrderCheckout(reservation_id=mine[-1].id, checkout_url=f"https://pay.example/{n}"), dt)
    public = [ev for ev in room.events if isinstance(ev, e.OrderReserved | e.OrderChanged)]
    private = [ev for ev in room.private() if not isinstance(ev, se.OrderCheckoutReady)]
    assert len(public) == len(private)
    for ev, twin in zip(public, private, strict=True):
        rid = ev.reservation.id if isinstance(ev, e.OrderReserved) else ev.reservation_id
        r = room.state.reservations[rid]
        assert isinstance(twin, se.PRIVATE_ORDER_EVENTS) and twin.user_id == r.user_id, "only its buyer is named"
    again, events = refold(room.state.room_id, room.entries)
    assert [ev for _, evs in events for ev in evs if ev.type in e.PRIVATE_TYPES] == room.private() and again.checkout_urls == room.state.checkout_urls


def test_template_problems_are_found_before_the_server_starts() -> None:
    assert checkout.template_problem(TEMPLATE) is None
    assert "names ['user']" in (checkout.template_problem("https://x.example/{user}") or "")
    assert checkout.template_problem("ftp://x.example/{order_id}") is not None
    assert checkout.template_problem("https://x.example/{order_id") is not None


COHOST = c.Actor(user_id=UserId("carla"), name="Carla", role=Role.VIEWER)  # another host: a viewer here by token
AFFILIATE = c.Actor(user_id=UserId("aff1"), name="Aff", role=Role.AFFILIATE)


def test_a_cohost_gets_host_powers_from_the_accept_until_removed() -> None:
    room = Room()
    poll = c.PollCreate(question="Colour?", options=["Red", "Blue"])
    assert room.run(COHOST, poll) == Rejection(Code.FORBIDDEN, "role viewer may not poll.create")
    assert room.run(COHOST, sc.CohostAccept()).code is Code.NOT_FOUND  # type: ignore[union-attr]
    assert room.run(BUYERS[0], sc.CohostInvite(user_id=UserId("carla"))).code is Code.FORBIDDEN  # type: ignore[union-attr]
    assert isinstance(room.run(HOST, sc.CohostInvite(user_id=UserId("carla"))), Accepted)
    assert room.state.snapshot()["cohost_invites"] == ["carla"]
    assert isinstance(room.run(COHOST, sc.CohostAccept()), Accepted)
    assert room.state.snapshot()["cohosts"] == ["carla"]
    assert isinstance(room.run(COHOST, poll), Accepted)
    assert isinstance(room.run(COHOST, c.ModTimeout(user_id=UserId("b1"), seconds=60)), Accepted)
    posted = room.run(COHOST, c.ChatPost(text="hi all"))
    assert isinstance(posted, Accepted) and room.state.messages[posted.result["message_id"]].user.role is Role.HOST
    # The room's host keeps what is theirs alone; nobody moderates a co-host.
    assert room.run(COHOST, c.RoomEnd()).code is Code.FORBIDDEN  # type: ignore[union-attr]
    assert room.run(COHOST, sc.CohostInvite(user_id=UserId("b2"))).code is Code.FORBIDDEN  # type: ignore[union-attr]
    assert room.run(COHOST, c.ModAppoint(user_id=UserId("b2"))).code is Code.FORBIDDEN  # type: ignore[union-attr]
    room.run(HOST, c.ModAppoint(user_id=UserId("b3")))
    assert room.run(BUYERS[3], c.ModBan(user_id=UserId("carla"))).code is Code.FORBIDDEN  # type: ignore[union-attr]
    assert isinstance(room.run(HOST, sc.CohostRemove(user_id=UserId("carla"))), Accepted)
    assert room.run(COHOST, poll).code is Code.FORBIDDEN  # type: ignore[union-attr]
    again, _ = refold(room.state.room_id, room.entries)
    assert again.cohosts == set() and again.polls.keys() == room.state.polls.keys()


def test_an_affiliate_cohosts_offers_stay_theirs_and_a_cohost_may_step_down() -> None:
    room = Room()
    room.run(HOST, sc.CohostInvite(user_id=UserId("aff1")))
    room.run(AFFILIATE, sc.CohostAccept())
    made = room.run(AFFILIATE, c.OfferCreate(product=PRODUCT, price=90_000, units=3))
    assert isinstance(made, Accepted) and room.state.offers[made.result["offer_id"]].affiliate_id == "aff1"
    room.run(BUYERS[0], c.OfferClaim(offer_id=made.result["offer_id"], key="x"))
    assert room.state.sales["aff1"].reserved_units == 1, "the sale is the affiliate's, in the host's room"
    assert isinstance(room.run(AFFILIATE, c.PollCreate(question="?", options=["a", "b"])), Accepted), "host powers otherwise"
    assert room.run(BUYERS[0], sc.CohostRemove(user_id=UserId("aff1"))).code is Code.FORBIDDEN  # type: ignore[union-attr]
    assert isinstance(room.run(AFFILIATE, sc.CohostRemove(user_id=UserId("aff1"))), Accepted)
    assert room.state.cohosts == set()


REVIEW = sc.ReviewView(id=7, product_id="tee", stars=5, text="Soft!", photo_url=None, author=sc.ReviewAuthor(id="u_1", name="Ana"), created_at=Millis(1))
SUMMARY = sc.ReviewSummary(average=5.0, count=1, stars=[0, 0, 0, 0, 1], newest=[REVIEW], most_helpful=[REVIEW])


def test_pinned_products_carry_their_reviews_and_the_host_spotlights_one() -> None:
    room = Room()
    room.run(HOST, c.ProductPin(product=PRODUCT, reviews=sc.ReviewSummary(average=0, count=0)))
    assert room.state.snapshot()["pinned_products"][0]["reviews"]["count"] == 0
    assert isinstance(room.run(SYSTEM, sc.ProductReviews(product_id="tee", reviews=SUMMARY)), Accepted)
    changed: e.Event = se.ProductReviewsChanged(product_id="tee", reviews=SUMMARY)
    assert room.events[-1] == changed
    assert room.state.snapshot()["pinned_products"][0]["reviews"]["newest"][0]["text"] == "Soft!"
    assert room.run(SYSTEM, sc.ProductReviews(product_id="cap", reviews=SUMMARY)).code is Code.NOT_FOUND  # type: ignore[union-attr]
    assert room.run(BUYERS[0], sc.ReviewSpotlight(review=REVIEW)).code is Code.FORBIDDEN  # type: ignore[union-attr]
    assert isinstance(room.run(HOST, sc.ReviewSpotlight(review=REVIEW)), Accepted)
    assert room.state.snapshot()["spotlight"] == dataclasses.asdict(REVIEW)
    assert isinstance(room.run(HOST, sc.ReviewUnspotlight()), Accepted) and room.events[-1] == se.ReviewUnspotlighted(review_id=7)
    assert room.run(HOST, sc.ReviewUnspotlight()).code is Code.NOT_FOUND  # type: ignore[union-attr]
