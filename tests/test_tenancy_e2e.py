"""Every merchant's rooms, orders and people are theirs alone (docs/security.md).

Brand A runs a live room with a reservation in it. Brand B's host, staff, moderator,
affiliate and API key each try every endpoint and every staff command on it; each is
refused, and afterwards the room, its orders and its transcript are exactly as before.
"""

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.harness import Api, Client, LiveServer, bearer, eventually, token

KEYS = {"key-a": "brandA", "key-b": "brandB"}
CATALOG = [{"id": "tee", "sku": "TEE", "title": "Batik tee", "price": 150000, "currency": "IDR", "stock": 50}]
A_STAFF = bearer(token("a-staff", "*", "brand", brand="brandA"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("tenancy"), LIVE_BRAND_API_KEYS=orjson.dumps(KEYS).decode(), LIVE_COMMANDS_PER_SECOND="1000", LIVE_COMMAND_BURST="1000").start()
    yield srv
    srv.stop()


# Brand B's people, each with the widest token their role can have.
ATTACKERS = {
    "host": {"authorization": f"Bearer {token('hostB', '*', 'host', brand='brandB')}"},
    "brand staff": {"authorization": f"Bearer {token('b-staff', '*', 'brand', brand='brandB')}"},
    "moderator": {"authorization": f"Bearer {token('modB', '*', 'moderator', brand='brandB')}"},
    "affiliate": {"authorization": f"Bearer {token('affB', '*', 'affiliate', brand='brandB')}"},
    "brandless host": {"authorization": f"Bearer {token('hostA', '*', 'host', brand='brandB')}"},  # A's host's id, B's token
    "API key": {"x-api-key": "key-b"},
}


async def _shop(api: Api) -> tuple[Client, int]:
    """Brand A's live room 'shopA' hosted by hostA, with Ana's reservation; (host client, reservation id)."""
    assert (await api.http.put("/v1/catalog/brandA/products", json=CATALOG, headers=A_STAFF)).status_code == 200
    created = await api.http.post("/v1/rooms", json={"id": "shopA", "title": "A's show", "host_id": "hostA"}, headers=A_STAFF)
    assert created.status_code == 201 and created.json()["brand_id"] == "brandA", created.text
    assert (await api.http.post("/v1/rooms/shopA/live", headers=bearer(token("hostA", "shopA", "host")))).status_code == 200
    url = api.server.ws_url("shopA")
    host = await Client.join(url, token("hostA", "shopA", "host", brand="brandA"))
    assert host.welcome is not None and host.welcome["you"]["role"] == "host"
    offer = await host.request("offer.create", product_id="tee", units=5, duration_seconds=600)
    assert offer["ok"], offer
    ana = await Client.join(url, token("ana", "shopA"))
    await ana.request("chat.post", text="Is it cotton?")
    claim = await ana.request("offer.claim", offer_id=offer["result"]["offer_id"], units=1, key="k1")
    assert claim["ok"], claim
    await ana.close()
    return host, claim["result"]["reservation_id"]


async def _snapshot(api: Api) -> tuple[Any, ...]:
    room = (await api.http.get("/v1/rooms/shopA")).json()
    orders = (await api.http.get("/v1/rooms/shopA/orders", headers={"x-api-key": "key-a"})).json()["orders"]
    transcript = await api.transcript("shopA")
    return room["status"], room["seq"], [(o["reservation_id"], o["status"]) for o in orders], [(e["seq"], e["type"]) for e in transcript]


async def test_another_brands_people_cannot_touch_the_room(server: LiveServer, api: Api) -> None:
    host, reservation = await _shop(api)
    before = await eventually(lambda: _snapshot(api), lambda snap: snap[2] == [(reservation, "reserved")])  # persisted

    attempts = [
        ("POST", "/v1/rooms/shopA/live", None),
        ("POST", "/v1/rooms/shopA/end", None),
        ("GET", "/v1/rooms/shopA/orders", None),
        ("GET", "/v1/rooms/shopA/sales", None),
        ("GET", "/v1/rooms/shopA/webhooks", None),
        ("POST", f"/v1/rooms/shopA/orders/{reservation}/confirm", None),
        ("POST", f"/v1/rooms/shopA/orders/{reservation}/cancel", None),
        ("GET", "/v1/rooms/shopA/replay", None),
        ("GET", "/v1/rooms/shopA/export.csv", None),
        ("GET", "/v1/rooms/shopA/analytics", None),
        ("GET", "/v1/brands/brandA/sessions", None),
        ("PUT", "/v1/catalog/brandA/products", CATALOG),
        ("POST", "/v1/rooms", {"id": "squat", "title": "Under A's name", "brand_id": "brandA", "host_id": "hostA"}),
    ]
    for who, headers in ATTACKERS.items():
        for method, path, body in attempts:
            r = await api.http.request(method, path, json=body, headers=headers)
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", (who, method, path, r.status_code, r.text)

    # A person's data: a brand reads and erases it only in its own rooms (B has none of Ana's); others are refused.
    for who, headers in ATTACKERS.items():
        for method in ("GET", "DELETE"):
            r = await api.http.request(method, "/v1/users/ana/data", headers=headers)
            assert r.status_code == 403 or (r.status_code == 200 and r.json()["rooms"] == []), (who, method, r.status_code, r.text)
            assert r.status_code == 403 or who in ("brand staff", "API key"), (who, method)

    # Over the socket: each joins as a viewer at most, and every staff command is refused.
    for who, role, brand in [("hostB", "host", "brandB"), ("b-staff", "brand", "brandB"), ("modB", "moderator", "brandB"), ("affB", "affiliate", "brandB")]:
        c = await Client.join(server.ws_url("shopA"), token(who, "*", role, brand=brand))
        assert c.welcome is not None and c.welcome["you"]["role"] == "viewer", (who, c.welcome)
        assert "sales" not in c.welcome, "no staff view for another brand"
        for command, fields in [
            ("mod.ban", {"user_id": "ana"}),
            ("mod.slow_mode", {"seconds": 30}),
            ("chat.delete", {"message_id": before[3][-1][0]}),
            ("product.pin", {"product_id": "tee"}),
            ("offer.create", {"product_id": "tee", "units": 1}),
            ("offer.end", {"offer_id": 1}),
            ("order.cancel", {"reservation_id": reservation}),
        ]:
            reply = await c.request(command, **fields)
            assert not reply["ok"] and reply["error"]["code"] in ("forbidden", "not_found"), (who, command, reply)
        await c.close()

    # The room's own host runs the show but does not settle its brand's orders (HTTP refuses it too).
    refused = await host.request("order.cancel", reservation_id=reservation)
    assert not refused["ok"] and refused["error"]["code"] == "forbidden", refused
    # Anyone else is refused before a reservation is looked up: another's is not told apart from none.
    ben = await Client.join(server.ws_url("shopA"), token("ben", "shopA"))
    for rid in (reservation, reservation + 1000):
        assert (await ben.request("order.cancel", reservation_id=rid))["error"]["code"] == "forbidden", rid
    await ben.close()

    assert await _snapshot(api) == before, "state, orders and transcript unchanged"

    # The owner still can: its API key confirms, its staff read the sales.
    paid = await api.http.post(f"/v1/rooms/shopA/orders/{reservation}/confirm", headers={"x-api-key": "key-a"})
    assert paid.status_code == 200, paid.text
    await eventually(lambda: api.http.get("/v1/rooms/shopA/sales", headers=A_STAFF), lambda r: r.json()["total"]["units"] == 1)
    await host.close()


async def test_rooms_are_created_only_for_the_callers_own_tenant(api: Api) -> None:
    host_b = bearer(token("hostB", "*", "host", brand="brandB"))
    naming_other_host = await api.http.post("/v1/rooms", json={"title": "x", "host_id": "someone"}, headers=host_b)
    assert naming_other_host.status_code == 403
    own = await api.http.post("/v1/rooms", json={"id": "b-own", "title": "B's show"}, headers=host_b)
    assert own.status_code == 201 and own.json()["brand_id"] == "brandB" and own.json()["host_id"] == "hostB", own.text
    for_a_host = await api.http.post("/v1/rooms", json={"id": "b-staffed", "title": "B's", "host_id": "hostB2"}, headers=bearer(token("b-staff", "*", "brand", brand="brandB")))
    assert for_a_host.status_code == 201 and for_a_host.json()["host_id"] == "hostB2"
    viewer = await api.http.post("/v1/rooms", json={"title": "x"}, headers=bearer(token("v", "*", "viewer", brand="brandB")))
    assert viewer.status_code == 403


async def test_an_affiliate_sees_only_their_own_sales(server: LiveServer, api: Api) -> None:
    assert (await api.http.put("/v1/catalog/brandA/products", json=CATALOG, headers=A_STAFF)).status_code == 200
    assert (await api.http.post("/v1/rooms", json={"id": "affs", "title": "Affs", "host_id": "hostA"}, headers=A_STAFF)).status_code == 201
    assert (await api.http.post("/v1/rooms/affs/live", headers=bearer(token("hostA", "affs", "host")))).status_code == 200
    url = server.ws_url("affs")
    host = await Client.join(url, token("hostA", "affs", "host"))
    offer = (await host.request("offer.create", product_id="tee", units=5, duration_seconds=600))["result"]["offer_id"]
    for buyer, ref in (("b1", "aff1"), ("b2", "aff2")):
        c = await Client.join(url, token(buyer, "affs", ref=ref))
        assert (await c.request("offer.claim", offer_id=offer, units=1, key=f"k-{buyer}"))["ok"]
        await c.close()
    mine = await eventually(lambda: api.http.get("/v1/rooms/affs/sales", headers=bearer(token("aff1", "affs", "affiliate"))), lambda r: r.status_code != 200 or r.json()["orders"] == 1)
    assert mine.status_code == 200, mine.text
    assert list(mine.json()["affiliates"]) == ["aff1"] and mine.json()["total"]["reserved_units"] == 1
    assert (await api.http.get("/v1/rooms/affs/orders", headers=bearer(token("aff1", "affs", "affiliate")))).status_code == 403
    everyone = await eventually(lambda: api.http.get("/v1/rooms/affs/sales", headers=A_STAFF), lambda r: r.json()["orders"] == 2)
    assert sorted(everyone.json()["affiliates"]) == ["aff1", "aff2"]
    await host.close()


async def test_a_person_and_a_brand_that_share_an_id_are_two_tenants(server: LiveServer, api: Api) -> None:
    """The host "shared" (no brand) and the brand "shared" each keep their own catalog, reviews and rooms."""
    brand = bearer(token("shared-staff", "*", "brand", brand="shared"))
    person = bearer(token("shared", "*", "host"))
    assert (await api.http.put("/v1/catalog/shared/products", json=CATALOG, headers=brand)).status_code == 200
    # The person is refused the brand's catalog and review queue...
    assert (await api.http.put("/v1/catalog/shared/products", json=[CATALOG[0] | {"price": 1}], headers=person)).status_code == 403
    assert (await api.http.get("/v1/brands/shared/reviews", headers=person)).status_code == 403
    # ...and sells from their own, at their own price, in their own brandless room.
    assert (await api.http.put("/v1/catalog/@shared/products", json=[CATALOG[0] | {"price": 99000}], headers=person)).status_code == 200
    assert [p["price"] for p in (await api.http.get("/v1/catalog/shared/products")).json()["products"]] == [150000]
    created = await api.http.post("/v1/rooms", json={"id": "shared-person", "title": "Mine"}, headers=person)
    assert created.status_code == 201 and created.json()["brand_id"] is None, created.text
    assert (await api.http.post("/v1/rooms/shared-person/live", headers=person)).status_code == 200
    host = await Client.join(server.ws_url("shared-person"), token("shared", "shared-person", "host"))
    offer = await host.request("offer.create", product_id="tee", units=3, duration_seconds=600)
    assert offer["ok"], offer
    offered = await host.wait_for(lambda: next((m["offer"] for m in host.messages if m["type"] == "offer.created"), None))
    assert offered["price"] == 99000, "the person's own catalog, not the brand's"
    # The brand is refused the person's room and its orders.
    assert (await api.http.get("/v1/rooms/shared-person/orders", headers=brand)).status_code == 403
    assert (await api.http.post("/v1/rooms/shared-person/end", headers=brand)).status_code == 403
    assert (await api.http.get("/v1/rooms/shared-person/orders", headers=person)).status_code == 200
    # A brand id may not be written as a person's.
    assert (await api.http.get("/v1/brands/@shared/reviews", headers=bearer(token("x", "*", "brand", brand="@shared")))).status_code == 401
    await host.close()
