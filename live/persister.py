"""Writes each room's folded log to SQL afterwards, in batches, idempotently.

Every runtime hands over each entry it folds with all its events. Every
persist interval (or sooner when a batch fills) the rooms whose lease this node holds
are written in one transaction; there is one such node per room across the cluster
(memory backend: this one). Entries SQL already has are skipped, and the inserts are
idempotent by ``(room, seq)``, so a takeover or a retry never doubles anything.
A node without the lease keeps what it folded since the last persisted seq, so it can
take over from exactly there; if it cannot (it opened the room from a newer snapshot),
it rebuilds that stretch by folding SQL's entries and the log's. A failed write keeps
the batch and retries with backoff. When a room's end entry is persisted, its log is
trimmed after a snapshot of the ended state; the lease holder also leaves a fresh
snapshot every few seconds for nodes that open the room.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from live import metrics
from live.coord.leases import Leases
from live.log.base import RoomLog
from live.log.serde import entries_from_dicts, entry_json, state_to_json
from live.store import Batch, Store
from live.store.base import RawJSON
from live.webhooks import outbox_row
from live.wire.codec import plain
from live.wire.server import EventMessage
from rooms.analytics import refold
from rooms.commands import Entry, PrivacyErase
from rooms.events import PRIVATE_TYPES, ChatDeleted, Event, OrderChanged, OrderReserved, ReservationView
from rooms.fold import fold
from rooms.shop_events import OrderCheckoutReady, OrderPlaced
from rooms.state import RoomState, Status
from rooms.types import RoomId

logger = logging.getLogger("live.persister")

MAX_BACKOFF_SECONDS = 10.0
SNAPSHOT_EVERY_SECONDS = 5.0  # per room: how stale a snapshot a node may open the room from


SALVAGE_TRIES = 6  # writing a lost log's tail: 0.2 s doubling, ~6 s in all


@dataclass
class _Pending:
    """What one room folded in one log epoch and SQL may not have yet, in seq order."""

    epoch: str
    state: RoomState
    items: list[tuple[Entry, list[Event]]] = field(default_factory=list)
    bodies: dict[int, dict[int, bytes]] = field(default_factory=dict)  # seq -> event index -> the JSON viewers got


class Persister:
    def __init__(self, store: Store, room_log: RoomLog, leases: Leases, *, interval_ms: int, batch: int, webhooks: bool = False) -> None:
        self._store = store
        self._webhooks = webhooks  # write the merchant's messages to the outbox
        self._room_log = room_log
        self._leases = leases
        self._interval = interval_ms / 1000
        self._batch_size = batch
        self._pending: dict[RoomId, _Pending] = {}
        self._writing: dict[RoomId, _Pending] = {}  # taken out of _pending while its write is under way
        self._persisted: dict[RoomId, int] = {}  # highest seq SQL has, per room
        self._snapshot_at: dict[RoomId, float] = {}
        self._members_written: dict[RoomId, dict[str, tuple[int, int]]] = {}  # user -> (points, badges) written
        self._count = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def add(self, epoch: str, state: RoomState, entry: Entry, events: list[Event], bodies: dict[int, bytes] | None = None) -> None:
        room = state.room_id
        if (old := self._pending.get(room)) is not None and old.epoch != epoch:
            # The log was lost and reseeded: what this node folded of the old epoch was
            # salvaged when it noticed (``salvage``); whatever is left must never be
            # written over the new epoch's seqs.
            logger.warning("room %s: dropping %d entries of a lost log epoch", room, len(old.items))
            del self._pending[room]
            self._forget(room)
        if entry.seq <= self._persisted.get(room, 0):
            return
        pending = self._pending.setdefault(room, _Pending(epoch, state))
        pending.state = state
        pending.items.append((entry, events))
        if bodies:
            pending.bodies[entry.seq] = bodies
        self._count += 1
        if self._count >= self._batch_size:
            self._wake.set()

    def start(self) -> None:
        # The running persister is the node's: its lag is read when /metrics is scraped.
        metrics.PERSIST_LAG_ENTRIES.set_function(self._lag_entries)
        metrics.PERSIST_LAG_SECONDS.set_function(self._lag_seconds)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _unwritten(self) -> list[_Pending]:
        return [*self._pending.values(), *self._writing.values()]

    def _lag_entries(self) -> float:
        return sum(len(p.items) for p in self._unwritten())

    def _lag_seconds(self) -> float:
        """Age of the oldest entry SQL lacks, by its log ``ts`` (0: none)."""
        oldest = min((p.items[0][0].ts for p in self._unwritten() if p.items), default=None)
        return 0.0 if oldest is None else max(0.0, time.time() - oldest / 1000)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.flush()

    async def _run(self) -> None:
        backoff = self._interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff)
            self._wake.clear()
            try:
                await self.flush()
                backoff = self._interval
            except Exception:
                metrics.PERSIST_FAILURES.inc()
                logger.exception("persisting failed; will retry")
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def flush_soon(self, *rooms: RoomId) -> None:
        """Flush now for a caller that wants it (room created or ended); failures are retried later.

        ``rooms`` are written even if another node holds their lease: a reply that promises
        the room's log is in SQL (``POST /end``, an erasure) cannot wait for that node's next flush.
        """
        try:
            await self.flush(frozenset(rooms))
        except Exception:
            metrics.PERSIST_FAILURES.inc()
            logger.exception("persisting failed; will retry")

    async def flush(self, force: frozenset[RoomId] = frozenset()) -> None:
        """Write what this node is the persister of (and the rooms in ``force``, lease or
        not), every such room in one transaction.

        Writing a room another node persists too is safe: both folded the same entries
        at the same seqs, and every row is idempotent. On failure it all stays pending
        for the next try.
        """
        async with self._lock:
            self._count = 0
            rooms = list(self._pending)
            if not rooms:
                return
            held = await self._leases.hold(rooms) | (force & set(rooms))
            others = [r for r in rooms if r not in held]
            self._persisted.update(await self._leases.marks(others))
            for room in rooms:
                if room not in self._persisted:
                    row = await self._store.get_room(room)
                    self._persisted[room] = row["persisted_seq"] if row else 0
                pending = self._pending[room]
                pending.items = [(e, m) for e, m in pending.items if e.seq > self._persisted[room]]
                if room in held and pending.items and pending.items[0][0].seq > self._persisted[room] + 1:
                    pending.items = await self._rebuild(room, self._persisted[room], pending.items[0][0].seq) + pending.items
                if not pending.items:
                    del self._pending[room]
            batch = {room: self._pending.pop(room) for room in rooms if room in held and room in self._pending}
            if batch:
                await self._write(batch)

    async def salvage(self, room: RoomId) -> None:
        """The room's log was lost: write what this node folded of it now, lease or not.

        Every node folded the same entries at the same seqs, so whichever writes first,
        the rows are the same. Nodes reseed a lost room only after ``RESEED_GRACE_MS``,
        so this comes first; SQL refuses it if the room was reseeded anyway (then, and
        if SQL stays down through every try, these entries are lost: docs/operations.md).
        """
        async with self._lock:
            pending = self._pending.pop(room, None)
            self._forget(room)
            if pending is None or not pending.items:
                return
            for attempt in range(SALVAGE_TRIES):
                try:
                    refused = await self._store.write_batch(self._rows({room: pending}))
                    break
                except Exception as exc:
                    logger.warning("room %s: salvage write failed (%r); retrying", room, exc)
                    await asyncio.sleep(0.2 * 2**attempt)
            else:
                refused = {room}
            self._forget(room)
        if refused:
            logger.error("room %s: %d entries of the lost log could not be kept", room, len(pending.items))
        else:
            logger.warning("room %s: log lost; wrote the %d entries this node had folded (seq %d..%d)", room, len(pending.items), pending.items[0][0].seq, pending.items[-1][0].seq)

    def _forget(self, room: RoomId) -> None:
        """What this node knew of the room's persisted state: SQL says it anew next time."""
        self._persisted.pop(room, None)
        self._members_written.pop(room, None)
        self._snapshot_at.pop(room, None)

    def _rows(self, batch: dict[RoomId, _Pending]) -> Batch:
        rows = _Rows(outbox=self._webhooks)
        for room, pending in batch.items():
            for entry, events in pending.items:
                rows.add(room, entry, events, pending.bodies.get(entry.seq), counted=pending.state.rehearsal_of is None)
            rows.rooms.append(_room_row(pending.state, pending.items[-1][0].seq, pending.epoch))
            rows.members += self._changed_members(room, pending.state)
        return Batch(
            rooms=rows.rooms,
            entries=rows.entries,
            events=rows.events,
            deletions=rows.deletions,
            new_orders=rows.new_orders,
            order_changes=rows.order_changes,
            order_links=rows.order_links,
            members=rows.members,
            webhooks=rows.webhooks,
            erasures=rows.erasures,
        )

    async def _write(self, batch: dict[RoomId, _Pending]) -> None:
        started, self._writing = time.perf_counter(), batch
        try:
            refused = await self._store.write_batch(self._rows(batch))
            metrics.PERSIST_SECONDS.observe(time.perf_counter() - started)
        except BaseException:
            for room, pending in batch.items():  # back in front of anything that came since
                self._members_written.pop(room, None)
                newer = self._pending.get(room)
                if newer is not None and newer.epoch != pending.epoch:
                    continue  # a new epoch came since: the old one's tail was salvaged or is refused
                if newer is not None:
                    pending.items += newer.items
                    pending.bodies |= newer.bodies
                    pending.state = newer.state
                self._pending[room] = pending
            raise
        finally:
            self._writing = {}
        for room in map(RoomId, refused):
            logger.error("room %s: SQL holds a newer log epoch; %d entries of an old one were not written", room, len(batch.pop(room).items))
            self._forget(room)
        marks: dict[RoomId, int] = {room: pending.items[-1][0].seq for room, pending in batch.items()}
        self._persisted.update(marks)
        await self._leases.mark(marks)
        now = time.monotonic()
        for room, pending in batch.items():
            state = pending.state
            if state.status is Status.ENDED and state.seq == marks[room]:
                await self._room_log.save_snapshot(room, state.seq, state_to_json(state))  # what the room reopens from
                await self._room_log.trim(room, marks[room])
            elif self._room_log.wants_snapshots and now - self._snapshot_at.setdefault(room, now) >= SNAPSHOT_EVERY_SECONDS:
                self._snapshot_at[room] = now
                await self._room_log.save_snapshot(room, state.seq, state_to_json(state))

    def _changed_members(self, room: RoomId, state: RoomState) -> list[dict[str, Any]]:
        """Members whose points or badges changed since this node last wrote them."""
        written = self._members_written.setdefault(room, {})
        out = []
        for user, points in state.points.items():
            badges = state.badges.get(user, [])
            if written.get(user) != (points, len(badges)):
                written[user] = (points, len(badges))
                out.append({"room_id": room, "user_id": user, "name": state.names.get(user, user), "points": points, "badges": list(badges)})
        return out

    async def _rebuild(self, room: RoomId, done: int, upto: int) -> list[tuple[Entry, list[Event]]]:
        """Events for entries done+1 .. upto-1, which this node folded from a snapshot."""
        logger.info("room %s: rebuilding entries %d..%d for persistence", room, done + 1, upto - 1)
        state, _ = refold(room, entries_from_dicts(await self._store.load_entries(room)))
        return [(entry, fold(state, entry)[1]) for entry in await self._room_log.read(room, done, upto - done - 1)]


