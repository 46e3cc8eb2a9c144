"""One room as this node serves it: the replica, the recent-event buffer and fan-out.

Entries arrive from the log in seq order and go through ``rooms.fold``. Each event
is encoded once per wire format; what arrives within one batch window is joined
into one frame per format, and that one frame is written to every local member.
"""

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from live import metrics
from live import protocol as p
from live.errors import CloseCode, Unavailable
from live.log.base import EpochChanged, RoomLog
from live.sinks import Sink, ws_frame
from rooms.commands import Actor, Command, Entry
from rooms.errors import Rejection
from rooms.events import INTERNAL_TYPES, STAFF_TYPES
from rooms.roles import SEES_SALES, Role
from rooms.fold import Accepted, Outcome, check, fold
from rooms.state import RoomState, Status
from rooms.types import Millis, RoomId, Seq

log = logging.getLogger("live.room")

SUBMIT_TIMEOUT_SECONDS = 10.0
DELIVERY_GRACE_SECONDS = 1.0  # an appended entry not delivered by then is read from the log
RESUME_FRAME_EVENTS = 500  # events per frame when replaying a backlog


@dataclass(eq=False, slots=True)
class Member:
    conn_id: str
    actor: Actor
    sink: Sink
    thinned: bool = False  # behind: gets no chat from ordinary viewers until it catches up
    backlog: int = 0  # unsent bytes after the last write to it

    @property
    def sees_sales(self) -> bool:
        return self.actor.role in SEES_SALES


@dataclass(frozen=True, slots=True)
class _Buffered:
    seq: int
    encoded: dict[p.Format, bytes]
    staff_only: bool = False
    thinnable: bool = False  # chat from an ordinary viewer: the lane a behind viewer may skip


# Members are grouped by wire format, by whether they see staff-audience events, and by
# whether their chat is thinned: each group gets one frame per flush, built once.
Group = tuple[p.Format, bool, bool]
GROUPS: list[Group] = [(fmt, staff, thinned) for fmt in p.Format for staff in (False, True) for thinned in (False, True)]
# A member whose unsent bytes pass a quarter of its bound gets thinned chat (and is told);
# under a sixteenth, it gets all of it again. Past the bound it is a slow consumer.
THIN_AT, THIN_UNTIL = 4, 16


OnFolded = Callable[[RoomState, Entry, list[dict[str, Any]]], None]
OnStale = Callable[["RoomRuntime"], None]
CATCH_UP_BATCH = 1000
# Events that carry a running total: within one frame only the latest per subject goes
# out (the value, not the steps, is what a viewer needs); the recent buffer keeps all.
COALESCE = {"offer.stock": "offer_id", "poll.tally": "poll_id", "points.awarded": "user_id", "giveaway.entries": "giveaway_id", "question.votes": "question_id"}


