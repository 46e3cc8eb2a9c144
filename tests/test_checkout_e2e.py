"""A checkout the buyer can finish, end to end on three nodes over one Redis: the merchant's
link reaches its buyer only, on every connection they have, with the countdown; their
orders are listed and follow paid and expired in real time."""

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Api, Client, Cluster, LiveServer, RedisServer, bearer, eventually, free_port, token

SECRET = "whsec_" + base64.b64encode(b"the merchant's webhook key, 32 bytes").decode()
FAST = {"LIVE_COMMANDS_PER_SECOND": "1000", "LIVE_COMMAND_BURST": "1000"}
CATALOG = [{"id": "tee", "sku": "TEE-1", "title": "Black tee", "price": 150000, "currency": "IDR", "image_url": "https://cdn.example/tee.jpg"}]


class Checkout:
    """The merchant's checkout: answers each order.reserved with the buyer's payment link."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        checkout = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                message = json.loads(self.rfile.read(int(self.headers["content-length"])))
                checkout.messages.append(message)
                data = message["data"]
                body = json.dumps({"checkout_url": f"https://pay.example/s/{data['room_id']}/{data['reservation_id']}"}).encode() if message["type"] == "order.reserved" else b""
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def checkout() -> Iterator[Checkout]:
    c = Checkout()
    yield c
    c.close()


@pytest.fixture
def cluster(tmp_path: Path, checkout: Checkout) -> Iterator[Cluster]:
    redis = RedisServer(tmp_path, aof=False).start()
    hooks = {"LIVE_WEBHOOK_URL": f"http://127.0.0.1:{checkout.port}/hooks", "LIVE_WEBHOOK_SECRET": SECRET}
    c = Cluster(tmp_path, redis, 3, **FAST, **hooks).start()
    yield c
    c.stop()
    redis.stop()


async def open_shop(api: Api, room: str, **opts: Any) -> None:
    brand = bearer(token("acme", "*", "brand"))
    assert (await api.http.put("/v1/catalog/acme/products", json=CATALOG, headers=brand)).status_code == 200
    r = await api.http.post("/v1/rooms", json={"id": room, "title": "Drop", "brand_id": "acme", "host_id": "host1", **opts}, headers=brand)
    assert r.status_code == 201, r.text
    assert (await api.http.post(f"/v1/rooms/{room}/live", headers=bearer(token("host1", room, "host")))).status_code == 200


async def me(client: Client) -> dict[str, Any]:
    """The ``me`` message that follows a signed-in user's welcome."""
    found: dict[str, Any] = await client.wait_for(lambda: next((m for m in client.messages if m["type"] == "me"), None))
    return found


def private(client: Client) -> list[dict[str, Any]]:
    return [m for m in client.messages if m["type"].startswith("order.")]


