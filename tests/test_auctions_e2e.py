"""Auctions and comment-to-claim on three nodes over one Redis, with the merchant's checkout.

500 bidders with private maximums on three nodes: one winner (the highest maximum),
one reservation, one order row and one signed ``order.reserved`` webhook; bids in the
last seconds extend the end; no bid is accepted after the end on any node; chat
claims ("keep 2") and button claims racing on all nodes never exceed the stock.
"""

import asyncio
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import Api, Client, Cluster, LiveServer, RedisServer, bearer, eventually, token
from tests.test_commerce_e2e import WEBHOOK_SECRET, Receiver

BIDDERS = 500
START, INC = 100_000, 1_000
EXTEND = 4
CATALOG = [
    {"id": "bag", "sku": "BAG-7", "title": "Batik bag", "price": 250_000, "currency": "IDR", "stock": 1},
    {"id": "tee", "sku": "TEE-1", "title": "Tee", "price": 99_000, "currency": "IDR", "stock": 50},
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(fail_first=0) as r:
        yield r


@pytest.fixture
def cluster(tmp_path: Path, receiver: Receiver) -> Iterator[Cluster]:
    redis = RedisServer(tmp_path).start()
    env = {"LIVE_COMMANDS_PER_SECOND": "1000", "LIVE_COMMAND_BURST": "1000", "LIVE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    c = Cluster(tmp_path, redis, 3, LIVE_WEBHOOK_URL=f"http://127.0.0.1:{receiver.port}/checkout", **env).start()
    yield c
    c.stop()
    redis.stop()


async def open_room(api: Api, room: str) -> None:
    brand = bearer(token("acme", "*", "brand"))
    assert (await api.http.put("/v1/catalog/acme/products", json=CATALOG, headers=brand)).status_code == 200
    r = await api.http.post("/v1/rooms", json={"id": room, "title": "Auction night", "brand_id": "acme", "host_id": "host1"}, headers=brand)
    assert r.status_code == 201, r.text
    assert (await api.http.post(f"/v1/rooms/{room}/live", headers=bearer(token("host1", room, "host")))).status_code == 200


async def join_many(cluster: Cluster, room: str, users: list[str]) -> list[Client]:
    out: list[Client] = []
    for start in range(0, len(users), 100):
        batch = users[start : start + 100]
        out += await asyncio.gather(*(Client.join(cluster.nodes[(start + i) % 3].ws_url(room), token(u, room), open_timeout=30) for i, u in enumerate(batch)))
    return out


def check_no_bid_after_end(watcher: Client, auction_id: int) -> dict[str, Any]:
    """From one viewer's events: every bid came before the end in effect, and the end came at it."""
    ends_at = None
    ended = None
    for m in watcher.events():
        if m.get("auction_id") != auction_id and m.get("auction", {}).get("id") != auction_id:
            continue
        if m["type"] == "auction.started":
            ends_at = m["ends_at"]
        elif m["type"] == "auction.bid":
            assert ended is None and ends_at is not None and m["ts"] < ends_at, "a bid accepted at or after the end"
            ends_at = max(ends_at, m["ends_at"])
        elif m["type"] == "auction.extended":
            assert m["ends_at"] >= ends_at, "the end never moves earlier"  # type: ignore[operator]
            ends_at = m["ends_at"]
        elif m["type"] == "auction.ended":
            assert m["ts"] >= ends_at, "an auction never ends early"  # type: ignore[operator]
            ended = m
    assert ended is not None
    return ended


async def test_five_hundred_bidders_with_maximums_on_three_nodes(cluster: Cluster, receiver: Receiver) -> None:
    api = Api(cluster.nodes[0])
    await open_room(api, "hammer")
    host = await Client.join(cluster.nodes[0].ws_url("hammer"), token("host1", "hammer", "host"))
    watchers = [await Client.join(n.ws_url("hammer"), token(f"w{i}", "hammer")) for i, n in enumerate(cluster.nodes)]
    bidders = await join_many(cluster, "hammer", [f"b{i}" for i in range(BIDDERS)])
    started = await host.request("auction.start", product_id="bag", start_price=START, increment=INC, duration_seconds=30, extend_seconds=EXTEND)
    assert started["ok"], started
    aid = started["result"]["auction_id"]

    # Everyone bids at once from three nodes; most give a private maximum (all different).
    rng = random.Random(17)
    maxes = rng.sample(range(START, START + 2000 * INC, INC), BIDDERS)
    proxy = [rng.random() < 0.7 for _ in range(BIDDERS)]

    async def bid(i: int) -> dict[str, Any]:
        fields = {"max": maxes[i]} if proxy[i] else {"amount": maxes[i]}
        reply = await bidders[i].request("auction.bid", auction_id=aid, key=f"k{i}", **fields)
        if i % 10 == 0:  # a flaky network retries with the same key: the first result, nothing new
            again = await bidders[i].request("auction.bid", auction_id=aid, key=f"k{i}", **fields)
            assert again["ok"] == reply["ok"] and (not again["ok"] or again["result"]["repeated"])
        return reply

    t0 = time.monotonic()
    replies = await asyncio.gather(*(bid(i) for i in range(BIDDERS)))
    print(f"\n{BIDDERS} bidders over 3 nodes: {time.monotonic() - t0:.2f} s")
    accepted = {i for i, r in enumerate(replies) if r["ok"]}
    for r in replies:
        assert r["ok"] or r["error"]["code"] == "bid_too_low", r
    top = max(accepted, key=lambda i: maxes[i])

    # Late joiners see the auction running, its bid and leader, and nobody's maximum.
    for w in watchers:
        await w.wait_for(lambda w=w: len(w.events("auction.bid")) == len(accepted))
        assert w.events("auction.bid")[-1]["leader"]["id"] == f"b{top}", "the highest maximum leads on every node"
    late = await Client.join(cluster.nodes[2].ws_url("hammer"), token("late", "hammer"))
    [shown] = late.welcome["room"]["auctions"]  # type: ignore[index]
    assert shown["id"] == aid and not shown["ended"] and shown["leader"]["id"] == f"b{top}" and "maxes" not in shown
    mine = await bidders[top].request("auction.mine")
    assert mine["result"]["auctions"] == [mine["result"]["auctions"][0] | {"auction_id": aid, "leading": True, "max": maxes[top]}]

    # A sniper in the last seconds: the end moves to EXTEND s after the bid, on every node.
    sniper = await Client.join(cluster.nodes[1].ws_url("hammer"), token("sniper", "hammer"))
    ends_at = max(replies[i]["result"]["ends_at"] for i in accepted)
    await asyncio.sleep(max(0.0, (ends_at - time.time() * 1000) / 1000 - EXTEND / 2))
    snipe = await sniper.request("auction.bid", auction_id=aid, key="s", max=START + 5000 * INC)
    assert snipe["ok"] and snipe["result"]["leading"], snipe
    assert snipe["result"]["ends_at"] > ends_at, "a bid in the last seconds extends the auction"
    for w in watchers:
        await w.wait_for(lambda w=w: any(m["ends_at"] == snipe["result"]["ends_at"] for m in w.events("auction.extended")))

    ended = [await w.wait_for(lambda w=w: w.events("auction.ended"), timeout=30) for w in watchers]
    assert all(e == ended[0] for e in ended), "every node shows the same end"
    [end] = ended[0]
    assert end["winner"]["id"] == "sniper" and end["reason"] == "time"
    assert end["price"] == maxes[top] + INC, "the second-highest maximum plus one increment"
    assert end["bids"] == len(accepted) + 1
    for w in watchers:
        check_no_bid_after_end(w, aid)
    after = await asyncio.gather(*(b.request("auction.bid", auction_id=aid, key="after") for b in bidders[:6]))
    assert all(r["error"]["code"] == "ended" for r in after), "no node takes a bid after the end"

    # One reservation for the winner: an order row and one signed webhook, as a claim's.
    merchant = bearer(token("acme", "hammer", "brand"))
    async with httpx.AsyncClient(base_url=cluster.nodes[2].url, timeout=10) as other:
        orders = await eventually(lambda: other.get("/v1/rooms/hammer/orders", headers=merchant), lambda r: r.json()["orders"], timeout=15)
        listed = (await other.get("/v1/rooms/hammer/auctions")).json()["auctions"]
    [order] = orders.json()["orders"]
    assert (order["reservation_id"], order["user_id"], order["price"], order["units"]) == (end["reservation_id"], "sniper", end["price"], 1)
    assert listed[0]["ended"] and listed[0]["price"] == end["price"] and listed[0]["leader"]["id"].startswith("u_"), "pseudonyms on public surfaces"
    hooks = await eventually(lambda: asyncio.sleep(0, [json.loads(b) for _, b in receiver.deliveries]), lambda d: any(h["type"] == "order.reserved" for h in d), timeout=15)
    [hook] = [h for h in hooks if h["type"] == "order.reserved"]
    assert hook["data"]["auction_id"] == aid and hook["data"]["user_id"] == "sniper" and hook["data"]["price"] == end["price"]
    for c in [host, late, sniper, *watchers, *bidders]:
        await c.close()
    await api.http.aclose()


async def test_sudden_death_takes_no_bid_after_the_end_on_any_node(cluster: Cluster) -> None:
    api = Api(cluster.nodes[0])
    await open_room(api, "sudden")
    host = await Client.join(cluster.nodes[0].ws_url("sudden"), token("host1", "sudden", "host"))
    racers = await join_many(cluster, "sudden", [f"r{i}" for i in range(9)])
    started = await host.request("auction.start", product_id="bag", start_price=START, increment=INC, duration_seconds=3, sudden_death=True)
    aid = started["result"]["auction_id"]
    accepted = 0

    async def race(i: int) -> None:  # bid the minimum until the end says no, on every node at once
        nonlocal accepted
        for n in range(10_000):
            r = await racers[i].request("auction.bid", auction_id=aid, key=f"{i}-{n}")
            if r["ok"]:
                accepted += 1
            elif r["error"]["code"] == "ended":
                return
            else:
                assert r["error"]["code"] in ("leading", "bid_too_low"), r
                await asyncio.sleep(0.005)

    await asyncio.gather(*(race(i) for i in range(len(racers))))
    for r in racers[:3]:
        await r.wait_for(lambda r=r: r.events("auction.ended"))
        end = check_no_bid_after_end(r, aid)
        assert end["bids"] == accepted > 10 and end["winner"] is not None
        assert not r.events("auction.extended"), "sudden death never extends"
    # Outbid: the bidder left behind is told privately (on whichever node it is), nobody else is.
    left_behind = {e["outbid"] for e in racers[0].events("auction.bid") if e["outbid"]}
    for i, r in enumerate(racers):
        mine = [m for m in r.messages if m["type"] == "auction.outbid"]
        assert all(m["user_id"] == f"r{i}" and m["minimum_bid"] > m["price"] for m in mine), mine
        if f"r{i}" in left_behind:
            await r.wait_for(lambda r=r: [m for m in r.messages if m["type"] == "auction.outbid"])
    assert not [m for m in host.messages if m["type"] == "auction.outbid"]
    for c in [host, *racers]:
        await c.close()
    await api.http.aclose()


async def test_comment_and_button_claims_on_three_nodes_never_exceed_stock(cluster: Cluster) -> None:
    api = Api(cluster.nodes[0])
    await open_room(api, "keep")
    host = await Client.join(cluster.nodes[0].ws_url("keep"), token("host1", "keep", "host"))
    buyers = await join_many(cluster, "keep", [f"c{i}" for i in range(120)])
    # 60 buttons ask for 60 units and 60 chat lines for 90: with 120 units both ways must win
    # some (which wins the race is the race's), and together they must take exactly 120.
    offer = await host.request("offer.create", product_id="tee", units=120, per_buyer_limit=2, duration_seconds=120)
    oid = offer["result"]["offer_id"]
    words = ["keep 2", "ambil 2", "mau 1", "beli 1", "Keep 2 TEE-1", "ambil 1 pcs"]

    async def buy(i: int) -> dict[str, Any]:
        if i % 2:
            return await buyers[i].request("chat.post", text=words[(i // 2) % len(words)])
        return await buyers[i].request("offer.claim", offer_id=oid, units=1, key=f"k{i}")

    replies = await asyncio.gather(*(buy(i) for i in range(len(buyers))))
    by_chat = by_button = 0
    for i, r in enumerate(replies):
        if i % 2:
            assert r["ok"], r  # a chat line stands even when its claim does not
            claim = r["result"].get("claim") or pytest.fail(str(r))
            by_chat += claim.get("units", 0)
            assert "reservation_id" in claim or claim["error"]["code"] in ("sold_out", "not_enough_stock"), r
        elif r["ok"]:
            by_button += r["result"]["units"]
        else:
            assert r["error"]["code"] == "sold_out", r
    assert by_chat + by_button == 120 and by_chat >= 60 and by_button >= 30, "exactly the offer's units, whichever way they were claimed"
    watcher = buyers[0]
    await watcher.wait_for(lambda: watcher.events("offer.sold_out"))
    notes = await watcher.wait_for(lambda: (n := watcher.events("chat.claim")) and len(n) == len(buyers) // 2 and n)
    chat_ids = {m["message"]["id"] for m in watcher.events("chat.message")}
    assert {n["message_id"] for n in notes} == chat_ids, "every claiming line is followed by its outcome"
    assert sum(n["units"] for n in notes if n["ok"]) == by_chat
    merchant = bearer(token("acme", "keep", "brand"))
    async with httpx.AsyncClient(base_url=cluster.nodes[1].url, timeout=10) as other:
        orders = await eventually(lambda: other.get("/v1/rooms/keep/orders", headers=merchant), lambda r: sum(o["units"] for o in r.json()["orders"]) == 120, timeout=15)
    keys = [o["idempotency_key"] for o in orders.json()["orders"]]
    assert any(k.startswith("chat:") for k in keys) and any(k.startswith("k") for k in keys)
    for c in [host, *buyers]:
        await c.close()
    await api.http.aclose()


async def test_bad_auction_input_gets_clear_codes_and_room_words_claim(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path, LIVE_COMMANDS_PER_SECOND="1000", LIVE_COMMAND_BURST="1000").start()
    try:
        api = Api(srv)
        await open_room(api, "words")
        host = await Client.join(srv.ws_url("words"), token("host1", "words", "host"))
        ana = await Client.join(srv.ws_url("words"), token("ana", "words", name="Ana"))
        missing = await host.request("auction.start", product_id="nope", increment=1000)
        assert missing["error"]["code"] == "not_found"
        assert (await host.request("auction.start", product_id="bag", increment=0))["error"]["code"] == "invalid"
        assert (await ana.request("auction.start", product_id="bag", increment=1000))["error"]["code"] == "forbidden"
        assert (await ana.request("auction.bid", auction_id="x", key="k"))["error"]["code"] == "bad_request"
        assert (await ana.request("auction.bid", auction_id=999, key="k"))["error"]["code"] == "not_found"
        assert (await ana.request("comments.claims", enabled=True, claim_words=["sikat"]))["error"]["code"] == "forbidden"
        assert (await host.request("comments.claims", enabled=True, claim_words=["no spaces"]))["error"]["code"] == "invalid"
        assert (await host.request("comments.claims", enabled=True, claim_words=["sikat"]))["ok"]
        auction = await host.request("auction.start", product_id="bag", increment=1000, duration_seconds=60)
        assert (await host.request("auction.bid", auction_id=auction["result"]["auction_id"], key="k"))["error"]["code"] == "forbidden", "no shill bids"
        offer = await host.request("offer.create", product_id="tee", units=5, per_buyer_limit=2)
        assert offer["ok"]
        said = await ana.request("chat.post", text="sikat 2")
        assert said["result"]["claim"]["units"] == 2, "the room's own word claims"
        note = await ana.wait_for(lambda: ana.events("chat.claim"))
        assert note[0]["message_id"] == said["result"]["message_id"] and note[0]["ok"] and note[0]["reservation_id"]
        forged = await ana.request("chat.post", text="just chatting", intent={"kind": "claim", "units": 2})
        assert "claim" not in forged["result"], "a client's own intent is replaced by what the text says"
        bid = await ana.request("chat.post", text="bid 260rb")
        assert bid["result"]["bid"]["leading"] and bid["result"]["bid"]["price"] == 260_000
        mine = await ana.request("auction.mine")
        assert [(a["auction_id"], a["max"]) for a in mine["result"]["auctions"]] == [(auction["result"]["auction_id"], 260_000)]
        for c in (host, ana):
            await c.close()
        await api.http.aclose()
    finally:
        srv.stop()
