"""Rooms that sell, end to end: catalog, pins, a flash offer, claims, orders, webhooks."""

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.harness import Api, Client, LiveServer, bearer, eventually, free_port, token

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"the merchant's webhook key, 32 bytes").decode()
CATALOG = [
    {"id": "tee", "sku": "TEE-BLK-M", "title": "Black tee", "price": 150000, "currency": "IDR", "stock": 500},
    {"id": "cap", "sku": "CAP-1", "title": "Cap", "description": "One size", "price": 1999, "currency": "USD", "image_url": "https://cdn.example/cap.jpg"},
]


class Receiver:
    """The merchant's checkout: records every webhook, fails the first ``fail_first`` attempts."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.attempts = 0
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.attempts += 1
                if receiver.attempts <= receiver.fail_first:
                    self.send_response(503)
                else:
                    receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver(fail_first=2) as r:
        yield r


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[LiveServer]:
    srv = LiveServer(
        tmp_path_factory.mktemp("shop"),
        LIVE_WEBHOOK_URL=f"http://127.0.0.1:{receiver.port}/checkout",
        LIVE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        LIVE_COMMANDS_PER_SECOND="1000",
        LIVE_COMMAND_BURST="1000",
    ).start()
    yield srv
    srv.stop()


async def open_shop(api: Api, room: str, **room_opts: Any) -> None:
    r = await api.http.put("/v1/catalog/acme/products", json=CATALOG, headers=bearer(token("acme", "*", "brand")))
    assert r.status_code == 200 and r.json() == {"imported": 2, "errors": []}, r.text
    r = await api.http.post("/v1/rooms", json={"id": room, "title": "Drop", "brand_id": "acme", "host_id": "host1", **room_opts}, headers=bearer(token("acme", "*", "brand")))
    assert r.status_code == 201, r.text
    assert (await api.http.post(f"/v1/rooms/{room}/live", headers=bearer(token("host1", room, "host")))).status_code == 200


async def test_catalog_import_reports_bad_rows(shop: LiveServer) -> None:
    api = Api(shop)
    csv_body = "id,sku,title,price,currency,stock\nmug,MUG-1,Mug,45000,IDR,10\nbad id,X,,-5,idr,\nbag,BAG-1,Bag,2500,USD,3\n"
    r = await api.http.put("/v1/catalog/acme2/products", content=csv_body, headers={"content-type": "text/csv", **bearer(token("acme2", "*", "brand"))})
    assert r.status_code == 200
    report = r.json()
    assert report["imported"] == 2 and [e["row"] for e in report["errors"]] == [2]
    assert {p["field"] for p in report["errors"][0]["errors"]} == {"id", "title", "price", "currency"}
    listed = (await api.http.get("/v1/catalog/acme2/products")).json()["products"]
    assert [(p["id"], p["price"], p["currency"]) for p in listed] == [("bag", 2500, "USD"), ("mug", 45000, "IDR")]
    # JSON rows are what the schema says: true is no price, "25" no stock (CSV, all text, is read as numbers).
    loose = [{"id": "hat", "sku": "HAT-1", "title": "Hat", "price": True, "currency": "IDR"}, {"id": "pin", "sku": "PIN-1", "title": "Pin", "price": 900, "currency": "IDR", "stock": "25"}, {"id": "cup", "sku": "CUP-1", "title": "Cup", "price": 1200, "currency": "IDR"}]
    r = await api.http.put("/v1/catalog/acme2/products", json=loose, headers=bearer(token("acme2", "*", "brand")))
    assert r.status_code == 200 and r.json()["imported"] == 1, r.text
    assert [(e["row"], [p["field"] for p in e["errors"]]) for e in r.json()["errors"]] == [(1, ["price"]), (2, ["stock"])]
    other = await api.http.put("/v1/catalog/acme2/products", json=CATALOG, headers=bearer(token("someone-else", "*", "brand")))
    assert other.status_code == 403
    await api.http.aclose()


async def test_a_flash_offer_sells_once_and_hands_off_to_checkout(shop: LiveServer, receiver: Receiver, room_id: str) -> None:
    api = Api(shop)
    await open_shop(api, room_id, reservation_seconds=6)
    url = shop.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana = await Client.join(url, token("ana", room_id, ref="aff-7"))
    ben = await Client.join(url, token("ben", room_id), "msgpack")

    assert (await host.request("product.pin", product_id="tee", highlight="Only today"))["ok"]
    assert (await host.request("product.pin", product_id="cap"))["ok"]
    missing = await host.request("product.pin", product_id="nope")
    assert missing["error"]["code"] == "not_found"
    offer = await host.request("offer.create", product_id="tee", units=3, price=99000, per_buyer_limit=2, duration_seconds=60)
    assert offer["ok"], offer
    offer_id = offer["result"]["offer_id"]
    denied = await ana.request("offer.create", product_id="tee", units=3)
    assert denied["error"]["code"] == "forbidden"

    a1 = await ana.request("offer.claim", offer_id=offer_id, units=2, key="ana-1")
    assert a1["ok"] and a1["result"]["units"] == 2 and a1["result"]["price"] == 99000 and a1["result"]["currency"] == "IDR"
    retry = await ana.request("offer.claim", offer_id=offer_id, units=2, key="ana-1")
    assert retry["result"]["reservation_id"] == a1["result"]["reservation_id"] and retry["result"]["repeated"]
    over = await ana.request("offer.claim", offer_id=offer_id, units=1, key="ana-2")
    assert over["error"]["code"] == "limit_reached"
    b1 = await ben.request("offer.claim", offer_id=offer_id, units=1, key="ben-1")
    assert b1["ok"]
    sold = await host.request("offer.claim", offer_id=offer_id, units=1, key="host-1")
    assert sold["error"]["code"] == "sold_out"
    for c, who in ((host, "host1"), (ana, "ana"), (ben, "ben")):
        await c.wait_for(lambda c=c: c.events("offer.sold_out"))
        assert c.events("offer.stock")[-1]["available"] == 0
        assert all(m["user_id"] == who for m in c.messages if m["type"].startswith("order.")), "orders are not broadcast: each goes to its buyer"

    # A late joiner sees the pinned products and the current stock.
    late = await Client.join(url, token("cy", room_id))
    room = late.welcome["room"]  # type: ignore[index]
    assert [(p["product"]["id"], p["highlight"]) for p in room["pinned_products"]] == [("tee", "Only today"), ("cap", None)]
    assert room["offers"][0]["available"] == 0 and room["offers"][0]["reserved"] == 3

    # Both reservations reach the checkout, signed (Standard Webhooks), despite the receiver's first failures.
    wanted = {a1["result"]["reservation_id"], b1["result"]["reservation_id"]}

    def reserved(deliveries: list[tuple[dict[str, str], bytes]]) -> dict[int, dict[str, Any]]:
        return {p["data"]["reservation_id"]: p for _, b in deliveries if (p := json.loads(b))["type"] == "order.reserved"}

    await eventually(lambda: asyncio.sleep(0, receiver.deliveries), lambda d: set(reserved(d)) >= wanted, timeout=5)
    assert receiver.attempts > len(receiver.deliveries) >= 2
    for headers, body in receiver.deliveries:
        assert Webhook(WEBHOOK_SECRET).verify(body, headers) == json.loads(body)
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + base64.b64encode(b"another merchant's key").decode()).verify(body, headers)
    assert len({h["webhook-id"] for h, _ in receiver.deliveries}) == len(receiver.deliveries), "one id per message: deduplicate on it"
    ana_order = reserved(receiver.deliveries)[a1["result"]["reservation_id"]]["data"]
    assert (ana_order["user_id"], ana_order["units"], ana_order["price"], ana_order["currency"], ana_order["affiliate_id"]) == ("ana", 2, 99000, "IDR", "aff-7")

    # The merchant confirms Ana's through the link it was sent; Ben's is never confirmed and
    # expires: its unit comes back to stock, through the log, with nobody else acting.
    merchant = bearer(token("acme", room_id, "brand"))
    paid = await api.http.post(ana_order["confirm_url"], headers=merchant)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    twice = await api.http.post(f"/v1/rooms/{room_id}/orders/{a1['result']['reservation_id']}/confirm", headers=merchant)
    assert twice.status_code == 409
    await late.wait_for(lambda: any(m["available"] == 1 for m in late.events("offer.stock")), timeout=10)
    assert (await ben.request("order.cancel", reservation_id=b1["result"]["reservation_id"]))["error"]["code"] == "conflict"

    orders = await eventually(lambda: api.http.get(f"/v1/rooms/{room_id}/orders", headers=merchant), lambda r: [o["status"] for o in r.json()["orders"]] == ["paid", "expired"])
    rows = orders.json()["orders"]
    assert [(o["user_id"], o["units"], o["affiliate_id"]) for o in rows] == [("ana", 2, "aff-7"), ("ben", 1, None)]
    # Every transition reached the checkout too, in the order the room's log made them.
    ana_id, ben_id = a1["result"]["reservation_id"], b1["result"]["reservation_id"]
    expected = [("order.reserved", ana_id), ("order.reserved", ben_id), ("order.paid", ana_id), ("order.expired", ben_id)]

    def transitions() -> list[tuple[str, int]]:
        return [(p["type"], p["data"]["reservation_id"]) for _, b in receiver.deliveries if (p := json.loads(b))["type"].startswith("order.")]

    await eventually(lambda: asyncio.sleep(0, transitions()), lambda t: sorted(t, key=expected.index) == t and set(t) == set(expected), timeout=10)
    # The receiver has them; the server records each delivery once the answer is back.
    delivered = {("order.reserved", True), ("order.paid", True), ("order.expired", True)}
    response = await eventually(
        lambda: api.http.get(f"/v1/rooms/{room_id}/webhooks", headers=merchant), lambda r: {(m["type"], m["delivered_at"] is not None) for m in r.json()["webhooks"]} >= delivered
    )
    log = response.json()["webhooks"]
    assert any(m["attempts"] > 1 and m["last_status"] == 200 for m in log), "the early failures were retried"
    assert (await api.http.get(f"/v1/rooms/{room_id}/orders", headers=bearer(token("ana", room_id)))).status_code == 403
    summary = (await api.http.get(f"/v1/rooms/{room_id}/sales", headers=merchant)).json()
    assert summary["total"]["units"] == 2 and summary["total"]["revenue"] == {"IDR": 198000}
    assert summary["affiliates"]["aff-7"]["revenue"] == {"IDR": 198000} and summary["products"]["tee"]["units"] == 2

    # The host watched the affiliate's sales live; viewers never see them.
    def aff7() -> dict[str, Any] | None:
        updates = [m for m in host.events("sales.updated") if m["affiliate_id"] == "aff-7"]
        return updates[-1] if updates else None

    await host.wait_for(lambda: (u := aff7()) is not None and u["units"] == 2)
    final = aff7()
    assert final is not None and (final["units"], final["reserved_units"], final["revenue"]) == (2, 0, {"IDR": 198000})
    assert not any(m["type"] == "sales.updated" for c in (ana, ben, late) for m in c.messages)
    console = await Client.join(url, token("mod1", room_id, "moderator"))
    assert console.welcome["sales"]["aff-7"] == {"units": 2, "reserved_units": 0, "revenue": {"IDR": 198000}}  # type: ignore[index]
    assert "sales" not in late.welcome  # type: ignore[operator]
    await console.close()
    for c in (host, ana, ben, late):
        await c.close()
    await api.http.aclose()