async def test_the_checkout_link_reaches_only_its_buyer_on_every_node(cluster: Cluster, checkout: Checkout) -> None:
    n0, n1, n2 = cluster.nodes
    api = Api(n0)
    await open_shop(api, "drop", reservation_seconds=3)
    host = await Client.join(n1.ws_url("drop"), token("host1", "drop", "host"))
    ana_phone = await Client.join(n0.ws_url("drop"), token("ana", "drop"))
    ana_laptop = await Client.join(n2.ws_url("drop"), token("ana", "drop"), "msgpack")
    others = [await Client.join(n.ws_url("drop"), token(f"v{i}", "drop"), fmt) for i, n in enumerate(cluster.nodes) for fmt in ("json", "msgpack")]
    for c in (ana_phone, ana_laptop, *others):
        mine = await me(c)
        assert mine["orders"] == [] and mine["following"] == {"brand": False, "host": False}
    offer = await host.request("offer.create", product_id="tee", units=5, price=99000, per_buyer_limit=3, duration_seconds=120)
    claim = await ana_phone.request("offer.claim", offer_id=offer["result"]["offer_id"], units=2, key="ana-1")
    assert claim["ok"], claim
    rid = claim["result"]["reservation_id"]
    link = f"https://pay.example/s/drop/{rid}"

    for ana in (ana_phone, ana_laptop):  # both of her connections, on two nodes
        placed = (await ana.wait_for(lambda a=ana: [m for m in private(a) if m["type"] == "order.placed"]))[0]
        assert (placed["order"]["reservation_id"], placed["order"]["units"], placed["order"]["title"]) == (rid, 2, "Black tee")
        assert placed["order"]["expires_at"] == claim["result"]["expires_at"], "the countdown runs to the reservation's end"
        ready = (await ana.wait_for(lambda a=ana: [m for m in private(a) if m["type"] == "order.checkout"]))[0]
        assert ready["checkout_url"] == link and ready["expires_at"] == claim["result"]["expires_at"] and ready["user_id"] == "ana"

    # A later connection of hers gets it with her orders; nobody else ever gets it.
    again = await Client.join(n1.ws_url("drop"), token("ana", "drop"))
    assert [(o["reservation_id"], o["checkout_url"], o["status"]) for o in (await me(again))["orders"]] == [(rid, link, "reserved")]
    await host.request("chat.post", text="after the link")  # every node has folded past it
    for c in (host, *others):
        await c.wait_for(lambda c=c: "after the link" in c.chat_texts())
        assert not private(c), "no order event reaches anyone but its buyer"
        assert "pay.example" not in json.dumps(c.messages, default=str)
    late = await Client.join(n2.ws_url("drop"), token("v9", "drop"))
    assert "pay.example" not in json.dumps(late.messages, default=str)

    # Her orders over HTTP, with the link; another viewer's list is empty.
    mine = await eventually(lambda: api.http.get("/v1/me/orders", headers=bearer(token("ana", "drop"))), lambda r: r.json()["orders"] and r.json()["orders"][0]["checkout_url"] == link)
    assert [(o["room_id"], o["units"], o["title"], o["status"]) for o in mine.json()["orders"]] == [("drop", 2, "Black tee", "reserved")]
    assert (await api.http.get("/v1/me/orders", headers=bearer(token("v0", "drop")))).json()["orders"] == []

    # Paid: to her, privately, on both nodes.
    paid = await api.http.post(f"/v1/rooms/drop/orders/{rid}/confirm", headers=bearer(token("acme", "*", "brand")))
    assert paid.status_code == 200
    for ana in (ana_phone, ana_laptop, again):
        await ana.wait_for(lambda a=ana: any(m["type"] == "order.paid" and m["reservation_id"] == rid for m in private(a)))

    # A second reservation she never pays expires, and she is told.
    second = await ana_laptop.request("offer.claim", offer_id=offer["result"]["offer_id"], units=1, key="ana-2")
    rid2 = second["result"]["reservation_id"]
    for ana in (ana_phone, ana_laptop):
        await ana.wait_for(lambda a=ana: any(m["type"] == "order.expired" and m["reservation_id"] == rid2 for m in private(a)), timeout=15)
    await eventually(lambda: api.http.get("/v1/me/orders", headers=bearer(token("ana", "*"))), lambda r: [o["status"] for o in r.json()["orders"]] == ["expired", "paid"])
    for c in (host, *others):
        assert not private(c)
    for c in (host, ana_phone, ana_laptop, again, late, *others):
        await c.close()
    await api.http.aclose()


async def test_a_template_gives_the_link_at_once_and_the_merchant_may_set_it(tmp_path: Path) -> None:
    templates = json.dumps({"acme": "https://shop.example/checkout?order={order_id}&sku={product_id}"})
    srv = LiveServer(tmp_path, LIVE_CHECKOUT_URL_TEMPLATES=templates, **FAST).start()
    api = Api(srv)
    try:
        await open_shop(api, "tpl")
        host = await Client.join(srv.ws_url("tpl"), token("host1", "tpl", "host"))
        ben = await Client.join(srv.ws_url("tpl"), token("ben", "tpl"))
        offer = await host.request("offer.create", product_id="tee", units=2)
        claim = await ben.request("offer.claim", offer_id=offer["result"]["offer_id"], key="b")
        rid = claim["result"]["reservation_id"]
        placed = (await ben.wait_for(lambda: [m for m in private(ben) if m["type"] == "order.placed"]))[0]
        assert placed["order"]["checkout_url"] == f"https://shop.example/checkout?order=tpl.{rid}&sku=tee"
        # The merchant may give another link over HTTP; a viewer may not.
        body = {"checkout_url": "https://pay.example/other"}
        assert (await api.http.post(f"/v1/rooms/tpl/orders/{rid}/checkout", json=body, headers=bearer(token("ben", "tpl")))).status_code == 403
        bad = await api.http.post(f"/v1/rooms/tpl/orders/{rid}/checkout", json={"checkout_url": "javascript:x"}, headers=bearer(token("acme", "*", "brand")))
        assert bad.status_code == 422
        ok = await api.http.post(f"/v1/rooms/tpl/orders/{rid}/checkout", json=body, headers=bearer(token("acme", "*", "brand")))
        assert ok.status_code == 200 and ok.json()["checkout_url"] == body["checkout_url"]
        await ben.wait_for(lambda: any(m["type"] == "order.checkout" and m["checkout_url"] == body["checkout_url"] for m in private(ben)))
        assert not private(host)
        for c in (host, ben):
            await c.close()
    finally:
        await api.http.aclose()
        srv.stop()


def test_a_bad_template_keeps_the_server_from_starting(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path, LIVE_CHECKOUT_URL_TEMPLATES=json.dumps({"acme": "https://x.example/{user_id}"}))
    try:
        with pytest.raises(RuntimeError, match="user_id"):
            srv.start()
    finally:
        srv.stop()
