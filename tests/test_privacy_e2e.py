"""Each person's own data, end to end (docs/privacy.md): Ana chats, asks, votes, claims and
pays in two brands' rooms; her export holds all of it and nothing of anyone else; after
erasure the transcript, replays and exports no longer show her text or id, Ben's messages
are intact, sales and analytics do not move and ``live audit`` still passes. On one
SQLite server (memory log) and on two nodes over Redis and PostgreSQL."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.harness import ROOT, Api, Client, Cluster, LiveServer, RedisServer, bearer, eventually, token

KEYS = {"key-p": "brandP", "key-q": "brandQ"}
ADMIN = {"x-api-key": "platform-admin-key"}
ROOMS = {"priv-p": "brandP", "priv-q": "brandQ"}  # names no other test on the shared database uses
ENV = {
    "LIVE_BRAND_API_KEYS": json.dumps(KEYS),
    "LIVE_ADMIN_API_KEYS": json.dumps(["platform-admin-key"]),
    "LIVE_COMMANDS_PER_SECOND": "1000",
    "LIVE_COMMAND_BURST": "1000",
    "LIVE_SAMPLE_SECONDS": "0.5",
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql+redis"])
def nodes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp: Path = tmp_path_factory.mktemp("privacy")
    if request.param == "sqlite":
        srv = LiveServer(tmp, **ENV).start()
        yield srv, srv
        srv.stop()
        return
    redis = RedisServer(tmp).start()
    cluster = Cluster(tmp, redis, 2, LIVE_DATABASE_URL=request.getfixturevalue("pg_url"), **ENV).start()
    yield cluster.nodes[0], cluster.nodes[1]
    cluster.stop()
    redis.stop()


def staff(brand: str) -> dict[str, str]:
    return bearer(token(f"{brand}-staff", "*", "brand", brand=brand))


async def _session(api: Api, n0: LiveServer, n1: LiveServer, room: str) -> dict[str, Any]:
    """One brand's live room where Ana and Ben do everything a shopper does; ids the test needs."""
    brand = ROOMS[room]
    catalog = [{"id": "tee", "sku": "TEE", "title": "Tee", "price": 150000, "currency": "IDR"}]
    assert (await api.http.put(f"/v1/catalog/{brand}/products", json=catalog, headers=staff(brand))).status_code == 200
    assert (await api.http.post("/v1/rooms", json={"id": room, "title": f"Show {room}", "brand_id": brand, "host_id": "host1"}, headers=staff(brand))).status_code == 201
    assert (await api.http.post(f"/v1/rooms/{room}/live", headers=staff(brand))).status_code == 200
    host = await Client.join(n0.ws_url(room), token("host1", room, "host", brand=brand))
    ana = await Client.join(n1.ws_url(room), token("ana", room))
    ben = await Client.join(n0.ws_url(room), token("ben", room))
    await ana.request("chat.post", text=f"ana says hi in {room}")
    await ben.request("chat.post", text=f"ben says hi in {room}")
    mine = (await ana.request("question.ask", text=f"ana asks about sizes in {room}"))["result"]["question_id"]
    theirs = (await ben.request("question.ask", text=f"ben asks about colours in {room}"))["result"]["question_id"]
    assert (await ana.request("question.upvote", question_id=theirs))["ok"] and (await ben.request("question.upvote", question_id=mine))["ok"]
    poll = (await host.request("poll.create", question="Colour?", options=["Black", "Sand"]))["result"]["poll_id"]
    assert (await ana.request("poll.vote", poll_id=poll, options=[0]))["ok"] and (await ben.request("poll.vote", poll_id=poll, options=[1]))["ok"]
    offer = (await host.request("offer.create", product_id="tee", units=5, price=100000, per_buyer_limit=2))["result"]["offer_id"]
    reservation = (await ana.request("offer.claim", offer_id=offer, units=2, key="k"))["result"]["reservation_id"]
    assert (await ben.request("offer.claim", offer_id=offer, units=1, key="k"))["ok"]
    assert (await api.http.post(f"/v1/rooms/{room}/orders/{reservation}/confirm", headers={"x-api-key": "key-p" if brand == "brandP" else "key-q"})).status_code == 200
    auction = (await host.request("auction.start", product_id="tee", start_price=50000, increment=5000, duration_seconds=600))["result"]["auction_id"]
    assert (await ana.request("auction.bid", auction_id=auction, max=70000, key="a"))["ok"]
    assert (await ben.request("auction.bid", auction_id=auction, key="b"))["ok"]  # Ana's maximum answers: she leads
    assert (await host.request("auction.cancel", auction_id=auction))["ok"]  # no winner: the sales stay the claims'
    me = bearer(token("ana", room))
    assert (await api.http.put(f"/v1/me/follows/brand/{brand}", headers=me)).status_code in (200, 204)
    assert (await host.request("product.pin", product_id="tee"))["ok"]  # its summary will show her review
    review = await api.http.post(f"/v1/rooms/{room}/orders/{reservation}/review", json={"stars": 5, "text": f"ana reviews the tee of {room}"}, headers=me)
    assert review.status_code == 201, review.text
    review_id = review.json()["review"]["id"]
    assert (await host.request("review.spotlight", review_id=review_id))["ok"]
    assert (await host.request("mod.timeout", user_id="ana", seconds=1, reason="calm down"))["ok"]
    await ana.close()
    return {"host": host, "ben": ben, "question": theirs, "reservation": reservation, "review": review_id}


