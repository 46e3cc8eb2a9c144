"""This process's view of the rooms it serves: opens each room on demand, once.

A room is open while it has local viewers (or a request to serve) and closes after
it has had none for ``room_idle_seconds``, so a node does no work for rooms it does
not serve. A room the log has no history for is seeded from SQL (after a restart of
the embedded server, or a Redis that lost it), or created empty for a new room.
"""

import asyncio
import contextlib
import gc
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from live import auth
from live.auth import Verifier
from live.backends import Backends
from live.coord.presence import Reports
from live.enrich import BrandModerators
from live.errors import CloseCode
from live.limits import WINDOW_MS, Limits
from live.log.base import RESEED_GRACE_MS
from live.log.serde import entries_from_dicts, state_to_dict
from live.notify import Recipients, deliver
from live.persister import Persister
from live.room.fanout import Fanout
from live.room.runtime import RoomRuntime
from live.settings import Settings
from live.simulator import Audience, Rates
from live.store import Store
from rooms.analytics import refold
from rooms.commands import Entry, RoomTick
from rooms.events import Event
from rooms.state import RoomState, Status
from rooms.types import RoomId

logger = logging.getLogger("live.node")

RETENTION_RUN_SECONDS = 3600.0
READY_CHECK_SECONDS = 2.0
GC_FREEZE_SECONDS = 5.0
GC_THAW_SECONDS = 600.0
GC_YOUNG_THRESHOLD = 10_000


