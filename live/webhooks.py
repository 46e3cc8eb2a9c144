"""Checkout handoff: each reservation goes to the merchant as a signed webhook.

Delivery is at least once: the state lives in the ``orders`` table (attempts,
delivered at, next try), each room's webhooks are sent by the node holding the room's
lease, and a failed attempt is tried again after a jittered exponential backoff until
it succeeds or the reservation is no longer ``reserved``. Merchants deduplicate by the
``X-Live-Delivery`` header (room and reservation id).

Signature: ``X-Live-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
A merchant recomputes it over the raw body and refuses timestamps more than five
minutes old (see docs/api.md).
"""

import asyncio
import hashlib
import hmac
import logging
import time
from typing import Any

import httpx
import orjson
from redis.backoff import ExponentialWithJitterBackoff

from live.coord.leases import Leases
from live.store import Store
from rooms.types import RoomId

logger = logging.getLogger("live.webhooks")

POLL_SECONDS = 0.25
BATCH = 100
TIMEOUT_SECONDS = 5.0


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: int, tolerance: int = 300) -> bool:
    """What a merchant does with a delivery (the tests use it too)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, parts.get("v1", ""))


class Webhooks:
    def __init__(self, store: Store, leases: Leases, *, url: str, secret: str, public_url: str) -> None:
        self._store, self._leases = store, leases
        self._url, self._secret, self._public_url = url, secret, public_url.rstrip("/")
        self._backoff = ExponentialWithJitterBackoff(cap=60.0, base=0.5)
        self._task: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                due = await self._store.webhooks_due(int(time.time() * 1000), BATCH)
                held = await self._leases.hold(sorted({RoomId(o["room_id"]) for o in due}))
                mine = [o for o in due if o["room_id"] in held]
                await asyncio.gather(*(self._deliver(o) for o in mine))
            except Exception:
                logger.exception("webhook round failed; will retry")

    def payload(self, order: dict[str, Any]) -> bytes:
        base = f"{self._public_url}/v1/rooms/{order['room_id']}/orders/{order['reservation_id']}"
        body = {k: order[k] for k in ("room_id", "reservation_id", "offer_id", "product_id", "user_id", "units", "price", "currency", "affiliate_id", "expires_at")}
        return orjson.dumps({"type": "order.reserved", **body, "confirm_url": base + "/confirm", "cancel_url": base + "/cancel"})

    async def _deliver(self, order: dict[str, Any]) -> None:
        body = self.payload(order)
        headers = {
            "content-type": "application/json",
            "x-live-signature": sign(self._secret, body, int(time.time())),
            "x-live-delivery": f"{order['room_id']}:{order['reservation_id']}",
        }
        now = int(time.time() * 1000)
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError as exc:
            logger.warning("webhook to merchant failed: %s", exc)
            ok = False
        wait_ms = int(self._backoff.compute(order["webhook_attempts"] + 1) * 1000)
        await self._store.webhook_result(order["room_id"], order["reservation_id"], delivered_at=now if ok else None, next_at=now + wait_ms)