class RoomRuntime:
    def __init__(
        self,
        room_id: RoomId,
        *,
        log_: RoomLog,
        node_id: str,
        on_folded: OnFolded,
        on_stale: OnStale = lambda rt: None,
        recent_events: int = 5000,
        batch_window_ms: int = 20,
        max_batch_window_ms: int = 75,
        batch_viewers_per_ms: int = 25,
        outbound_buffer_bytes: int = 1 << 20,
    ) -> None:
        self.room_id = room_id
        self.state = RoomState(room_id)
        self._log = log_
        self._node_id = node_id
        self._on_folded = on_folded
        self._on_stale = on_stale
        self.epoch = ""
        self._opened = False
        self._early: dict[int, Entry] = {}  # entries that arrived ahead of a gap, by seq
        self._catching_up: asyncio.Task[None] | None = None
        self._members: dict[Group, dict[str, Member]] = {group: {} for group in GROUPS}
        # Bounded: older events are served as "reload the snapshot" instead.
        self._recent: deque[_Buffered] = deque(maxlen=recent_events)
        self._pending: list[_Buffered | None] = []  # None: superseded before it went out
        self._pending_latest: dict[tuple[str, Any], int] = {}  # (type, subject) -> index in _pending
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._window_ms = (batch_window_ms, max_batch_window_ms, batch_viewers_per_ms)
        self._limit = outbound_buffer_bytes  # a member with more unsent bytes is a slow consumer
        self._waiting: dict[str, asyncio.Future[Outcome]] = {}
        self._refs = itertools.count(1)
        self._reactions: Counter[str] = Counter()  # this node's, shared with the others
        self._remote_reactions: Counter[str] = Counter()  # the other nodes', shown here
        self._shown_reactions: Counter[str] = Counter()
        # For session analytics, taken by the node's sampler: who joined, reactions shown.
        self.joined: dict[str, int] = {}
        self.reactions_shown = 0
        self._last_viewers = -1

    # --- lifecycle -------------------------------------------------------------

    async def open(self) -> bool:
        """Follow the log and fold the room's history; False if the log has none."""
        history = await self._log.open(self.room_id, self._on_entry, self._on_reset, self._on_signal)
        if history.epoch is None:
            await self._log.close_room(self.room_id)
            return False
        self.epoch = history.epoch
        if history.snapshot is not None:
            self.state = p.state_from_dict(history.snapshot[1])
        for entry in history.entries:
            if entry.seq == self.state.seq + 1:
                self._apply(entry, publish=False)
        self._opened = True
        self._drain_early()
        if self._early:
            self._start_catch_up()
        return True

    async def close(self, code: CloseCode = CloseCode.GOING_AWAY, reason: str = "server shutting down") -> None:
        self.flush()
        for member in self.members():
            member.sink.close(code, reason)
        for group in GROUPS:
            self._members[group].clear()
        if self._catching_up is not None:
            self._catching_up.cancel()
        for waiter in self._waiting.values():
            if not waiter.done():
                waiter.set_exception(Unavailable("the room was reset; retry", retry_after_ms=500))
        with contextlib.suppress(ConnectionError, OSError):
            await self._log.report({self.room_id: (0, {})})  # this node's share ends now, not at expiry
        await self._log.close_room(self.room_id)

    def members(self) -> list[Member]:
        return [m for by_fmt in self._members.values() for m in by_fmt.values()]

    @property
    def busy(self) -> bool:
        """Commands in flight or a catch-up running: not a room to close."""
        return bool(self._waiting) or self._catching_up is not None

    @property
    def viewer_count(self) -> int:
        return sum(len(by_fmt) for by_fmt in self._members.values())

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
            seq = await self._log.append(self.room_id, self.epoch, actor, command, origin=ref)
            try:
                return await asyncio.wait_for(asyncio.shield(waiter), DELIVERY_GRACE_SECONDS)
            except TimeoutError:
                # Appended, but its delivery is late (a dropped subscription?): read it.
                if self.state.seq < seq:
                    self._start_catch_up()
                return await asyncio.wait_for(waiter, SUBMIT_TIMEOUT_SECONDS)
        except EpochChanged as exc:
            self._on_reset()
            raise Unavailable("the room's history was reset; retry", retry_after_ms=500) from exc
        except (ConnectionError, OSError, TimeoutError) as exc:
            log.warning("room %s: command not taken (%r)", self.room_id, exc)
            raise Unavailable("the room log is unavailable; retry", retry_after_ms=1000) from exc
        finally:
            self._waiting.pop(ref, None)

    def react(self, kind: str) -> None:
        self._reactions[kind] += 1

    # --- log -> fold -> fan-out ----------------------------------------------------

    def _on_entry(self, entry: Entry) -> None:
        """From the log's subscription: in order, or held until the gap is read."""
        if entry.seq <= self.state.seq:
            return  # already folded (a catch-up read got there first)
        if self._opened and entry.seq == self.state.seq + 1 and self._catching_up is None:
            self._apply(entry, publish=True)
            if self._early:
                self._drain_early()
            return
        self._early[entry.seq] = entry
        if self._opened:
            self._start_catch_up()

    def _drain_early(self) -> None:
        while (entry := self._early.pop(self.state.seq + 1, None)) is not None:
            self._apply(entry, publish=self._opened)
        for seq in [s for s in self._early if s <= self.state.seq]:
            del self._early[seq]

    def _start_catch_up(self) -> None:
        if self._catching_up is None:
            self._catching_up = asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        """Read what the subscription missed, fold it in order, then release held entries."""
        delay = 0.05
        try:
            while True:
                try:
                    entries = await self._log.read(self.room_id, self.state.seq, CATCH_UP_BATCH)
                except ConnectionError:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                for entry in entries:
                    if entry.seq == self.state.seq + 1:
                        self._apply(entry, publish=True)
                self._drain_early()
                if len(entries) < CATCH_UP_BATCH and not self._early:
                    return
                if not entries:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
        finally:
            self._catching_up = None

    def _on_reset(self) -> None:
        """The log's history for this room changed under us: hand the room back to the node."""
        self._on_stale(self)

    def _on_signal(self, node: str, counts: dict[str, int]) -> None:
        self._remote_reactions.update(counts)

    def _apply(self, entry: Entry, *, publish: bool) -> None:
        _, events, outcome = fold(self.state, entry)
        messages = [p.event_message(entry, ev) for ev in events]
        self._on_folded(self.state, entry, messages)  # the persister skips what SQL has
        public = [m for m in messages if m["type"] not in INTERNAL_TYPES]
        if public:
            encoded = [_Buffered(entry.seq, {fmt: p.encode(fmt, m) for fmt in p.Format}, m["type"] in STAFF_TYPES, _thinnable(m)) for m in public]
            self._recent.extend(encoded)
            if publish:
                for i, m in enumerate(public):  # running totals coalesce: only the latest per frame
                    if (field := COALESCE.get(m["type"])) is not None:
                        key = (m["type"], m[field])
                        if (old := self._pending_latest.get(key)) is not None:
                            self._pending[old] = None
                        self._pending_latest[key] = len(self._pending) + i
                self._publish(encoded)
        if entry.origin is not None and (waiter := self._waiting.get(entry.origin)) and not waiter.done():
            waiter.set_result(outcome)
        if publish and self.state.status is Status.ENDED:
            asyncio.get_running_loop().call_soon(self._close_ended)

    def _close_ended(self) -> None:
        self.flush()
        for member in self.members():
            self.leave(member)
            member.sink.close(CloseCode.ROOM_ENDED, "the room has ended")

    def _publish(self, encoded: list[_Buffered]) -> None:
        self._pending.extend(encoded)
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            wait = self._last_flush + self._batch_window() - loop.time()
            # Quiet room: flush on the next loop turn; busy room: at most one frame per window.
            self._flush_handle = loop.call_later(wait, self.flush) if wait > 0 else loop.call_soon(self.flush)

    def _batch_window(self) -> float:
        low, high, per_ms = self._window_ms
        return min(high, max(low, self.viewer_count // per_ms)) / 1000

    def flush(self) -> None:
        """Write everything pending as one frame per wire format to every member."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._pending:
            return
        pending = [enc for enc in self._pending if enc is not None]
        self._pending, self._pending_latest = [], {}
        self._last_flush = asyncio.get_running_loop().time()
        frames: dict[Group, bytes | None] = {}

        def frame_for(group: Group) -> bytes | None:
            if group not in frames:
                fmt, staff, thinned = group
                items = [b.encoded[fmt] for b in pending if (staff or not b.staff_only) and not (thinned and b.thinnable)]
                frames[group] = ws_frame(fmt, p.frame(fmt, items)) if items else None
                metrics.DELIVERIES.inc(len(self._members[group]) * len(items))
            return frames[group]

        moves: list[tuple[Member, bool]] = []
        slow: list[Member] = []
        # The hot loop: one write of prepared bytes per member, and two int comparisons.
        for group, by_conn in self._members.items():
            if not by_conn:
                continue
            data = frame_for(group)
            if data is None:
                continue  # nothing for this group this time (thinned members get caught up on the tick)
            limit = self._limit
            if group[2]:
                until = limit // THIN_UNTIL
                for m in by_conn.values():
                    backlog = m.backlog = m.sink.write(data)
                    if backlog > limit:
                        slow.append(m)
                    elif backlog < until:
                        moves.append((m, False))
            else:
                at = limit // THIN_AT
                for m in by_conn.values():
                    if m.backlog > at:
                        moves.append((m, True))  # behind already: this frame goes out thinned
                        continue
                    backlog = m.backlog = m.sink.write(data)
                    if backlog > limit:
                        slow.append(m)
        for m, thinned in moves:
            group = self._move(m, thinned)
            if thinned and (data := frame_for(group)) is not None:
                m.backlog = m.sink.write(data)
            if m.backlog > self._limit:
                slow.append(m)
        for m in slow:
            self._cut(m)

    def _cut(self, m: Member) -> None:
        """A slow consumer: out of the room, closed after its backlog (it reconnects and resumes)."""
        self.leave(m)
        m.sink.close(CloseCode.SLOW_CONSUMER, "outbound buffer full; reconnect and resume")
        metrics.SLOW_CONSUMERS.inc()

    def _move(self, m: Member, thinned: bool) -> Group:
        """Thin a member's chat, or give it all back, and tell it so."""
        self.leave(m)
        m.thinned = thinned
        group = (m.sink.fmt, m.sees_sales, thinned)
        self._members[group][m.conn_id] = m
        self.send(m, {"type": "chat.thinned", "thinned": thinned})
        return group

    def _unthin_caught_up(self) -> None:
        """A thinned member of a quiet room gets its chat back once it has read its backlog."""
        for (_, _, thinned), by_conn in self._members.items():
            if thinned:
                for m in [m for m in by_conn.values() if m.sink.buffered() < self._limit // THIN_UNTIL]:
                    self._move(m, False)

    def take_reactions(self) -> dict[str, int]:
        """This node's reactions since the last call, to share with the other nodes."""
        local, self._reactions = self._reactions, Counter()
        self._shown_reactions = local
        return dict(local)

    def show_signals(self, viewers: int) -> None:
        """Broadcast the room's viewer count (when it changed) and the reactions burst."""
        self._unthin_caught_up()
        shown = self._shown_reactions + self._remote_reactions
        self._shown_reactions, self._remote_reactions = Counter(), Counter()
        signals: list[dict[str, Any]] = []
        if viewers != self._last_viewers:
            self._last_viewers = viewers
            signals.append({"type": "presence", "viewers": viewers})
        if shown:
            signals.append({"type": "reactions", "counts": dict(shown)})
            self.reactions_shown += sum(shown.values())
        if signals:
            self._publish([_Buffered(0, {fmt: p.encode(fmt, s) for fmt in p.Format}) for s in signals])

    # --- members -----------------------------------------------------------------

    def join(self, member: Member, rid: str | int | None, since: int | None, epoch: str | None) -> None:
        """Welcome a member and add it, with nothing in between that could interleave.

        A resume from ``since`` in this epoch gets exactly the events after it; one
        older than the buffer (or from another epoch) gets a fresh snapshot instead.
        """
        self.flush()
        fmt, staff = member.sink.fmt, member.sees_sales
        backlog = self._backlog(since, staff) if since is not None and epoch == self.epoch else None
        welcome: dict[str, Any] = {
            "type": "welcome",
            "id": rid,
            "epoch": self.epoch,
            "seq": self.state.seq,
            "resumed": backlog is not None,
            "you": {"id": member.actor.user_id, "name": member.actor.name, "role": member.actor.role.value, "tier": member.actor.tier},
            "viewers": max(self._last_viewers, self.viewer_count + 1),
        }
        if backlog is None:
            welcome["room"] = self.state.snapshot()
            if staff:
                welcome["sales"] = {aff: dataclasses.asdict(t) for aff, t in self.state.sales.items()}
        member.sink.write(ws_frame(fmt, p.frame(fmt, [p.encode(fmt, welcome)])))
        for start in range(0, len(backlog or ()), RESUME_FRAME_EVENTS):
            chunk = backlog[start : start + RESUME_FRAME_EVENTS]  # type: ignore[index]
            member.sink.write(ws_frame(fmt, p.frame(fmt, [b.encoded[fmt] for b in chunk])))
        self._members[fmt, staff, False][member.conn_id] = member
        if member.actor.role is not Role.GUEST:
            self.joined.setdefault(member.actor.user_id, int(time.time() * 1000))

    def _backlog(self, since: int, staff: bool) -> list[_Buffered] | None:
        if since > self.state.seq:
            return None
        if since == self.state.seq:
            return []
        # Once the buffer is full, dropped events have seqs up to the oldest one kept
        # (an entry's events may be split across that edge): resume only after it.
        if len(self._recent) == self._recent.maxlen and since < self._recent[0].seq:
            return None
        return [b for b in self._recent if b.seq > since and (staff or not b.staff_only)]

    def leave(self, member: Member) -> None:
        self._members[member.sink.fmt, member.sees_sales, member.thinned].pop(member.conn_id, None)

    def send(self, member: Member, message: dict[str, Any]) -> None:
        """One message to one member (replies), through the same sink as the fan-out."""
        fmt = member.sink.fmt
        member.backlog = member.sink.write(ws_frame(fmt, p.frame(fmt, [p.encode(fmt, message)])))
        if member.backlog > self._limit:
            self._cut(member)


def _thinnable(message: dict[str, Any]) -> bool:
    """Chat the chat lane may skip for a viewer who is behind: never the host's, moderators' or the brand's."""
    return message["type"] == "chat.message" and message["message"]["user"]["role"] not in SEES_SALES


def reply_for(rid: str | int | None, outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, Accepted):
        return p.reply_ok(rid, outcome.result)
    assert isinstance(outcome, Rejection)
    return p.reply_error(rid, outcome.code.value, outcome.message, outcome.retry_after_ms)
