"""The wire schema: every client message type round-trips in both encodings."""

import dataclasses
import typing

import msgpack
import orjson
import pytest

from live.errors import ProtocolError, TooLarge, UnknownType
from live.log import serde
from live.wire import client as p
from live.wire import codec
from live.wire.codec import Format
from live.wire.server import EventMessage, Presence, Reply
from rooms import commands as c
from rooms import events as e
from rooms import shop_commands as sc
from rooms.roles import Role
from rooms.types import UserId
from rooms.verdicts import Outcome, Verdict

SAMPLES = [
    p.Hello(token="t", since=4, epoch="ep"),
    p.Ping(),
    p.React(kind="heart"),
    p.PostChat(text="hi", reply_to=3),
    c.ChatDelete(message_id=3),
    c.ChatPin(message_id=3),
    c.ChatUnpin(),
    c.ModTimeout(user_id="u", seconds=30),
    c.ModBan(user_id="u"),
    c.ModUnban(user_id="u"),
    c.ModUntimeout(user_id="u"),
    c.ModAppoint(user_id="u"),
    c.ModDismiss(user_id="u"),
    c.ModSlowMode(seconds=5),
    p.PinProduct(product_id="sku-1", highlight="Only today"),
    p.CreateOffer(product_id="sku-1", units=100, price=9900, per_buyer_limit=2, duration_seconds=60),
    c.ProductUnpin(product_id="sku-1"),
    c.OfferEnd(offer_id=7),
    c.OfferClaim(offer_id=7, units=2, key="k-1"),
    c.OrderCancel(reservation_id=9),
    c.ChatMembersOnly(enabled=True),
    c.PollCreate(question="Which colour?", options=["black", "white"], multiple=False, duration_seconds=60),
    c.PollVote(poll_id=4, options=[1]),
    c.PollClose(poll_id=4),
    c.QuestionAsk(text="Does it run small?"),
    c.QuestionUpvote(question_id=5),
    c.QuestionAnswer(question_id=5),
    c.QuestionHighlight(question_id=5),
    c.GiveawayStart(title="Free tee", winners=2, eligibility=c.Eligibility(members_only=True, voted_in_poll=4)),
    c.GiveawayEnter(giveaway_id=6),
    c.GiveawayDraw(giveaway_id=6),
    c.ChatReport(message_id=3, reason="spam"),
    c.ModApprove(message_id=3),
    c.ModReject(message_id=3, reason="off topic"),
    c.ModShadowMute(user_id="u", reason="flooding"),
    c.ModShadowUnmute(user_id="u"),
    c.ModReportThreshold(reports=5),
    c.RulesAccept(),
    p.StartAuction(product_id="sku-1", start_price=100_000, increment=5_000, duration_seconds=30, extend_seconds=10),
    p.MyBids(),
    c.AuctionBid(auction_id=8, amount=150_000, max=300_000, key="b-1"),
    c.AuctionCancel(auction_id=8),
    c.CommentClaims(enabled=True, claim_words=["sikat"], bid_words=None),
    p.SpotlightReview(review_id=4),
    sc.ReviewUnspotlight(),
    sc.CohostInvite(user_id=UserId("carla")),
    sc.CohostAccept(),
    sc.CohostRemove(user_id=UserId("carla")),
]


def test_every_client_message_type_has_a_sample() -> None:
    assert {type(s) for s in SAMPLES} == set(p.ClientMessage.__args__)  # type: ignore[attr-defined]


def test_no_client_message_has_a_field_named_id() -> None:
    """The codec validates a JSON frame as it came: its request "id" must bind to no field."""
    assert not [t.__name__ for t in p.ClientMessage.__args__ if "id" in {f.name for f in dataclasses.fields(t)}]  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.type)
def test_client_messages_round_trip(fmt: Format, sample: object) -> None:
    wire = {"id": "req-1", **dataclasses.asdict(sample)}  # type: ignore[call-overload]
    data = orjson.dumps(wire).decode() if fmt is Format.JSON else msgpack.packb(wire)
    assert codec.decode(fmt, data, 8192) == ("req-1", sample)


def test_events_are_the_same_in_both_encodings() -> None:
    user = e.UserRef(id="u", name="Ü", role=Role.VIEWER, tier="gold")
    msg = e.Message(id=7, user=user, text="héllo <b>", ts=5, reply_to=None)
    entry = c.Entry(seq=7, ts=5, actor=c.Actor(user_id="u", name="Ü", role=Role.VIEWER), command=c.ChatPost(text="x"))
    for event in [
        e.ChatMessage(message=msg),
        e.ChatDeleted(message_id=7, by="u"),
        e.ChatPinned(message=msg),
        e.ChatUnpinned(message_id=7),
        e.UserTimedOut(user_id="u", until=9),
        e.UserBanned(user_id="u"),
        e.UserUnbanned(user_id="u"),
        e.SlowModeChanged(seconds=3),
        e.RoomStatusChanged(status="live"),
    ]:
        m = EventMessage(entry.seq, entry.ts, event)
        as_json = orjson.loads(codec.frame(Format.JSON, [codec.encode(Format.JSON, m)]))
        as_mp = msgpack.unpackb(codec.frame(Format.MSGPACK, [codec.encode(Format.MSGPACK, m)]))
        fields = orjson.loads(orjson.dumps(dataclasses.asdict(event)))
        assert as_json == as_mp == [{"type": event.type, "seq": 7, "ts": 5, **fields}]


