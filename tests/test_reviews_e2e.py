"""Verified-buyer reviews end to end on three nodes over one Redis: a paid buyer reviews,
and the pinned product shows it on every node; the public API names authors by pseudonym."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Api, Client, Cluster, LiveServer, RedisServer, bearer, eventually, token

FAST = {"LIVE_COMMANDS_PER_SECOND": "1000", "LIVE_COMMAND_BURST": "1000"}
CATALOG = [{"id": "tee", "sku": "TEE-1", "title": "Black tee", "price": 150000, "currency": "IDR"}]
BRAND = bearer(token("acme", "*", "brand"))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    redis = RedisServer(tmp_path, aof=False).start()
    c = Cluster(tmp_path, redis, 3, **FAST).start()
    yield c
    c.stop()
    redis.stop()


def reviews_of(client: Client) -> dict[str, Any] | None:
    """The pinned tee's review summary as this viewer has it now."""
    updates = client.events("product.reviews")
    if updates:
        return dict(updates[-1]["reviews"])
    pins = client.events("product.pinned")
    return dict(pins[-1]["reviews"]) if pins else None


async def test_a_paid_buyer_reviews_and_every_node_shows_it(cluster: Cluster) -> None:
    n0, n1, n2 = cluster.nodes
    api = Api(n0)
    assert (await api.http.put("/v1/catalog/acme/products", json=CATALOG, headers=BRAND)).status_code == 200
    assert (await api.http.post("/v1/rooms", json={"id": "rv", "title": "Tees", "brand_id": "acme", "host_id": "host1"}, headers=BRAND)).status_code == 201
    assert (await api.http.post("/v1/rooms/rv/live", headers=bearer(token("host1", "rv", "host")))).status_code == 200
    host = await Client.join(n1.ws_url("rv"), token("host1", "rv", "host"))
    ana = await Client.join(n0.ws_url("rv"), token("ana", "rv", name="Ana"))
    viewers = [await Client.join(n.ws_url("rv"), token(f"v{i}", "rv")) for i, n in enumerate(cluster.nodes)]
    assert (await host.request("product.pin", product_id="tee"))["ok"]
    for v in viewers:
        await v.wait_for(lambda v=v: (r := reviews_of(v)) is not None and r["count"] == 0)

    offer = await host.request("offer.create", product_id="tee", units=3)
    claim = await ana.request("offer.claim", offer_id=offer["result"]["offer_id"], key="a")
    rid = claim["result"]["reservation_id"]
    review = {"stars": 5, "text": "Soft and true to size", "photo_url": "https://img.example/ana-tee.jpg"}
    ana_http = bearer(token("ana", "rv", name="Ana"))
    unpaid = await api.http.post(f"/v1/rooms/rv/orders/{rid}/review", json=review, headers=ana_http)
    assert unpaid.status_code == 409 and unpaid.json()["error"]["code"] == "conflict"
    assert (await api.http.post(f"/v1/rooms/rv/orders/{rid}/confirm", headers=BRAND)).status_code == 200

    # Through a third node, which learns the order from SQL.
    api2 = Api(n2)
    assert (await api2.http.post(f"/v1/rooms/rv/orders/{rid}/review", json=review, headers=bearer(token("ben", "rv")))).status_code in (403, 409)
    other_room = await api2.http.post(f"/v1/rooms/rv/orders/{rid}/review", json=review, headers=bearer(token("ana", "elsewhere", name="Ana")))
    assert other_room.status_code == 403, "a token for one room is that room's only"
    http_photo = await api2.http.post(f"/v1/rooms/rv/orders/{rid}/review", json=review | {"photo_url": "http://img.example/x.jpg"}, headers=ana_http)
    assert http_photo.status_code in (409, 422)
    made = await eventually(lambda: api2.http.post(f"/v1/rooms/rv/orders/{rid}/review", json=review, headers=ana_http), lambda r: r.status_code != 409 or "already" in r.text)
    assert made.status_code == 201, made.text
    posted = made.json()["review"]
    assert posted["stars"] == 5 and posted["author"]["name"] == "Ana" and posted["author"]["id"].startswith("u_") and posted["verified"]
    again = await api2.http.post(f"/v1/rooms/rv/orders/{rid}/review", json=review, headers=ana_http)
    assert again.status_code == 409 and "already" in again.json()["error"]["message"]
    not_hers = await api2.http.post(f"/v1/rooms/rv/orders/{rid}/review", json=review, headers=bearer(token("ben", "rv")))
    assert not_hers.status_code == 403

    # Every node's viewers see the pinned product's average, count and newest review.
    for v in (host, ana, *viewers):
        await v.wait_for(lambda v=v: (r := reviews_of(v)) is not None and r["count"] == 1)
        shown = reviews_of(v)
        assert shown is not None and shown["average"] == 5.0 and shown["stars"] == [0, 0, 0, 0, 1]
        assert shown["newest"][0]["text"] == "Soft and true to size" and shown["newest"][0]["author"]["id"] == posted["author"]["id"]
        assert '"ana"' not in json.dumps(shown), "the author is named by display name and pseudonym, never the platform id"
    late = await Client.join(n2.ws_url("rv"), token("late", "rv"))
    assert late.welcome is not None and late.welcome["room"]["pinned_products"][0]["reviews"]["count"] == 1

    # Helpful, once each; the public reviews API for the merchant's product pages.
    mark = await api.http.post(f"/v1/reviews/{posted['id']}/helpful", headers=bearer(token("v1", "rv")))
    assert mark.json() == {"review_id": posted["id"], "helpful": 1, "marked": True}
    twice = await api2.http.post(f"/v1/reviews/{posted['id']}/helpful", headers=bearer(token("v1", "*")))
    assert twice.json() == {"review_id": posted["id"], "helpful": 1, "marked": False}
    assert (await api.http.post(f"/v1/reviews/{posted['id']}/helpful", headers=ana_http)).status_code == 422
    assert (await api.http.post(f"/v1/reviews/{posted['id']}/helpful")).status_code == 401
    public = (await api.http.get("/v1/brands/acme/products/tee/reviews", params={"sort": "helpful"})).json()
    assert (public["count"], public["average"], public["next_offset"]) == (1, 5.0, None)
    assert public["reviews"][0]["helpful"] == 1 and public["reviews"][0]["photo_url"] == review["photo_url"]
    assert (await api.http.get("/v1/brands/acme/products/tee/reviews", params={"sort": "best"})).status_code == 422

    # The host puts it on screen; a viewer may not.
    assert (await viewers[0].request("review.spotlight", review_id=posted["id"]))["error"]["code"] == "forbidden"
    assert (await host.request("review.spotlight", review_id=9999))["error"]["code"] == "not_found"
    assert (await host.request("review.spotlight", review_id=posted["id"]))["ok"]
    for v in viewers:
        lit = await v.wait_for(lambda v=v: v.events("review.spotlighted"))
        assert lit[0]["review"]["text"] == "Soft and true to size"

    # The brand hides it: gone from the pinned product everywhere, and from the API.
    assert (await api.http.post(f"/v1/reviews/{posted['id']}/moderate", json={"status": "hidden"}, headers=bearer(token("v1", "*")))).status_code == 403
    hidden = await api.http.post(f"/v1/reviews/{posted['id']}/moderate", json={"status": "hidden"}, headers=BRAND)
    assert hidden.status_code == 200 and hidden.json()["rooms_updated"] == 1
    for v in viewers:
        await v.wait_for(lambda v=v: (r := reviews_of(v)) is not None and r["count"] == 0)
    assert (await api.http.get("/v1/brands/acme/products/tee/reviews")).json()["count"] == 0
    listed = (await api.http.get("/v1/brands/acme/reviews", params={"status": "hidden"}, headers=BRAND)).json()["reviews"]
    assert [(r["id"], r["status"], r["reservation_id"]) for r in listed] == [(posted["id"], "hidden", rid)]
    assert (await api.http.get("/v1/brands/acme/reviews", headers=bearer(token("v1", "*")))).status_code == 403

    # The session's analytics count its reviews.
    stats = await eventually(lambda: api.http.get("/v1/rooms/rv/analytics", headers=BRAND), lambda r: r.status_code == 200)
    assert stats.json()["reviews"] == {"count": 1, "published": 0, "held": 0, "hidden": 1, "average": 5.0}

    # Published again, then the buyer asks to be erased: the review stays counted, its words go.
    assert (await api.http.post(f"/v1/reviews/{posted['id']}/moderate", json={"status": "published"}, headers=BRAND)).status_code == 200
    assert (await api.http.delete("/v1/users/ana/data", headers=BRAND)).status_code in (200, 202)
    listed = await eventually(lambda: api.http.get("/v1/brands/acme/products/tee/reviews"), lambda r: r.json()["reviews"][0]["text"] != review["text"])
    [kept] = listed.json()["reviews"]
    assert (kept["stars"], kept["text"], kept["author"]["name"], kept["photo_url"]) == (5, "[removed]", "erased", None)
    for c in (host, ana, late, *viewers):
        await c.close()
    await api.http.aclose()
    await api2.http.aclose()


