"""Brands after the show, on PostgreSQL and the Redis backend: replay, exports, analytics, rights."""

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest
import webvtt
from websockets.asyncio.client import connect

from tests.harness import COALESCED, ROOT, SECRET, Api, Client, Cluster, RedisServer, bearer, eventually, token

BRAND_KEY = "brand-a-api-key"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, pg_url: str) -> Iterator[Cluster]:
    tmp: Path = tmp_path_factory.mktemp("sessions")
    redis = RedisServer(tmp).start()
    c = Cluster(
        tmp,
        redis,
        2,
        LIVE_DATABASE_URL=pg_url,
        LIVE_SAMPLE_SECONDS="0.5",
        LIVE_COMMANDS_PER_SECOND="1000",
        LIVE_COMMAND_BURST="1000",
        LIVE_BRAND_API_KEYS=json.dumps({BRAND_KEY: "brandA"}),
    ).start()
    yield c
    c.stop()
    redis.stop()


def shown(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """What every viewer gets one by one (no running totals, no staff sales, no deletions)."""
    return [(e["seq"], e["type"]) for e in events if e["type"] not in COALESCED and e["type"] not in ("sales.updated", "chat.deleted")]


async def test_a_session_replays_exports_and_adds_up(cluster: Cluster, pg_url: str) -> None:
    n0, n1 = cluster.nodes
    api = Api(n0)
    brand = bearer(token("brandA", "*", "brand"))
    catalog = [{"id": "tee", "sku": "TEE", "title": "Tee", "price": 150000, "currency": "IDR"}]
    assert (await api.http.put("/v1/catalog/brandA/products", json=catalog, headers=brand)).status_code == 200
    r = await api.http.post("/v1/rooms", json={"id": "show", "title": "Spring show", "brand_id": "brandA", "host_id": "host1"}, headers=brand)
    assert r.status_code == 201
    assert (await api.http.post("/v1/rooms/show/live", headers=bearer(token("host1", "show", "host")))).status_code == 200
    host = await Client.join(n0.ws_url("show"), token("host1", "show", "host"))
    aff = await Client.join(n1.ws_url("show"), token("aff1", "show", "affiliate"))
    ana = await Client.join(n0.ws_url("show"), token("ana", "show", ref="aff1"))
    ben = await Client.join(n1.ws_url("show"), token("ben", "show"), "msgpack")
    cy = await Client.join(n0.ws_url("show"), token("cy", "show"))
    watchers = [host, aff, ana, ben, cy]

    await host.request("chat.post", text="Welcome!")
    await ana.request("chat.post", text="Hi from Ana")
    await ben.request("chat.post", text="Hello")
    oops = await cy.request("chat.post", text="oops wrong room")
    await host.request("chat.delete", message_id=oops["result"]["message_id"])
    await host.request("product.pin", product_id="tee", highlight="New")
    poll = (await host.request("poll.create", question="Colour?", options=["Black", "Sand"]))["result"]["poll_id"]
    await ana.request("poll.vote", poll_id=poll, options=[0])
    await host.wait_for(lambda: host.events("poll.tally"))
    mid_offset = host.events("poll.tally")[-1]["ts"] - host.welcome["room"]["went_live_at"] + 1  # type: ignore[index]
    await asyncio.sleep(0.05)
    await ben.request("poll.vote", poll_id=poll, options=[1])
    offer = (await aff.request("offer.create", product_id="tee", units=5, price=100000, per_buyer_limit=2))["result"]["offer_id"]
    a_claim = (await ana.request("offer.claim", offer_id=offer, units=2, key="a"))["result"]
    await ben.request("offer.claim", offer_id=offer, units=1, key="b")
    paid = await api.http.post(f"/v1/rooms/show/orders/{a_claim['reservation_id']}/confirm", headers=bearer(token("brandA", "show", "brand")))
    assert paid.status_code == 200
    for _ in range(3):
        await ana.request("reaction", kind="heart")
    # Numbers the test knows from what it sent.
    await eventually(lambda: api.http.get("/v1/rooms/show/analytics", headers=brand), lambda r: r.json()["reactions"] == 3 and r.json()["viewers"]["peak"] == 5, timeout=15)
    await host.wait_for(lambda: host.events("offer.stock") and host.events("offer.stock")[-1]["paid"] == 2)
    assert (await api.end_room("show")).status_code == 200
    for c in watchers:
        await c.wait_closed()

    # Replay API: every public event once, in order, with offsets from go-live.
    live_at = (await api.http.get("/v1/rooms/show")).json()["went_live_at"]
    pages, after = [], 0
    while True:
        body = (await api.http.get("/v1/rooms/show/replay", params={"after": after, "limit": 7}, headers=brand)).json()
        pages += body["events"]
        if body["next_after"] is None:
            break
        after = body["next_after"]
    gone = {e["message_id"] for e in host.events("chat.deleted")}
    seen = shown([e for e in host.events() if not (e["type"] == "chat.message" and e["message"]["id"] in gone)])
    assert [e for e in shown(pages) if e[0] >= seen[0][0]] == seen, "what the host saw, once each, in order, less the deleted message"
    assert shown(pages)[:2] == [(1, "room.status"), (2, "room.status")]
    assert all(e["offset_ms"] == e["ts"] - live_at for e in pages)
    async with httpx.AsyncClient(base_url=n1.url) as other:
        ndjson = (await other.get("/v1/rooms/show/replay", params={"format": "ndjson"}, headers={"x-api-key": BRAND_KEY})).text
    assert [json.loads(line) for line in ndjson.splitlines()] == pages
    window = (await api.http.get("/v1/rooms/show/replay", params={"from_ms": mid_offset, "include": "polls"}, headers=brand)).json()["events"]
    assert [e["type"] for e in window] == ["poll.closed"]

    # WebSocket replay from the middle starts from the room as it was then.
    async with connect(n1.ws_url("show").replace("/ws", "/replay/ws") + f"?from_ms={mid_offset}&speed=64") as ws:
        start = orjson.loads(await ws.recv())[0]
        assert start["type"] == "replay.start" and start["room"]["pinned_products"][0]["product"]["id"] == "tee"
        assert start["room"]["polls"][0]["tallies"] == [1, 0]
        rest = [m for frame in [orjson.loads(f) async for f in ws] for m in frame]
    assert rest[-1]["type"] == "replay.end" and "offer.created" in [m["type"] for m in rest]
    assert next(m for m in rest if m["type"] == "poll.tally")["tallies"] == [1, 1]

    # Exports: WebVTT cues on the timeline, CSV and NDJSON the same events, the deleted message nowhere.
    vtt = (await api.http.get("/v1/rooms/show/export.vtt", headers=brand)).text
    cues = webvtt.from_buffer(io.StringIO(vtt)).captions
    chat = [e for e in pages if e["type"] == "chat.message"]
    assert [c.text for c in cues] == ["Host1: Welcome!", "Ana: Hi from Ana", "Ben: Hello"]
    assert [_ms(c.start) for c in cues] == [e["offset_ms"] for e in chat]
    assert all(_ms(c.end) == _ms(c.start) + 4000 for c in cues)
    as_ndjson = [json.loads(x) for x in (await api.http.get("/v1/rooms/show/export.ndjson", params={"include": "chat,commerce,polls"}, headers=brand)).text.splitlines()]
    as_csv = list(csv.DictReader(io.StringIO((await api.http.get("/v1/rooms/show/export.csv", params={"include": "chat,commerce,polls"}, headers=brand)).text)))
    assert [(int(r["seq"]), r["type"]) for r in as_csv] == [(e["seq"], e["type"]) for e in as_ndjson] and len(as_csv) > 5
    everything = ndjson + vtt + json.dumps(as_ndjson) + json.dumps(as_csv)
    assert "oops wrong room" not in everything
    assert '"ana"' not in everything and "Hi from Ana" in everything, "ids are pseudonyms"

    # Analytics equal what the test sent.
    a = (await api.http.get("/v1/rooms/show/analytics", headers=brand)).json()
    assert a["chat"] == {"messages": 4, "deleted": 1, "active_chatters": 4}
    assert a["viewers"]["unique"] == 5 and a["viewers"]["peak"] == 5 and a["reactions"] == 3
    assert a["polls"][0]["tallies"] == [1, 1] and a["polls"][0]["voters"] == 2
    c = a["commerce"]
    assert (c["claims"], c["paid_orders"], c["revenue"], c["buyers"], c["conversion"]) == (2, 1, {"IDR": 200000}, 1, 0.2)
    assert c["products"]["tee"] == {"units": 2, "revenue_IDR": 200000} and c["affiliates"]["aff1"] == {"units": 2, "revenue_IDR": 200000}
    assert sum(m["messages"] for m in a["per_minute"]) == 4
    sessions = (await api.http.get("/v1/brands/brandA/sessions", headers={"x-api-key": BRAND_KEY})).json()["sessions"]
    assert [(s["room_id"], s["chat"]["messages"], s["commerce"]["revenue"]) for s in sessions] == [("show", 4, {"IDR": 200000})]

    # Re-folding the persisted log reports no difference.
    env = {"LIVE_DATABASE_URL": pg_url}
    audit = subprocess.run([sys.executable, "-m", "live.cli", "audit", "show"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    assert audit.returncode == 0 and "no difference" in audit.stdout, audit.stdout + audit.stderr

    # Access: another brand gets 403; so does a viewer; a key nobody issued is not a caller (401).
    for headers, status in ((bearer(token("brandB", "*", "brand")), 403), (bearer(token("ana", "show")), 403), ({"x-api-key": "nope"}, 401)):
        for path in ("/v1/rooms/show/replay", "/v1/rooms/show/export.csv", "/v1/rooms/show/analytics"):
            assert (await api.http.get(path, headers=headers)).status_code == status, (path, headers)
    assert (await api.http.get("/v1/brands/brandA/sessions", headers=bearer(token("brandB", "*", "brand")))).status_code == 403

    # Erasure: Ana's text and id go; the counts stay; the log still re-folds the same.
    erased = await api.http.delete("/v1/users/ana/data", headers=brand)
    assert erased.status_code == 200 and [r["room_id"] for r in erased.json()["rooms"]] == ["show"], erased.text
    pii = bearer(_pii_token())
    after_erasure = (await api.http.get("/v1/rooms/show/replay", params={"format": "ndjson", "identify": "1"}, headers=pii)).text
    exports = after_erasure + (await api.http.get("/v1/rooms/show/export.csv", headers=brand)).text + (await api.http.get("/v1/rooms/show/export.vtt", headers=brand)).text
    assert "Hi from Ana" not in exports and '"ana"' not in exports and ",ana," not in exports
    assert '"Ben"' in after_erasure and '"ben"' in after_erasure, "identify=1 with the pii claim shows real ids"
    again = (await api.http.get("/v1/rooms/show/analytics", headers=brand)).json()
    assert again["chat"] == a["chat"] and again["commerce"]["revenue"] == c["revenue"] and again["viewers"]["unique"] == 5
    audit = subprocess.run([sys.executable, "-m", "live.cli", "audit", "show"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout
    await api.http.aclose()


def _ms(clock: str) -> int:
    h, m, s = clock.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


def _pii_token() -> str:
    """A brand token that may see real user ids (the claim the platform grants for that)."""
    claims = jwt.decode(token("brandA", "*", "brand"), options={"verify_signature": False})
    return jwt.encode(claims | {"pii": True}, SECRET, algorithm="HS256")


async def test_retention_purges_a_brands_old_sessions_but_keeps_orders(tmp_path: Path) -> None:
    from tests.harness import LiveServer

    srv = LiveServer(tmp_path).start()
    try:
        api = Api(srv)
        brand = bearer(token("brandR", "*", "brand"))
        await api.http.post("/v1/rooms", json={"id": "old", "title": "Old", "brand_id": "brandR", "host_id": "host1"}, headers=brand)
        await api.http.post("/v1/rooms/old/live", headers=brand)
        host = await Client.join(srv.ws_url("old"), token("host1", "old", "host"))
        await host.request("chat.post", text="long ago")
        await host.close()
        await api.end_room("old")
        assert [e["type"] for e in await api.transcript("old", type="chat.message")] == ["chat.message"]
        env = {**os.environ, **srv.env, "LIVE_RETENTION_DAYS": json.dumps({"brandR": 0, "otherbrand": 30})}
        purge = subprocess.run([sys.executable, "-m", "live.cli", "purge"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert purge.returncode == 0 and "brand brandR: purged 1 session(s) old" in purge.stdout, purge.stdout + purge.stderr
        assert await api.transcript("old") == []
        assert (await api.http.get("/v1/rooms/old")).json()["status"] == "ended", "the room itself stays listed"
        await api.http.aclose()
    finally:
        srv.stop()