@dataclass
class _Rows:
    """A batch being built: the fields of ``live.store.Batch``."""

    rooms: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deletions: list[tuple[str, int]] = field(default_factory=list)
    new_orders: list[dict[str, Any]] = field(default_factory=list)
    order_changes: list[dict[str, Any]] = field(default_factory=list)
    order_links: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    erasures: list[tuple[str, PrivacyErase, int]] = field(default_factory=list)
    outbox: bool = False  # whether the merchant's messages are written (webhooks configured)

    def add(self, room: RoomId, entry: Entry, events: list[Event], bodies: dict[int, bytes] | None = None, *, counted: bool = True) -> None:
        """One entry's rows: the entry, its public events (the transcript), orders, deletions, webhooks.

        ``bodies`` are the events' JSON as the fan-out encoded it, kept as they are (a
        rebuilt stretch has none, and is encoded here). A rehearsal (not ``counted``)
        keeps its log and transcript, never orders or the merchant's messages."""
        self.entries.append({"room_id": room, "seq": entry.seq, "ts": entry.ts, "body": RawJSON(entry_json(entry))})  # JSON once
        if isinstance(cmd := entry.command, PrivacyErase) and cmd.user_id != cmd.alias:
            self.erasures.append((room, cmd, entry.seq))
        for idx, event in enumerate(events):
            if not counted and isinstance(event, OrderReserved | OrderChanged | OrderPlaced | OrderCheckoutReady):
                continue
            if counted and self.outbox and (message := outbox_row(room, entry, idx, event)) is not None:
                self.webhooks.append(message)
            match event:
                case OrderReserved(reservation=r):
                    self.new_orders.append(_order_row(room, entry, r))
                case OrderChanged(reservation_id=rid, status=status):
                    self.order_changes.append({"room_id": room, "reservation_id": rid, "status": status, "seq": entry.seq, "ts": entry.ts})
                case OrderPlaced(order=order):  # the buyer's own (private): never in the transcript
                    if order.checkout_url:
                        self.order_links.append({"room_id": room, "reservation_id": order.reservation_id, "checkout_url": order.checkout_url})
                case OrderCheckoutReady(reservation_id=rid, checkout_url=url):
                    self.order_links.append({"room_id": room, "reservation_id": rid, "checkout_url": url})
                case _ if event.type in PRIVATE_TYPES:
                    pass  # one user's notice: not the room's record (a re-fold makes it again)
                case _:
                    body = RawJSON(bodies[idx]) if bodies and idx in bodies else plain(EventMessage(entry.seq, entry.ts, event))
                    self.events.append({"room_id": room, "seq": entry.seq, "idx": idx, "ts": entry.ts, "type": event.type, "body": body})
            if isinstance(event, ChatDeleted):
                self.deletions.append((room, event.message_id))


def _room_row(s: RoomState, persisted_seq: int, epoch: str) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "id": s.room_id,
        "title": s.title,
        "host_id": s.host_id,
        "brand_id": s.brand_id,
        "status": s.status.value,
        "starts_at": s.starts_at,
        "created_at": s.created_at,
        "went_live_at": s.went_live_at,
        "ended_at": s.ended_at,
        "message_count": s.message_count,
        "rehearsal_of": s.rehearsal_of,
        "persisted_seq": persisted_seq,
    }


def _order_row(room: RoomId, entry: Entry, r: ReservationView) -> dict[str, Any]:
    return {
        "room_id": room,
        "reservation_id": r.id,
        "offer_id": r.offer_id,
        "product_id": r.product_id,
        "user_id": r.user_id,
        "units": r.units,
        "price": r.price,
        "currency": r.currency,
        "affiliate_id": r.affiliate_id,
        "idempotency_key": r.key,
        "status": "reserved",
        "reserved_at": entry.ts,
        "expires_at": r.expires_at,
        "updated_seq": entry.seq,
        "updated_at": entry.ts,
    }
