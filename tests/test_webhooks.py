"""Messages to the merchant: which events send one, what it says, and how it is signed."""

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from live.webhooks import outbox_row, with_links
from rooms import commands as c
from rooms import events as e
from rooms.roles import Role
from rooms.statuses import EndReason, ReservationStatus
from rooms.types import Millis, RoomId, Seq, UserId
from tests.harness import ROOT, free_port

SECRET = "whsec_" + base64.b64encode(b"a merchant's signing key").decode()
ENTRY = c.Entry(seq=Seq(42), ts=Millis(1_795_500_000_000), actor=c.Actor(user_id=UserId("acme"), name="Acme", role=Role.BRAND), command=c.RoomTick())


def test_order_transitions_and_offer_ends_send_messages_other_events_do_not() -> None:
    paid = outbox_row(RoomId("r"), ENTRY, 1, e.OrderChanged(reservation_id=7, status=ReservationStatus.PAID, by=UserId("acme")))
    assert paid is not None and paid["id"] == "msg_r_42_1" and paid["type"] == "order.paid"
    assert paid["payload"] == {"type": "order.paid", "timestamp": "2026-11-24T06:00:00Z", "data": {"room_id": "r", "seq": 42, "reservation_id": 7, "status": "paid", "by": "acme"}}
    expired = outbox_row(RoomId("r"), ENTRY, 0, e.OrderChanged(reservation_id=8, status=ReservationStatus.EXPIRED))
    assert expired is not None and expired["type"] == "order.expired"
    ended = outbox_row(RoomId("r"), ENTRY, 0, e.OfferEnded(offer_id=5, reason=EndReason.TIME))
    assert ended is not None and ended["payload"]["data"] == {"room_id": "r", "seq": 42, "offer_id": 5, "reason": "time"}
    assert outbox_row(RoomId("r"), ENTRY, 0, e.ChatUnpinned(message_id=3)) is None


def test_a_reservation_message_carries_the_links_to_confirm_and_cancel() -> None:
    payload = {"type": "order.reserved", "timestamp": "…", "data": {"room_id": "r", "reservation_id": 9}}
    data = with_links(payload, "https://live.example")["data"]
    assert data["confirm_url"] == "https://live.example/v1/rooms/r/orders/9/confirm" and data["cancel_url"].endswith("/orders/9/cancel")
    assert "confirm_url" not in payload["data"], "the outbox row is left as it was"


@pytest.fixture
def checkout() -> Iterator[tuple[int, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(({k.lower(): v for k, v in self.headers.items()}, self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port, received
    server.shutdown()
    server.server_close()


def test_live_webhook_test_sends_a_sample_the_merchant_can_verify(checkout: tuple[int, list[tuple[dict[str, str], bytes]]]) -> None:
    port, received = checkout
    result = subprocess.run([sys.executable, "-m", "live.cli", "webhook", "test", f"http://127.0.0.1:{port}/hooks", "--secret", SECRET], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("204"), result.stdout + result.stderr
    [(headers, body)] = received
    assert Webhook(SECRET).verify(body, headers) == json.loads(body)
    assert json.loads(body)["type"] == "order.reserved" and headers["webhook-id"] == "msg_test_sample"
