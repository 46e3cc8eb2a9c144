"""Checkout handoff: every order transition and offer end goes to the merchant, signed.

Messages follow the Standard Webhooks convention (standardwebhooks.com): headers
``webhook-id`` (unique per message; deduplicate on it), ``webhook-timestamp`` and
``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``), and a
body ``{"type", "timestamp", "data"}``. Types: ``order.reserved``, ``order.paid``,
``order.cancelled``, ``order.expired``, ``offer.ended`` (an auction's winner gets
``order.reserved`` with ``auction_id``). The secret is
``whsec_<base64>`` as the convention has it (any other string is used as the raw key).

Delivery is at least once, in order per room: the persister writes each message to the
outbox in the same transaction as the entry that caused it (``outbox_row``); the room's
lease holder sends what is due and records every attempt (``GET …/webhooks`` shows
them); a failed attempt is retried after a jittered exponential backoff (0.5 s doubling
to a minute) until it goes through.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from redis.backoff import ExponentialWithJitterBackoff
from standardwebhooks.webhooks import Webhook

from live import metrics
from live.coord.leases import Leases
from live.store import Store
from rooms.commands import Entry
from rooms.events import Event, OfferEnded, OrderChanged, OrderReserved
from rooms.types import RoomId

logger = logging.getLogger("live.webhooks")

POLL_SECONDS = 0.25
BATCH = 100
TIMEOUT_SECONDS = 5.0


def signer(secret: str) -> Webhook:
    """The Standard Webhooks signer for a secret (``whsec_<base64>``, or any string as the raw key)."""
    return Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())


def outbox_row(room: RoomId, entry: Entry, idx: int, event: Event) -> dict[str, Any] | None:
    """The message an event sends the merchant, as an outbox row; None if it sends none."""
    match event:
        case OrderReserved(reservation=r):
            kind = "order.reserved"
            data: dict[str, Any] = {"reservation_id": r.id, "offer_id": r.offer_id, "product_id": r.product_id, "user_id": r.user_id, "units": r.units}
            data |= {"price": r.price, "currency": r.currency, "affiliate_id": r.affiliate_id, "expires_at": r.expires_at, "idempotency_key": r.key}
            if r.auction_id is not None:
                data["auction_id"] = r.auction_id  # an auction's winner: offer_id is the auction's id too
        case OrderChanged(reservation_id=rid, status=status, by=by):
            kind, data = f"order.{status}", {"reservation_id": rid, "status": str(status), "by": by}
        case OfferEnded(offer_id=offer, reason=reason):
            kind, data = "offer.ended", {"offer_id": offer, "reason": str(reason)}
        case _:
            return None
    stamp = datetime.fromtimestamp(entry.ts / 1000, UTC).isoformat().replace("+00:00", "Z")
    payload = {"type": kind, "timestamp": stamp, "data": {"room_id": room, "seq": entry.seq, **data}}
    return {"id": f"msg_{room}_{entry.seq}_{idx}", "room_id": room, "type": kind, "seq": entry.seq, "payload": payload, "created_at": entry.ts, "next_at": 0}


def with_links(payload: dict[str, Any], public_url: str) -> dict[str, Any]:
    """An order message with the links the merchant's checkout calls back."""
    data = payload["data"]
    if payload["type"] == "order.reserved":
        base = f"{public_url}/v1/rooms/{data['room_id']}/orders/{data['reservation_id']}"
        payload = payload | {"data": data | {"confirm_url": base + "/confirm", "cancel_url": base + "/cancel"}}
    return payload


async def send(client: httpx.AsyncClient, url: str, hook: Webhook, message_id: str, payload: dict[str, Any]) -> httpx.Response:
    """One signed delivery (also what ``live webhook test`` sends)."""
    body = orjson.dumps(payload).decode()
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": hook.sign(message_id, now, body),
    }
    return await client.post(url, content=body, headers=headers)


class Webhooks:
    def __init__(self, store: Store, leases: Leases, *, url: str, secret: str, public_url: str) -> None:
        self._store, self._leases = store, leases
        self._url, self._hook, self._public_url = url, signer(secret), public_url.rstrip("/")
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
                pending = await self._store.webhooks_pending(BATCH)
                held = await self._leases.hold(sorted({RoomId(m["room_id"]) for m in pending}))
                by_room: dict[str, list[dict[str, Any]]] = {}
                for message in pending:
                    if message["room_id"] in held:
                        by_room.setdefault(message["room_id"], []).append(message)
                now = int(time.time() * 1000)
                due = [messages for messages in by_room.values() if messages[0]["next_at"] <= now]  # a room waits on its oldest
                await asyncio.gather(*(self._deliver_in_order(messages) for messages in due))
            except Exception:
                logger.exception("webhook round failed; will retry")

    async def _deliver_in_order(self, messages: list[dict[str, Any]]) -> None:
        """A room's messages one at a time: one that fails holds back the later ones."""
        for message in messages:
            if not await self._deliver(message):
                return

    async def _deliver(self, message: dict[str, Any]) -> bool:
        now = int(time.time() * 1000)
        status: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            response = await send(self._client, self._url, self._hook, message["id"], with_links(message["payload"], self._public_url))
            status = response.status_code
            ok = 200 <= status < 300
            error, outcome = (None, "ok") if ok else (f"HTTP {status}", "http_error")
        except httpx.HTTPError as exc:
            ok, error, outcome = False, f"{type(exc).__name__}: {exc}", "network_error"
            logger.warning("webhook to the merchant failed: %s", error)
        metrics.WEBHOOK_SECONDS.observe(time.perf_counter() - started)
        metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()
        wait_ms = int(self._backoff.compute(message["attempts"] + 1) * 1000)
        await self._store.webhook_attempt(message["id"], delivered_at=now if ok else None, next_at=now + wait_ms, status=status, error=error)
        return ok
