"""Faults that must lose nothing acknowledged (docs/operations.md, "What can be lost").

Redis dies and comes back **empty** while chat, claims and the merchant's confirm and
cancel are in flight on two nodes: every write a client got an ok for is in SQL
afterwards, no seq is used twice (the persisted log re-folds to exactly what was
persisted), and the offer never holds more units than it has.
"""

import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import ROOT, Api, Client, Cluster, RedisServer, bearer, eventually, token

UNITS = 30
BRAND = bearer(token("acme", "*", "brand"))
CATALOG = [{"id": "tee", "sku": "TEE", "title": "Tee", "price": 150000, "currency": "IDR", "stock": 500}]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[Cluster, RedisServer]]:
    redis = RedisServer(tmp_path, aof=False).start()  # no persistence: a restart comes back empty
    cluster = Cluster(tmp_path, redis, 2, LIVE_PERSIST_INTERVAL_MS="5000", LIVE_COMMANDS_PER_SECOND="1000", LIVE_COMMAND_BURST="1000").start()
    yield cluster, redis
    cluster.stop()
    redis.stop()


class Viewer:
    """A client that reconnects when its connection goes (4010 after the loss) and
    records only what it got an ok for."""

    def __init__(self, url: str, user: str, room: str) -> None:
        self.url, self.user, self.room = url, user, room
        self.client: Client | None = None

    async def request(self, type_: str, **fields: Any) -> dict[str, Any] | None:
        """The reply, or None when the outcome is unknown (the connection went meanwhile)."""
        try:
            if self.client is None or self.client.closed_code is not None:
                self.client = await Client.join(self.url, token(self.user, self.room))
            return await self.client.request(type_, **fields)
        except Exception:  # the connection went while waiting (or refused us): the outcome is unknown
            self.client = None
            await asyncio.sleep(0.1)
            return None

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


async def _chat(v: Viewer, stop: asyncio.Event, acked: list[str]) -> None:
    for n in itertools.count():
        if stop.is_set():
            return
        text = f"{v.user}-{n}"
        reply = await v.request("chat.post", text=text)
        if reply is not None and reply["ok"]:
            acked.append(text)
        await asyncio.sleep(0.02)


async def _claim(v: Viewer, offer: int, acked: dict[int, int], refused: list[str]) -> None:
    units = random.Random(v.user).choice([1, 2])
    key = f"k-{v.user}"
    while True:  # the same key until answered: a retry is the same claim
        reply = await v.request("offer.claim", offer_id=offer, units=units, key=key)
        if reply is not None and reply["ok"]:
            acked[reply["result"]["reservation_id"]] = units
            return
        if reply is not None and reply["error"]["code"] != "unavailable":
            refused.append(reply["error"]["code"])  # sold_out and not_enough_stock are fine; not_found is a lost offer
            return
        await asyncio.sleep(0.05)


async def _merchant(urls: list[str], room: str, claims: dict[int, int], stop: asyncio.Event, decided: dict[int, str]) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for i in itertools.count():
            if stop.is_set():
                return
            todo = [r for r in claims if r not in decided]
            if not todo:
                await asyncio.sleep(0.05)
                continue
            rid = todo[0]
            action = "confirm" if i % 2 else "cancel"
            try:
                r = await http.post(f"{urls[i % 2]}/v1/rooms/{room}/orders/{rid}/{action}", headers=BRAND)
            except httpx.HTTPError:
                continue
            if r.status_code == 200:
                decided[rid] = "paid" if action == "confirm" else "cancelled"