async def _encore(api: Api, n0: LiveServer, review_id: int) -> str:
    """A later show of brand P that Ana never joins: the host pins the tee (its summary shows
    her review) and puts her review in the spotlight; then it ends."""
    room = "priv-p-encore"
    assert (await api.http.post("/v1/rooms", json={"id": room, "title": "Encore", "brand_id": "brandP", "host_id": "host1"}, headers=staff("brandP"))).status_code == 201
    assert (await api.http.post(f"/v1/rooms/{room}/live", headers=staff("brandP"))).status_code == 200
    host = await Client.join(n0.ws_url(room), token("host1", room, "host", brand="brandP"))
    assert (await host.request("product.pin", product_id="tee"))["ok"] and (await host.request("review.spotlight", review_id=review_id))["ok"]
    await host.close()
    assert (await api.http.post(f"/v1/rooms/{room}/end", headers=staff("brandP"))).status_code == 200
    copies = [e["type"] for e in await api.transcript(room) if "ana reviews the tee of priv-p" in json.dumps(e)]
    assert set(copies) == {"product.pinned", "review.spotlighted"}, f"the show copies her review: {copies}"
    return room


async def _export(api: Api, headers: dict[str, str], user: str = "ana") -> dict[str, Any]:
    r = await api.http.get("/v1/me/data" if user == "me" else f"/v1/users/{user}/data", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _rooms(export: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["room"]["id"]: r for r in export["rooms"]}


def _check_export(export: dict[str, Any], sessions: dict[str, dict[str, Any]]) -> None:
    rooms = _rooms(export)
    assert set(rooms) == set(ROOMS)
    for room, r in rooms.items():
        assert [m["text"] for m in r["messages"]] == [f"ana says hi in {room}"]
        assert [(q["text"], q["votes"]) for q in r["questions"]] == [(f"ana asks about sizes in {room}", 1)]
        assert [v["options"] for v in r["poll_votes"]] == [["Black"]]
        assert [u["question_id"] for u in r["question_upvotes"]] == [sessions[room]["question"]]
        assert [(c["units"], c["reservation_id"]) for c in r["claims"]] == [(2, sessions[room]["reservation"])]
        assert [(b["amount"], b["max"], b["won"]) for b in r["bids"]] == [(None, 70000, False)]
        assert [(o["reservation_id"], o["units"], o["price"], o["currency"], o["status"]) for o in r["orders"]] == [(sessions[room]["reservation"], 2, 100000, "IDR", "paid")]
        assert [(m["action"], m["by_role"], m["reason"]) for m in r["moderation"]] == [("mod.timeout", "host", "calm down")]
        assert r["points"] > 0 and r["role"] == "viewer"
    assert sorted(r["text"] for r in export["reviews"]) == [f"ana reviews the tee of {room}" for room in sorted(ROOMS)]
    assert sorted(f["target"] for f in export["follows"]) == sorted(ROOMS.values())
    dumped = json.dumps(export)
    for other in ('"ben"', "Ben", "ben says", "ben asks", "host1", "Host1"):
        assert other not in dumped, f"{other} is someone else's data"


async def _everything(api: Api, n1: LiveServer, room: str) -> str:
    """Every way the session is read after the show, as text: transcript, replay (real ids),
    the three exports, the replay socket, analytics, orders and the leaderboards."""
    pii = bearer(_pii_token(ROOMS[room]))
    parts = [json.dumps(await api.transcript(room))]
    parts.append((await api.http.get(f"/v1/rooms/{room}/replay", params={"format": "ndjson", "identify": "1"}, headers=pii)).text)
    for fmt in ("ndjson", "csv", "vtt"):
        parts.append((await api.http.get(f"/v1/rooms/{room}/export.{fmt}", params={"identify": "1"}, headers=pii)).text)
    async with connect(n1.ws_url(room).replace("/ws", "/replay/ws") + "?speed=64") as ws:
        parts += [f if isinstance(f, str) else f.decode() async for f in ws]
    for path in (f"/v1/brands/{ROOMS[room]}/products/tee/reviews", f"/v1/rooms/{room}/orders", f"/v1/rooms/{room}/leaderboard", f"/v1/brands/{ROOMS[room]}/leaderboard", f"/v1/rooms/{room}/moderation?identify=1"):
        parts.append((await api.http.get(path, headers=pii)).text)
    return "\n".join(parts)


def _pii_token(brand: str) -> str:
    import jwt

    from tests.harness import SECRET

    claims = jwt.decode(token(f"{brand}-staff", "*", "brand", brand=brand), options={"verify_signature": False})
    return jwt.encode(claims | {"pii": True}, SECRET, algorithm="HS256")


async def _numbers(api: Api, room: str) -> tuple[Any, ...]:
    """What the merchant counts: analytics (contributors by points, not by who), sales, order
    amounts. (Not the log's seq, which an erasure adds to, nor times and viewer samples of a live room.)"""
    brand = staff(ROOMS[room])
    got = (await api.http.get(f"/v1/rooms/{room}/analytics", headers=brand)).json()
    a = {k: got[k] for k in ("reactions", "chat", "polls", "questions", "commerce")} | {"unique_viewers": got["viewers"]["unique"]}
    contributors = sorted(c["points"] for c in got["top_contributors"])
    sales = (await api.http.get(f"/v1/rooms/{room}/sales", headers=brand)).json()
    orders = [(o["reservation_id"], o["units"], o["price"], o["currency"], o["status"]) for o in (await api.http.get(f"/v1/rooms/{room}/orders", headers=brand)).json()["orders"]]
    return a, contributors, sales, orders


def _audit(server: LiveServer, *rooms: str) -> None:
    env = {**os.environ, "LIVE_DATABASE_URL": server.env["LIVE_DATABASE_URL"]}
    audit = subprocess.run([sys.executable, "-m", "live.cli", "audit", *rooms], cwd=ROOT, env=env, capture_output=True, text=True)
    assert audit.returncode == 0 and audit.stdout.count("no difference") == len(rooms), audit.stdout + audit.stderr


async def test_a_person_exports_and_erases_their_data_across_brands(nodes: tuple[LiveServer, LiveServer]) -> None:
    n0, n1 = nodes
    api = Api(n0)
    sessions = {room: await _session(api, n0, n1, room) for room in ROOMS}
    encore = await _encore(api, n0, sessions["priv-p"]["review"])
    await sessions["priv-p"]["host"].close()
    assert (await api.http.post("/v1/rooms/priv-p/end", headers=staff("brandP"))).status_code == 200

    # Her export, by her own token (any room's), holds all of it, across both brands, and nothing of Ben's.
    me = await eventually(lambda: _export(api, bearer(token("ana", "priv-p")), "me"), lambda e: all(r["moderation"] for r in e["rooms"]) and len(e["rooms"]) == 2)
    _check_export(me, sessions)
    assert {b["brand_id"] for b in me["brands"]} == {"brandP", "brandQ"} and "reactions" in me["not_held"]
    # The platform sees the same; each brand only its own rooms; Ben, a host and an unknown key nothing.
    _check_export(await _export(api, ADMIN), sessions)
    assert set(_rooms(await _export(api, staff("brandP")))) == {"priv-p"}
    assert set(_rooms(await _export(api, {"x-api-key": "key-q"}))) == {"priv-q"}
    for headers, status in ((bearer(token("ben", "*")), 403), (bearer(token("host1", "*", "host", brand="brandP")), 403), ({"x-api-key": "nope"}, 401), ({}, 401)):
        for method in ("GET", "DELETE"):
            r = await api.http.request(method, "/v1/users/ana/data", headers=headers)
            assert r.status_code == status and r.json()["error"]["code"] in ("forbidden", "unauthorized"), (headers, method, r.text)
    assert (await api.http.get("/v1/me/data", headers={"x-api-key": "key-p"})).status_code == 403, "an API key is no person"

    for room in ROOMS:  # host, Ana and Ben, once the edge samples are in
        await eventually(lambda room=room: api.http.get(f"/v1/rooms/{room}/analytics", headers=staff(ROOMS[room])), lambda r: r.json()["viewers"]["unique"] == 3)
        copies = [e["type"] for e in await api.transcript(room) if f"ana reviews the tee of {room}" in json.dumps(e)]
        assert {"product.reviews", "review.spotlighted"} <= set(copies), f"the room copies her review: {copies}"
    before = {room: await _numbers(api, room) for room in ROOMS}
    # Brand Q erases her from its rooms, while priv-q is still live: brand P's room is untouched.
    erased = await api.http.delete("/v1/users/ana/data", headers={"x-api-key": "key-q"})
    assert erased.status_code == 200 and [(r["room_id"], r["pending"]) for r in erased.json()["rooms"]] == [("priv-q", False)], erased.text
    assert re.fullmatch(r"erased:[0-9a-f]{16}", erased.json()["rooms"][0]["erased_as"])
    assert "ana says hi in priv-p" in json.dumps(await api.transcript("priv-p"))
    # The live room redacts on every node: a newcomer (a guest) on the other node sees "[removed]", Ben's message as it was.
    cy = await Client.join(n1.ws_url("priv-q"), None)
    shown = json.dumps(cy.welcome)
    assert "ana says hi" not in shown and "ana asks" not in shown and '"ana"' not in shown and "Ana" not in shown
    assert "[removed]" in shown and "ben says hi in priv-q" in shown and "ben asks about colours in priv-q" in shown
    await cy.close()
    await sessions["priv-q"]["host"].close()
    assert (await api.http.post("/v1/rooms/priv-q/end", headers=staff("brandQ"))).status_code == 200

    # She erases the rest herself; Ben cannot erase her, nor she him.
    assert (await api.http.delete("/v1/users/ben/data", headers=bearer(token("ana", "*")))).status_code == 403
    mine = await api.http.delete("/v1/me/data", headers=bearer(token("ana", "priv-q")))
    assert mine.status_code == 200 and "priv-p" in [r["room_id"] for r in mine.json()["rooms"]], mine.text
    assert encore in [r["room_id"] for r in mine.json()["rooms"]], "a show that only put her review on screen is found by her pseudonym"
    shown = json.dumps(await api.transcript(encore))
    assert "ana reviews" not in shown and "Ana" not in shown and "[removed]" in shown, shown

    for room in ROOMS:
        text = await _everything(api, n1, room)
        for hers in ("ana says hi", "ana asks about sizes", "ana reviews", '"ana"', "Ana", ",ana,"):
            assert hers not in text, (room, hers)
        assert f"ben says hi in {room}" in text and f"ben asks about colours in {room}" in text and '"ben"' in text
        assert "[removed]" in text and "erased: [removed]" in text, "her messages stay in place, as [removed]"
        after = await _numbers(api, room)
        assert after[0] == before[room][0], "analytics do not move"
        assert after[1:] == before[room][1:], "sales and order amounts do not move"
    _audit(n0, encore, *ROOMS)
    left = await _export(api, bearer(token("ana", "*")), "me")
    assert (left["rooms"], left["reviews"], left["follows"]) == ([], [], []), "nothing names her any more"
    assert set(_rooms(await _export(api, ADMIN, "ben"))) == set(ROOMS), "Ben's data is all there"
    for c in (sessions["priv-p"]["ben"], sessions["priv-q"]["ben"]):
        await c.close()
    await api.http.aclose()
