"""One room as this node serves it: the coordinator of replica, fan-out and edge signals.

A command is appended to the log with an ``origin``; when its entry comes back folded
(through whichever path, subscription or catch-up), the waiting submitter is answered
with the fold's outcome. Each folded event is encoded once per wire format, kept for
resumes, and queued for the room's next frame.
"""

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

from live.coord.presence import Presence
from live.errors import CloseCode, EpochChanged, Unavailable
from live.log.base import RoomLog
from live.room.fanout import Fanout, Member
from live.room.frames import Buffered
from live.room.replica import Replica
from live.room.signals import EdgeSignals
from live.wire.codec import Format
from live.wire.server import EventMessage, ServerMessage, StaffView, Welcome, You
from rooms.cohosts import is_staff
from rooms.commands import Actor, Command, Entry, Rules
from rooms.conduct import new_words
from rooms.events import INTERNAL_TYPES, STAFF_TYPES, ChatMessage, Event, ModeratorAppointed, ModeratorDismissed
from rooms.fold import Outcome, check
from rooms.modevents import RulesChanged
from rooms.roles import SEES_SALES, Role
from rooms.shop_events import CohostJoined, CohostRemoved
from rooms.state import RoomState, Status
from rooms.types import Millis, RoomId, Seq, UserId

logger = logging.getLogger("live.room")
STAFF_CHANGES = (ModeratorAppointed, ModeratorDismissed, CohostJoined, CohostRemoved)
WATCHED = frozenset(cls.type for cls in (RulesChanged, *STAFF_CHANGES))  # events that change what members are told

SUBMIT_TIMEOUT_SECONDS = 10.0
DELIVERY_GRACE_SECONDS = 1.0  # an appended entry not delivered by then is read from the log
BACKEND_CALL_SECONDS = 2.0  # a goodbye to the backends (presence, unsubscribe) waits no longer

OnFolded = Callable[[str, RoomState, Entry, list[Event], dict[int, bytes]], None]  # (epoch, state, entry, its events, their JSON by index)
OnStale = Callable[["RoomRuntime"], None]