class Node:
    def __init__(self, settings: Settings, backends: Backends, store: Store, persister: Persister) -> None:
        self.id = backends.node_id
        self.settings = settings
        self.verifier = Verifier(settings.hs_secret, jwks=settings.jwks, max_lifetime_seconds=settings.max_token_lifetime_seconds)
        self.room_log, self.leases, self.presence, self.usage = backends.log, backends.leases, backends.presence, backends.usage
        self._ping_backends = backends.ping
        self.draining = False  # set when shutdown begins: no longer ready for new viewers
        self.limits = Limits(settings)
        self.store = store
        self.brand_moderators = BrandModerators(store)  # who moderates all of a brand's rooms (live.enrich)
        self.persister = persister
        self.runtimes: dict[RoomId, RoomRuntime] = {}
        self.audiences: dict[RoomId, Audience] = {}  # simulated audiences this node runs (live.simulator)
        self.recipients = Recipients()  # members by user, for one user's events (the gateway keeps it)
        self._opening: dict[RoomId, asyncio.Lock] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._ticking: set[RoomId] = set()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._close_idle()),
            loop.create_task(self._signals()),
            loop.create_task(self._retention()),
            loop.create_task(self._collector()),
        ]

    async def _collector(self) -> None:
        """Keep CPython's full garbage collections off the fan-out.

        A full collection walks every tracked object, and thousands of connections are
        hundreds of thousands of them: at 5,000 viewers one took 0.3 s in mid-show and
        found nothing to free (measured: p99 latency 300 ms instead of 130 ms). Freezing
        moves what has survived so far out of the collector's sight. Frozen objects are
        still freed by reference counting; only cycles among them wait for the thaw, a
        deliberate full collection every ``GC_THAW_SECONDS``.
        """
        # Young collections every 700 allocations walked each message's short-lived objects
        # several times over (3 % of a small-rooms node); most are freed by refcount first.
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        thawed = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(GC_FREEZE_SECONDS)
            if asyncio.get_running_loop().time() - thawed >= GC_THAW_SECONDS:
                thawed = asyncio.get_running_loop().time()
                gc.unfreeze()
                gc.collect()
            gc.freeze()

    async def _retention(self) -> None:
        while True:
            try:
                await purge_expired(self.store, self.settings.retention_days)
            except Exception:
                logger.exception("retention run failed; will retry")
            await asyncio.sleep(RETENTION_RUN_SECONDS)

    async def _signals(self) -> None:
        """Edge-aggregated signals for the open rooms, a few times a second, in one round trip.

        Each node shares its rooms' viewer counts and reactions through presence;
        a room's total is the sum of live nodes' reports, and other nodes' reactions are
        shown to this node's viewers along with its own. A tick visits only the rooms that
        are stirred: reactions or a changed share from another node (which asks for the
        total again), an entry folded (its next deadline may have moved) or a simulated
        audience (``EdgeSignals.stirred``), members come, gone or thinned (``Fanout.stirred``,
        kept while any are thinned). A quiet room costs two flag checks a tick and nothing
        on the backend; the node's heartbeat is one call whatever it serves, and when the
        live nodes change every room is visited and reported again.
        """
        interval = self.settings.presence_interval_ms / 1000
        heartbeat = self.presence.heartbeat_seconds
        deadlines: dict[RoomId, int] = {}  # the visited rooms' next deadlines (a fold stirs the room)
        loop = asyncio.get_running_loop()
        sampled = loop.time()
        beat = -math.inf
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            if now - sampled >= self.settings.sample_seconds:
                sampled = now
                await self._sample()
            sweep = False
            if heartbeat is not None and now - beat >= heartbeat:
                beat = now
                with contextlib.suppress(ConnectionError):
                    sweep = await self.presence.heartbeat()
            rooms = list(self.runtimes.values()) if sweep else [rt for rt in self.runtimes.values() if rt.signals.stirred or rt.fanout.stirred]
            reports: Reports = {}
            for rt in rooms:
                if (report := rt.signals_to_report(sweep)) is not None:
                    reports[rt.room_id] = report
                if (deadline := rt.next_deadline()) is None:
                    deadlines.pop(rt.room_id, None)
                else:
                    deadlines[rt.room_id] = deadline
            try:
                totals = await self.presence.report(reports)
            except ConnectionError:
                totals = {}
                for rt in rooms:
                    if rt.room_id in reports:
                        rt.signals.stirred = rt.signals.recount = True  # reported again at the next tick
            for rt in rooms:
                if (total := totals.get(rt.room_id)) is not None:
                    rt.signals.total, rt.signals.reported = total, reports[rt.room_id][0]
                rt.show_signals()
            await self._share_usage()
            await self._tick_due(deadlines)

    async def _share_usage(self) -> None:
        """Commands per user and address, summed over the nodes: over the cap is refused everywhere."""
        if counts := self.limits.take_counts():
            with contextlib.suppress(ConnectionError):  # then each node limits what it sees itself
                self.limits.apply_totals(await self.usage.add(counts, WINDOW_MS))

    async def _sample(self) -> None:
        """Record edge signals for analytics: the lease holder samples viewers and reactions;
        every node records who joined through it."""
        rooms = list(self.runtimes.values())
        try:
            held = await self.leases.hold([rt.room_id for rt in rooms])
        except ConnectionError:
            return
        now = int(time.time() * 1000)
        samples, viewers = [], []
        for rt in rooms:
            if rt.room_id in held and rt.state.status is Status.LIVE and rt.state.rehearsal_of is None:
                samples.append({"room_id": rt.room_id, "ts": now, "viewers": rt.audience, "reactions": rt.signals.reactions_shown})
                rt.signals.reactions_shown = 0
            viewers += [{"room_id": rt.room_id, "user_id": u, "first_seen": ts} for u, ts in rt.signals.joined.items()]
            rt.signals.joined = {}
        try:
            await self.store.add_samples(samples, viewers)
        except Exception:
            logger.exception("could not record session samples")

    async def _tick_due(self, deadlines: dict[RoomId, int]) -> None:
        """Append a room.tick where a deadline has passed, so time rules act in a quiet room.

        Only the room's lease holder ticks, so a room gets one tick per deadline. The tick's
        fold stirs the room, and its next visit finds the next deadline.
        """
        now = int(time.time() * 1000)
        due = []
        for room_id in [r for r, d in deadlines.items() if d <= now and r not in self._ticking]:
            if (rt := self.runtimes.get(room_id)) is None:
                deadlines.pop(room_id)  # closed
            else:
                due.append(rt)
        if not due:
            return
        try:
            held = await self.leases.hold([rt.room_id for rt in due])
        except ConnectionError:
            return
        for rt in due:
            if rt.room_id in held:
                self._ticking.add(rt.room_id)
                task = asyncio.get_running_loop().create_task(rt.submit(auth.SYSTEM, RoomTick()))
                task.add_done_callback(self._ticked(rt.room_id))

    def _ticked(self, room_id: RoomId) -> "Callable[[asyncio.Task[Any]], None]":
        def done(task: "asyncio.Task[Any]") -> None:
            self._ticking.discard(room_id)
            if not task.cancelled() and task.exception() is not None:
                logger.warning("room %s: tick not appended (%s)", room_id, task.exception())

        return done

    async def runtime(self, room_id: RoomId, *, create: bool = False) -> RoomRuntime | None:
        """The room's runtime, opened from the log (seeded from SQL if the log lost it); None if unknown."""
        if (rt := self.runtimes.get(room_id)) is not None:
            return rt
        lock = self._opening.setdefault(room_id, asyncio.Lock())
        async with lock:
            if (rt := self.runtimes.get(room_id)) is not None:
                return rt
            rt = self._new_runtime(room_id)
            opened = await rt.open() or (await self._seed(room_id, create) and await (rt := self._new_runtime(room_id)).open())
            if not opened:
                self._opening.pop(room_id, None)  # probes of unknown rooms leave nothing behind
                return None
            self.runtimes[room_id] = rt
            return rt

    def _new_runtime(self, room_id: RoomId) -> RoomRuntime:
        s = self.settings
        fanout = Fanout(
            recent_events=s.recent_events,
            batch_window_ms=s.batch_window_ms,
            max_batch_window_ms=s.max_batch_window_ms,
            batch_viewers_per_ms=s.batch_viewers_per_ms,
            outbound_buffer_bytes=s.outbound_buffer_bytes,
            send_buffer_bytes=s.socket_send_buffer_bytes,
            stall_seconds=s.stall_seconds,
            totals_writes_per_second=s.totals_writes_per_second,
        )
        made: list[RoomRuntime] = []

        def folded(epoch: str, state: RoomState, entry: Entry, events: list[Event], bodies: dict[int, bytes]) -> None:
            self.persister.add(epoch, state, entry, events, bodies)
            deliver(made[0], entry, events, self.recipients)  # one user's events, to their connections here

        made.append(RoomRuntime(room_id, room_log=self.room_log, presence=self.presence, node_id=self.id, on_folded=folded, on_stale=self._stale, fanout=fanout))
        return made[0]

    async def _seed(self, room_id: RoomId, create: bool) -> bool:
        """Give the log a history for the room: the state folded from SQL, or empty if new.

        A room SQL knows whose log was lost (Redis came back empty) is reseeded only once
        the loss is ``RESEED_GRACE_MS`` old: by then every live node has written to SQL
        what it had folded of the lost history (``Persister.salvage``), so the new epoch
        starts after the last entry anyone acknowledged, and no seq is used twice.
        """
        persisted = await self.store.load_entries(room_id)
        if not persisted and not create:
            return False
        if persisted:
            while (lost := await self.room_log.lost_for(room_id)) and lost < RESEED_GRACE_MS:  # noqa: ASYNC110 - the clock is in Redis, shared by the nodes
                await asyncio.sleep((RESEED_GRACE_MS - lost) / 1000)
            persisted = await self.store.load_entries(room_id)  # with what the other nodes salvaged
        state, _ = refold(room_id, entries_from_dicts(persisted))
        epoch = await self.room_log.seed(room_id, (state.seq, state_to_dict(state)) if persisted else None)
        if persisted:
            await self.store.set_epoch(room_id, epoch)  # a late write of the old epoch is refused from now on
        return True

    def _stale(self, rt: RoomRuntime) -> None:
        """The log lost the room's history: salvage what we folded, then send viewers to reload."""
        if self.runtimes.get(rt.room_id) is rt:
            task = asyncio.get_running_loop().create_task(self._reset(rt))
            self._closing.add(task)  # keep a reference until it is done
            task.add_done_callback(self._closing.discard)

    async def _reset(self, rt: RoomRuntime) -> None:
        """1. no new opens meanwhile (the room's opening lock), 2. the room leaves this node,
        3. start the loss clock for every node, 4. what this node folded and SQL lacks is
        written now, 5. its viewers are told to reload (4010) and reopen it."""
        async with self._opening.setdefault(rt.room_id, asyncio.Lock()):
            if self.runtimes.get(rt.room_id) is not rt:
                return
            del self.runtimes[rt.room_id]
            with contextlib.suppress(ConnectionError):
                await self.room_log.lost_for(rt.room_id)
            await self.persister.salvage(rt.room_id)
        await rt.close(CloseCode.RELOAD, "the room's history was reset; reconnect")

    async def _close_idle(self) -> None:
        idle: dict[RoomId, float] = {}
        while True:
            await asyncio.sleep(self.settings.room_idle_seconds / 3)
            now = asyncio.get_running_loop().time()
            for room_id, rt in list(self.runtimes.items()):
                if rt.viewer_count or rt.busy:
                    idle.pop(room_id, None)
                elif now - idle.setdefault(room_id, now) >= self.settings.room_idle_seconds:
                    idle.pop(room_id)
                    await self.persister.flush()  # what it folded is written before it goes
                    if self.runtimes.get(room_id) is rt and not rt.viewer_count:
                        del self.runtimes[room_id]
                        self._opening.pop(room_id, None)
                        await rt.close()

    async def ready(self) -> dict[str, bool]:
        """What readiness depends on: the database (answering, migrated), the shared backend, not draining."""
        checks = {"accepting": not self.draining}
        try:
            checks["database"] = await asyncio.wait_for(self.store.ready(), READY_CHECK_SECONDS)
        except Exception:
            checks["database"] = False
        try:
            await asyncio.wait_for(self._ping_backends(), READY_CHECK_SECONDS)
            checks["backend"] = True
        except Exception:
            checks["backend"] = False
        return checks

    def start_audience(self, rt: RoomRuntime, rates: Rates, seed: int | None = None) -> Audience:
        """A simulated audience in this room, on this node (one per room: a new one replaces it)."""
        if (old := self.audiences.pop(rt.room_id, None)) is not None:
            old.stop()
        audience = self.audiences[rt.room_id] = Audience(rt, rates, seed)
        audience.start()
        return audience

    async def close(self) -> None:
        self.draining = True
        for task in self._tasks:
            task.cancel()
        for audience in self.audiences.values():
            audience.stop()
        for rt in list(self.runtimes.values()):
            with contextlib.suppress(Exception):
                await rt.close()
        self.runtimes.clear()


async def purge_expired(store: Store, retention_days: dict[str, int]) -> dict[str, list[str]]:
    """Apply each brand's retention (``*``: every other brand and the brandless rooms): the
    sessions purged, per brand."""
    now = int(time.time() * 1000)
    named = [b for b in retention_days if b != "*"]
    return {brand: await store.purge(None if brand == "*" else brand, now - days * 86_400_000, others_than=named) for brand, days in retention_days.items()}
