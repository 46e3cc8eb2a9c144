"""2,000 buyers on three nodes race for 100 units: exactly 100 are reserved, and persisted."""

import asyncio
import random
import time
from pathlib import Path

import httpx

from tests.harness import Api, Client, Cluster, RedisServer, bearer, eventually, token

BUYERS = 2000
UNITS = 100
LIMIT = 2


async def test_two_thousand_buyers_never_oversell(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    cluster = Cluster(tmp_path, redis, 3, LIVE_COMMANDS_PER_SECOND="1000", LIVE_COMMAND_BURST="1000").start()
    try:
        api = Api(cluster.nodes[0])
        catalog = [{"id": "tee", "sku": "TEE", "title": "Tee", "price": 150000, "currency": "IDR"}]
        assert (await api.http.put("/v1/catalog/@host1/products", json=catalog, headers=bearer(token("host1", "*", "host")))).status_code == 200
        await api.live_room("race")
        host = await Client.join(cluster.nodes[0].ws_url("race"), token("host1", "race", "host"))
        offer = await host.request("offer.create", product_id="tee", units=UNITS, per_buyer_limit=LIMIT, duration_seconds=300)
        offer_id = offer["result"]["offer_id"]

        buyers: list[Client] = []
        for start in range(0, BUYERS, 200):
            buyers += await asyncio.gather(*(Client.join(cluster.nodes[i % 3].ws_url("race"), token(f"b{i}", "race"), open_timeout=30) for i in range(start, min(BUYERS, start + 200))))
        rng = random.Random(7)
        wants = [rng.randint(1, LIMIT) for _ in range(BUYERS)]

        async def claim(i: int) -> list[dict]:  # type: ignore[type-arg]
            replies = [await buyers[i].request("offer.claim", offer_id=offer_id, units=wants[i], key=f"k{i}")]
            if rng.random() < 0.3:  # a retry of the same key, as a flaky network would send it
                replies.append(await buyers[i].request("offer.claim", offer_id=offer_id, units=wants[i], key=f"k{i}"))
            return replies

        t0 = time.monotonic()
        results = await asyncio.gather(*(claim(i) for i in range(BUYERS)))
        elapsed = time.monotonic() - t0
        print(f"\n{BUYERS} buyers, {sum(map(len, results))} claims over 3 nodes: {elapsed:.2f} s, {sum(map(len, results)) / elapsed:.0f} claims/s")

        reserved: dict[int, tuple[str, int]] = {}
        for i, replies in enumerate(results):
            first = replies[0]
            for r in replies:
                if r["ok"]:
                    reserved.setdefault(r["result"]["reservation_id"], (f"b{i}", r["result"]["units"]))
                    assert r["result"]["reservation_id"] == first["result"]["reservation_id"], "a retried key returns the first result"
                else:
                    assert r["error"]["code"] in ("sold_out", "not_enough_stock"), r
        assert sum(units for _, units in reserved.values()) == UNITS, "exactly the offer's units"
        per_buyer: dict[str, int] = {}
        for user, units in reserved.values():
            per_buyer[user] = per_buyer.get(user, 0) + units
        assert max(per_buyer.values()) <= LIMIT
        assert len({user for user, _ in reserved.values()}) == len(reserved), "no key reserved twice"
        for c in buyers[:3]:  # one on each node
            await c.wait_for(lambda c=c: c.events("offer.sold_out"))
            assert c.events("offer.stock")[-1]["available"] == 0, "every viewer's counter ends exact"
            # The counter is a running total: a frame of nothing else waits 250 ms after the last
            # frame, so a burst of claims costs each viewer a few frames, not one per claim.
            stock = [t for t, types in c.frames if "offer.stock" in types]
            assert len(stock) <= 2 + (stock[-1] - stock[0]) / 0.25, f"{len(stock)} stock frames in {stock[-1] - stock[0]:.2f} s"

        merchant = bearer(token("host1", "race", "host"))
        async with httpx.AsyncClient(base_url=cluster.nodes[1].url, timeout=10) as other:
            orders = await eventually(lambda: other.get("/v1/rooms/race/orders", headers=merchant), lambda r: len(r.json()["orders"]) == len(reserved), timeout=15)
        rows = orders.json()["orders"]
        assert {o["reservation_id"]: (o["user_id"], o["units"]) for o in rows} == reserved
        assert all(o["status"] == "reserved" for o in rows)
        for c in [*buyers, host]:
            await c.close()
        await api.http.aclose()
    finally:
        cluster.stop()
        redis.stop()