class RoomRuntime:
    def __init__(
        self,
        room_id: RoomId,
        *,
        room_log: RoomLog,
        presence: Presence,
        node_id: str,
        on_folded: OnFolded,
        on_stale: OnStale = lambda rt: None,
        fanout: Fanout | None = None,
    ) -> None:
        self.room_id = room_id
        self._room_log = room_log
        self._presence = presence
        self._node_id = node_id
        self._on_folded = on_folded  # the persister: every entry with all its events
        self._rules: Rules | None = None  # the rules in force as of the last entry applied
        self._on_stale = on_stale
        self.replica = Replica(room_id, room_log, self._applied)
        self.fanout = fanout or Fanout()
        self.signals = EdgeSignals()
        self._waiting: dict[str, asyncio.Future[Outcome]] = {}
        self._refs = itertools.count(1)
        self._deadline: tuple[int, Millis | None] = (-1, None)  # (at seq, the state's next deadline)
        self._simulated = 0

    @property
    def state(self) -> RoomState:
        return self.replica.state

    @property
    def epoch(self) -> str:
        return self.replica.epoch

    def next_deadline(self) -> Millis | None:
        """The state's next deadline, worked out again only when the state moved on."""
        seq = self.state.seq
        if self._deadline[0] != seq:
            self._deadline = (seq, self.state.next_deadline())
        return self._deadline[1]

    @property
    def viewer_count(self) -> int:
        return self.fanout.count + self._simulated

    @property
    def simulated(self) -> int:
        """Viewers of a simulated audience (live.simulator): counted, hold no socket."""
        return self._simulated

    @simulated.setter
    def simulated(self, viewers: int) -> None:
        self._simulated = viewers
        self.signals.stirred = True  # a new count to report

    @property
    def busy(self) -> bool:
        """Commands in flight or a catch-up running: not a room to close."""
        return bool(self._waiting) or self.replica.catching_up

    # --- lifecycle -------------------------------------------------------------

    async def open(self) -> bool:
        """Follow the log and fold the room's history; False if the log has none."""
        history = await self._room_log.open(self.room_id, self.replica.on_entry, self._on_reset, self.signals.on_remote)
        if history.epoch is None:
            await self._room_log.close_room(self.room_id)
            return False
        self.replica.load(history)
        self._rules = self.state.rules  # (a snapshot carries them without their rules.changed)
        return True

    async def close(self, code: CloseCode = CloseCode.GOING_AWAY, reason: str = "server shutting down") -> None:
        """1. members leave with ``code``, 2. submitters are told to retry, 3. the log lets go."""
        self.fanout.close_all(code, reason)
        self.replica.stop()
        for waiter in self._waiting.values():
            if not waiter.done():
                waiter.set_exception(Unavailable("the room was reset; retry", retry_after_ms=500))
        # Best effort, bounded: a backend that is down or recovering must not hold a closing room.
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            await asyncio.wait_for(self._presence.report({self.room_id: (0, {})}), BACKEND_CALL_SECONDS)  # this node's share ends now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._room_log.close_room(self.room_id), BACKEND_CALL_SECONDS)

    def _on_reset(self) -> None:
        """The log's history for this room changed under us: hand the room back to the node."""
        self._on_stale(self)

    # --- commands ----------------------------------------------------------------

    async def submit(self, actor: Actor, command: Command) -> Outcome:
        """Append a command and answer from the fold's outcome once it comes back."""
        probe = Entry(seq=Seq(self.state.seq + 1), ts=Millis(int(time.time() * 1000)), actor=actor, command=command)
        if (rejection := check(self.state, probe)) is not None:
            return rejection  # cheap pre-check on the replica keeps junk out of the log
        ref = f"{self._node_id}:{next(self._refs)}"
        waiter: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting[ref] = waiter
        try:
            seq = await self._room_log.append(self.room_id, self.epoch, actor, command, origin=ref)
            if waiter.done():  # folded during the append (the memory log delivers at once)
                return waiter.result()
            try:
                return await asyncio.wait_for(asyncio.shield(waiter), DELIVERY_GRACE_SECONDS)
            except TimeoutError:
                # Appended, but its delivery is late (a dropped subscription?): read it.
                if self.state.seq < seq:
                    self.replica.catch_up()
                return await asyncio.wait_for(waiter, SUBMIT_TIMEOUT_SECONDS)
        except EpochChanged as exc:
            self._on_reset()
            raise Unavailable("the room's history was reset; retry", retry_after_ms=500) from exc
        except (ConnectionError, OSError, TimeoutError) as exc:
            logger.warning("room %s: command not taken (%r)", self.room_id, exc)
            raise Unavailable("the room log is unavailable; retry", retry_after_ms=1000) from exc
        finally:
            self._waiting.pop(ref, None)
            if waiter.done() and not waiter.cancelled():
                waiter.exception()  # a reset's exception, seen here if not raised above

    def _applied(self, entry: Entry, events: list[Event], outcome: Outcome, live: bool) -> None:
        """From the replica, once per entry: persist, buffer, fan out, answer the submitter."""
        public, bodies = [], {}
        self.signals.stirred = True  # its next deadline may have moved
        made_staff: tuple[Member, ...] = ()  # the empty tuple is shared: nothing allocated per entry for a rare case
        for idx, event in enumerate(events):
            if event.type in WATCHED:  # rare: one set lookup per event on the ingest path
                made_staff += self._watched(entry, event)
            if event.type not in INTERNAL_TYPES:
                public.append(item := _buffered(entry, event))
                bodies[idx] = item.encoded(Format.JSON)  # its transcript row, as viewers got it
        self._on_folded(self.epoch, self.state, entry, events, bodies)  # the persister skips what SQL has
        if public:
            self.fanout.remember(public)
            if live:
                self.fanout.publish(public)
        if made_staff:
            self._brief(made_staff)
        if entry.origin is not None and (waiter := self._waiting.get(entry.origin)) and not waiter.done():
            waiter.set_result(outcome)
        if live and self.state.status is Status.ENDED:
            asyncio.get_running_loop().call_soon(self.fanout.close_all, CloseCode.ROOM_ENDED, "the room has ended")

    def _watched(self, entry: Entry, event: Event) -> tuple[Member, ...]:
        """Members made staff by the event (they are briefed after it goes out)."""
        if isinstance(event, RulesChanged):
            self._rules_changed(event.rules)
        elif isinstance(event, STAFF_CHANGES):
            return self._staff_changed(event.user_id, by_brand=entry.actor.role is Role.BRAND)
        return ()

    def _rules_changed(self, rules: Rules | None) -> None:
        """New words in the rules: the acceptance the server vouched for at each member's join
        (``Actor.rules_accepted``) was of the old ones, so they accept anew (``rooms.conduct``)."""
        if new_words(self._rules, rules):
            for m in self.fanout.members():
                if m.actor.rules_accepted:
                    m.actor = dataclasses.replace(m.actor, rules_accepted=False)
        self._rules = rules

    def _staff_changed(self, user: UserId, *, by_brand: bool) -> tuple[Member, ...]:
        """Appointed, dismissed, made or unmade co-host mid-show: that user's connections here
        get (or stop getting) the staff-only events from now on, without reconnecting.
        A member who joined as the brand's moderator (SQL said so) stays staff through the
        room's own changes, not through the brand's. Returns the connections made staff."""
        staff = is_staff(self.state, user)
        moved = []
        for m in self.fanout.members():
            if m.actor.user_id != user or m.actor.role in SEES_SALES:
                continue
            if by_brand:
                m.brand_staff = False  # the brand's word now, not the join's lookup
            if not m.brand_staff and m.sees_sales != staff:
                self.fanout.regroup(m, staff)
                moved.append(m)
        return tuple(moved) if staff else ()

    def _brief(self, members: tuple[Member, ...]) -> None:
        """New staff get what a staff welcome holds (the review queue as it stands, sales so
        far), after the event that made them staff: the events from there keep it current."""
        state = self.state
        view = StaffView(sales=_sales(state), moderation=state.moderation_view())
        for m in members:
            self.fanout.send_in_order(m, view)

    # --- members and signals ---------------------------------------------------------

    def join(self, member: Member, rid: str | int | None, since: int | None, epoch: str | None) -> None:
        """Welcome a member and add it, with nothing in between that could interleave.

        A resume from ``since`` in this epoch gets exactly the events after it; one
        older than the buffer (or from another epoch) gets a fresh snapshot instead.
        """
        self.fanout.flush()
        state, actor, staff = self.state, member.actor, member.sees_sales
        backlog = self.fanout.backlog(since, staff, state.seq) if since is not None and epoch == self.epoch else None
        welcome = Welcome(
            id=rid,
            epoch=self.epoch,
            seq=state.seq,
            resumed=backlog is not None,
            you=You(actor.user_id, actor.name, actor.role, actor.tier),
            viewers=max(self.signals.last_viewers, self.viewer_count + 1),
            room=state.snapshot() if backlog is None else None,
            sales=_sales(state) if backlog is None and staff else None,
            moderation=state.moderation_view() if backlog is None and staff else None,
        )
        self.fanout.add(member, welcome, backlog)
        self.signals.joined_now(actor)

    def leave(self, member: Member) -> None:
        self.fanout.leave(member)

    def send(self, member: Member, message: ServerMessage) -> None:
        self.fanout.send(member, message)

    @property
    def audience(self) -> int:
        """The viewers on every node, as presence last said (this node's own until it has)."""
        total = self.signals.total
        return total if total is not None else self.viewer_count

    def signals_to_report(self, every: bool) -> tuple[int, dict[str, int]] | None:
        """The signal loop's visit: this node's count and reactions for presence, or None when
        neither changed and no other node's announcement asks for the total (``every``: report)."""
        signals, fanout = self.signals, self.fanout
        signals.stirred, fanout.stirred = False, fanout.has_thinned  # thinned members are reviewed every tick
        count, reactions = self.viewer_count, signals.take()
        if not (every or reactions or signals.recount or count != signals.reported):
            return None
        signals.recount = False
        return count, reactions

    def show_signals(self) -> None:
        """From the node's signal loop: the viewer count (over all nodes) and reactions burst go out."""
        viewers = self.audience
        self.fanout.audience = viewers
        self.fanout.review_thinned()
        if due := self.signals.due(viewers):
            self.fanout.publish([Buffered(m) for m in due])


def _sales(state: RoomState) -> dict[str, Any]:
    """Sales so far per affiliate, as staff are first told them."""
    return {aff: dataclasses.asdict(t) for aff, t in state.sales.items()}


def _buffered(entry: Entry, event: Event) -> Buffered:
    return Buffered(
        EventMessage(entry.seq, entry.ts, event),
        entry.seq,
        staff_only=event.type in STAFF_TYPES,
        thinnable=_thinnable(event),
        subject=(event.type, getattr(event, key)) if (key := getattr(event, "coalesce", None)) else None,
    )


def _thinnable(event: Event) -> bool:
    """Chat the chat lane may skip for a viewer who is behind: never the host's, moderators' or the brand's."""
    return isinstance(event, ChatMessage) and event.message.user.role not in SEES_SALES