def test_batched_frame_is_an_array_of_the_encoded_messages() -> None:
    items = [Presence(i) for i in range(3)]
    for fmt in Format:
        data = codec.frame(fmt, [codec.encode(fmt, i) for i in items])
        assert (orjson.loads(data) if fmt is Format.JSON else msgpack.unpackb(data)) == [{"type": "presence", "viewers": i} for i in range(3)]


def test_replies_leave_out_what_they_do_not_carry() -> None:
    for fmt in Format:
        decoded = [
            orjson.loads(d) if fmt is Format.JSON else msgpack.unpackb(d)
            for d in (codec.encode(fmt, Reply.success(1)), codec.encode(fmt, Reply.failure("a", "sold_out", "gone", 50)), codec.encode(fmt, Reply.failure("b", "banned", "no")))
        ]
        assert decoded == [
            {"type": "reply", "id": 1, "ok": True, "result": {}},
            {"type": "reply", "id": "a", "ok": False, "error": {"code": "sold_out", "message": "gone", "retry_after_ms": 50}},
            {"type": "reply", "id": "b", "ok": False, "error": {"code": "banned", "message": "no"}},
        ]


@pytest.mark.parametrize(
    ("data", "error", "rid"),
    [
        (b"{", ProtocolError, None),
        (b"[]", ProtocolError, None),
        (b'{"type":"chat.post","text":"no id"}', ProtocolError, None),
        (b'{"type":"chat.post","id":true,"text":"bool id"}', ProtocolError, None),
        (b'{"type":"warp","id":"a"}', UnknownType, "a"),
        (b'{"type":"chat.post","id":"b","text":5}', ProtocolError, "b"),
        (b'{"type":"mod.timeout","id":"c","user_id":"u","seconds":"soon"}', ProtocolError, "c"),
        (b'{"type":"chat.post","id":"d","text":"' + b"x" * 9000 + b'"}', TooLarge, None),
        (b'{"type":["chat.post"],"id":"e","text":"a list"}', UnknownType, "e"),
        (b'{"type":"offer.claim","id":"f","offer_id":"4","units":1,"key":"k"}', ProtocolError, "f"),
        (b'{"type":"offer.claim","id":"g","offer_id":4,"units":true,"key":"k"}', ProtocolError, "g"),
        (b'{"type":"poll.vote","id":"h","poll_id":9,"options":[0.0]}', ProtocolError, "h"),
    ],
)
def test_invalid_frames_raise_named_errors(data: bytes, error: type[ProtocolError], rid: object) -> None:
    with pytest.raises(error) as raised:
        codec.decode(Format.JSON, data.decode(), 8192)
    assert type(raised.value) is error and raised.value.request_id == rid


LOGGED = [m for m in SAMPLES if isinstance(m, typing.get_args(c.Command))] + [
    c.RoomCreate(title="Show", host_id="h", brand_id="acme"),
    c.ChatPost(text="keep 2", verdict=Verdict(outcome=Outcome.HOLD, reasons=("link",), score=0.5)),
    c.ProductPin(product=c.Product(id="p", sku="S", title="T", price=1, currency="IDR"), highlight="new"),
]


@pytest.mark.parametrize("command", LOGGED, ids=lambda m: m.type)
def test_log_entries_round_trip_as_json(command: c.Command) -> None:
    """Every command the log holds comes back from the bus and from SQL as it went in."""
    actor = c.Actor(user_id="u", name="n", role=Role.MODERATOR, tier="gold", badges=("first",))
    entry = c.Entry(seq=3, ts=9, actor=actor, command=command, origin="node:1")
    assert serde.entry_from_dict(orjson.loads(orjson.dumps(serde.entry_to_dict(entry)))) == entry
    assert serde.entry_from_dict(orjson.loads(serde.entry_body(actor, command, "node:1")) | {"seq": 3, "ts": 9}) == entry


@pytest.mark.parametrize("fmt", list(Format))
def test_integers_beyond_what_json_clients_hold_are_refused_with_the_request_id(fmt: Format) -> None:
    for wire in ({"type": "offer.create", "id": "big", "product_id": "tee", "units": 1, "starts_in_seconds": 2**53}, {"type": "poll.vote", "id": "big", "poll_id": 1, "options": [-(2**60)]}):
        data = orjson.dumps(wire).decode() if fmt is Format.JSON else msgpack.packb(wire)
        with pytest.raises(ProtocolError) as raised:
            codec.decode(fmt, data, 8192)
        assert raised.value.request_id == "big" and "integers" in raised.value.message
    with pytest.raises(ProtocolError):
        codec.decode(Format.JSON, orjson.dumps({"type": "ping", "id": 2**53}).decode(), 8192)


def test_messagepack_bytes_are_no_text_and_json_comes_in_text_frames() -> None:
    with pytest.raises(ProtocolError) as raised:
        codec.decode(Format.MSGPACK, msgpack.packb({"type": "chat.post", "id": "m", "text": b"bytes"}), 8192)
    assert raised.value.request_id == "m"
    with pytest.raises(ProtocolError, match="text frames"):
        codec.decode(Format.JSON, b'{"type": "ping", "id": 1}', 8192)