async def test_a_review_automatic_moderation_holds_waits_for_the_brand(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path, **FAST).start()
    api = Api(srv)
    try:
        assert (await api.http.put("/v1/catalog/acme/products", json=CATALOG, headers=BRAND)).status_code == 200
        assert (await api.http.put("/v1/brands/acme/automod", json={"held_words": ["knockoff"]}, headers=BRAND)).status_code == 200
        assert (await api.http.post("/v1/rooms", json={"id": "mod", "title": "Tees", "brand_id": "acme", "host_id": "host1"}, headers=BRAND)).status_code == 201
        assert (await api.http.post("/v1/rooms/mod/live", headers=bearer(token("host1", "mod", "host")))).status_code == 200
        host = await Client.join(srv.ws_url("mod"), token("host1", "mod", "host"))
        cy = await Client.join(srv.ws_url("mod"), token("cy", "mod"))
        offer = await host.request("offer.create", product_id="tee", units=2)
        rid = (await cy.request("offer.claim", offer_id=offer["result"]["offer_id"], key="c"))["result"]["reservation_id"]
        assert (await api.http.post(f"/v1/rooms/mod/orders/{rid}/confirm", headers=BRAND)).status_code == 200
        made = await api.http.post(f"/v1/rooms/mod/orders/{rid}/review", json={"stars": 1, "text": "a knockoff, not the real thing"}, headers=bearer(token("cy", "mod")))
        assert made.status_code == 201 and made.json()["status"] == "held"
        assert (await api.http.get("/v1/brands/acme/products/tee/reviews")).json()["count"] == 0, "held: shown nowhere"
        [queued] = (await api.http.get("/v1/brands/acme/reviews", headers=BRAND)).json()["reviews"]
        assert queued["status"] == "held" and queued["reasons"] == ["word_list"]
        assert (await api.http.post(f"/v1/reviews/{queued['id']}/moderate", json={"status": "published"}, headers=BRAND)).status_code == 200
        assert (await api.http.get("/v1/brands/acme/products/tee/reviews")).json()["count"] == 1
        # A busy brand's queue comes a page at a time, oldest first; the published ones newest first.
        queued_ids = []
        for n in range(5):
            buyer = await Client.join(srv.ws_url("mod"), token(f"b{n}", "mod"))
            more = await host.request("offer.create", product_id="tee", units=1)
            rid = (await buyer.request("offer.claim", offer_id=more["result"]["offer_id"], key=f"b{n}"))["result"]["reservation_id"]
            await buyer.close()
            assert (await api.http.post(f"/v1/rooms/mod/orders/{rid}/confirm", headers=BRAND)).status_code == 200
            made = await api.http.post(f"/v1/rooms/mod/orders/{rid}/review", json={"stars": 2, "text": f"knockoff number {n}"}, headers=bearer(token(f"b{n}", "mod")))
            queued_ids.append(made.json()["review"]["id"])
        pages = [(await api.http.get(f"/v1/brands/acme/reviews?limit=2&offset={o}", headers=BRAND)).json()["reviews"] for o in (0, 2, 4)]
        assert [r["id"] for page in pages for r in page] == queued_ids, "held: oldest first, each once across the pages"
        for rid in queued_ids[:2]:
            assert (await api.http.post(f"/v1/reviews/{rid}/moderate", json={"status": "published"}, headers=BRAND)).status_code == 200
        published = (await api.http.get("/v1/brands/acme/reviews?status=published&limit=2", headers=BRAND)).json()["reviews"]
        assert [r["id"] for r in published] == [queued_ids[1], queued_ids[0]], "published: newest first"
        for c in (host, cy):
            await c.close()
    finally:
        await api.http.aclose()
        srv.stop()
