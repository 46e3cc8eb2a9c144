"""Checkout handoff: every order transition and offer end goes to the merchant, signed.

Messages follow the Standard Webhooks convention (standardwebhooks.com): headers
``webhook-id`` (unique per message; deduplicate on it), ``webhook-timestamp`` and
``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``), and a
body ``{"type", "timestamp", "data"}``. Types: ``order.reserved``, ``order.paid``,
``order.cancelled``, ``order.expired``, ``offer.ended`` (an auction's winner gets
``order.reserved`` with ``auction_id``). The secret is
``whsec_<base64>`` as the convention has it (any other string is used as the raw key).

The merchant may answer ``order.reserved`` with ``{"checkout_url": "https://…"}``: the
buyer's link to pay, handed to the room (``on_checkout``) as an ``order.checkout`` command,
so it reaches the buyer, privately, on every node. Scheduled rooms send ``room.reminder``
before they start and ``room.live`` when they go live, each listing the followers of the
room's brand and host to notify (filled in when sent, ``with_followers``).

Delivery is at least once, in order per room: the persister writes each message to the
outbox in the same transaction as the entry that caused it (``outbox_row``); the room's
lease holder sends what is due and records every attempt (``GET …/webhooks`` shows
them); a failed attempt is retried after a jittered exponential backoff (0.5 s doubling
to a minute) until it goes through.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from redis.backoff import ExponentialWithJitterBackoff
from standardwebhooks.webhooks import Webhook

from live import metrics
from live.coord.leases import Leases
from live.errors import ServerError
from live.store import Store
from rooms.checkout import url_problem
from rooms.commands import Entry
from rooms.events import Event, OfferEnded, OrderChanged, OrderReserved, RoomStatusChanged
from rooms.types import RoomId

OnCheckout = Callable[[RoomId, int, str], Awaitable[None]]  # (room, reservation, the merchant's link)

logger = logging.getLogger("live.webhooks")

POLL_SECONDS = 0.25
BATCH = 100
TIMEOUT_SECONDS = 5.0
REMIND_SECONDS = 1.0  # how often scheduled rooms are looked at for reminders due


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
        case RoomStatusChanged(status="live"):
            kind, data = "room.live", {}  # followers are listed when it is sent
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


def checkout_url(response: httpx.Response) -> str | None:
    """The buyer's link in the merchant's answer to ``order.reserved``, if it gave a usable one."""
    try:
        url = response.json().get("checkout_url") if response.content else None
    except (ValueError, AttributeError):
        return None
    if isinstance(url, str) and url_problem(url) is None:
        return url
    if url is not None:
        logger.warning("the merchant's checkout_url is not an http(s) URL of up to 2000 characters; ignored")
    return None


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


async def with_followers(store: Store, payload: dict[str, Any]) -> dict[str, Any]:
    """A scheduled show's message with the followers to notify: of its brand and of its host."""
    if payload["type"] not in ("room.live", "room.reminder"):
        return payload
    data = payload["data"]
    room = await store.get_room(data["room_id"])
    if room is None:
        return payload
    targets = [("brand", room["brand_id"])] if room["brand_id"] else []
    users, total = await store.followers([*targets, ("host", room["host_id"])])
    extra = {"title": room["title"], "brand_id": room["brand_id"], "host_id": room["host_id"], "starts_at": room["starts_at"], "followers": users, "followers_total": total}
    return payload | {"data": data | extra}


class Webhooks:
    def __init__(self, store: Store, leases: Leases, *, url: str, secret: str, public_url: str, on_checkout: OnCheckout | None = None, reminder_leads: list[int] | None = None) -> None:
        self._store, self._leases, self._on_checkout = store, leases, on_checkout
        self._leads = reminder_leads or []
        self._url, self._hook, self._public_url = url, signer(secret), public_url.rstrip("/")
        self._backoff = ExponentialWithJitterBackoff(cap=60.0, base=0.5)
        self._task: asyncio.Task[None] | None = None
        self._reminding: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._reminding = asyncio.get_running_loop().create_task(self._remind())

    async def stop(self) -> None:
        for task in (self._task, self._reminding):
            if task is not None:
                task.cancel()
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

    async def _remind(self) -> None:
        """Reminders of scheduled shows into the outbox, a lead time before each starts."""
        while self._leads:
            try:
                await self._store.schedule_reminders(int(time.time() * 1000), self._leads)
            except Exception:
                logger.exception("scheduling reminders failed; will retry")
            await asyncio.sleep(REMIND_SECONDS)

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
            payload = await with_followers(self._store, with_links(message["payload"], self._public_url))
            response = await send(self._client, self._url, self._hook, message["id"], payload)
            status = response.status_code
            ok = 200 <= status < 300
            error, outcome = (None, "ok") if ok else (f"HTTP {status}", "http_error")
            if ok and message["type"] == "order.reserved" and self._on_checkout is not None and (link := checkout_url(response)):
                data = message["payload"]["data"]
                await self._on_checkout(RoomId(data["room_id"]), int(data["reservation_id"]), link)
        except ServerError as exc:  # the room could not take the link now: the message goes again
            ok, error, outcome = False, f"checkout link not handed over: {exc.message}", "network_error"
        except httpx.HTTPError as exc:
            ok, error, outcome = False, f"{type(exc).__name__}: {exc}", "network_error"
            logger.warning("webhook to the merchant failed: %s", error)
        metrics.WEBHOOK_SECONDS.observe(time.perf_counter() - started)
        metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()
        wait_ms = int(self._backoff.compute(message["attempts"] + 1) * 1000)
        await self._store.webhook_attempt(message["id"], delivered_at=now if ok else None, next_at=now + wait_ms, status=status, error=error)
        return ok