async def test_redis_back_empty_mid_stream_loses_nothing_acknowledged(shop: tuple[Cluster, RedisServer]) -> None:
    cluster, redis = shop
    api = Api(cluster.nodes[0])
    assert (await api.http.put("/v1/catalog/acme/products", json=CATALOG, headers=BRAND)).status_code == 200
    assert (await api.http.post("/v1/rooms", json={"id": "amnesia", "title": "Amnesia", "host_id": "host1"}, headers=BRAND)).status_code == 201
    assert (await api.http.post("/v1/rooms/amnesia/live", headers=BRAND)).status_code == 200
    urls = [n.ws_url("amnesia") for n in cluster.nodes]
    host = await Client.join(urls[0], token("host1", "amnesia", "host"))
    offer = (await host.request("offer.create", product_id="tee", units=UNITS, per_buyer_limit=2, duration_seconds=600))["result"]["offer_id"]
    await host.close()

    stop = asyncio.Event()
    chatted: list[str] = []
    claims: dict[int, int] = {}
    refused: list[str] = []
    decided: dict[int, str] = {}
    chatters = [Viewer(urls[i % 2], f"chat{i}", "amnesia") for i in range(4)]
    buyers = [Viewer(urls[i % 2], f"buyer{i}", "amnesia") for i in range(40)]
    tasks = [asyncio.create_task(_chat(v, stop, chatted)) for v in chatters]
    tasks.append(asyncio.create_task(_merchant([n.url for n in cluster.nodes], "amnesia", claims, stop, decided)))

    async def buy(wave: list[Viewer]) -> None:
        await asyncio.wait_for(asyncio.gather(*[_claim(v, offer, claims, refused) for v in wave]), 30)

    await buy(buyers[:15])  # some claims decided before the loss, most still pending in SQL's view
    await asyncio.sleep(0.5)
    redis.stop(signal.SIGKILL)
    redis.start()  # empty
    before_reseed = len(chatted)
    await buy(buyers[15:])  # claims across the loss and the reseed
    await eventually(lambda: asyncio.sleep(0.1, len(chatted)), lambda n: n >= before_reseed + 40, timeout=30)  # chat flows again
    stop.set()
    await asyncio.gather(*tasks)
    for v in chatters + buyers:
        await v.close()
    assert claims and chatted and decided, (len(claims), len(chatted), len(decided))
    assert set(refused) <= {"sold_out", "not_enough_stock"}, f"claims refused for another reason: {refused}"

    ended = await eventually(lambda: api.http.post("/v1/rooms/amnesia/end", headers=BRAND), lambda r: r.status_code == 200, timeout=20)
    assert ended.json()["status"] == "ended"

    # Every chat message acknowledged is in the transcript, once.
    texts = [e["message"]["text"] for e in await api.transcript("amnesia", type="chat.message")]
    missing = [t for t in chatted if t not in texts]
    assert not missing, f"{len(missing)} acknowledged messages lost: {missing[:5]}"
    assert len(texts) == len(set(texts))
    # Every acknowledged reservation is an order; every 200 from the merchant is applied.
    orders = {o["reservation_id"]: o for o in (await api.http.get("/v1/rooms/amnesia/orders", headers=BRAND)).json()["orders"]}
    assert set(claims) <= set(orders), f"lost reservations: {set(claims) - set(orders)}"
    assert all(orders[r]["units"] == u for r, u in claims.items())
    assert {r: orders[r]["status"] for r in decided} == decided
    held = sum(o["units"] for o in orders.values() if o["status"] in ("reserved", "paid"))
    assert held <= UNITS, f"{held} units held of {UNITS}"
    # No seq used twice: the persisted log re-folds to exactly what was persisted.
    env = {**os.environ, "LIVE_DATABASE_URL": cluster.nodes[0].env["LIVE_DATABASE_URL"]}
    audit = subprocess.run([sys.executable, "-m", "live.cli", "audit", "amnesia"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert audit.returncode == 0 and "no difference" in audit.stdout, audit.stdout + audit.stderr
    await api.http.aclose()


@pytest.fixture
def slow_persist(tmp_path: Path) -> Iterator[tuple[Cluster, RedisServer]]:
    redis = RedisServer(tmp_path, aof=False).start()
    cluster = Cluster(tmp_path, redis, 2, LIVE_PERSIST_INTERVAL_MS="60000", LIVE_COMMANDS_PER_SECOND="1000", LIVE_COMMAND_BURST="1000").start()
    yield cluster, redis
    cluster.stop()
    redis.stop()


async def test_end_answered_by_a_node_without_the_lease_has_the_whole_log_in_sql(slow_persist: tuple[Cluster, RedisServer]) -> None:
    """``POST /end`` promises the room's log is in SQL, whichever node answers: the lease
    holder's next flush is a minute away here (after Redis came back empty, the other node
    may well hold the lease)."""
    cluster, redis = slow_persist
    api = Api(cluster.nodes[0])
    await api.live_room("promise")
    ids = [(await api.http.get(f"{n.url}/healthz")).json()["node"] for n in cluster.nodes]
    holder = (await eventually(lambda: asyncio.sleep(0, redis.client().get("live:{promise}:lease")), lambda h: h is not None)).decode()
    other = cluster.nodes[1 - ids.index(holder)]
    sent = []
    for i, n in enumerate(cluster.nodes * 5):
        viewer = await Client.join(n.ws_url("promise"), token(f"v{i}", "promise"))
        assert (await viewer.request("chat.post", text=f"m{i}"))["ok"]
        sent.append(f"m{i}")
        await viewer.close()
    ended = await Api(other).http.post("/v1/rooms/promise/end", headers=bearer(token("host1", "promise", "host")))
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    texts = [e["message"]["text"] for e in await api.transcript("promise", type="chat.message")]
    assert texts == sent, f"not in SQL when /end answered: {sorted(set(sent) - set(texts))}"
    await api.http.aclose()
