"""Fan-out: this node's members of one room, and every frame built once per group.

Members are grouped by wire format, by whether they see staff-audience events and by
whether their chat is thinned; each group gets one frame per flush, and the flush
writes those same bytes to every member of the group. Events that arrive within one
batch window share a frame. A member whose unsent bytes stay over the bound is a
slow consumer and is cut (it reconnects and resumes); one that is merely behind gets
thinned chat first.
"""

import asyncio
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

from live import metrics
from live.errors import CloseCode
from live.room.sinks import Sink
from live.wire.codec import Format, encode, frame, frame_of, ws_frame
from live.wire.server import ChatThinned, ServerMessage, Welcome
from rooms.commands import Actor
from rooms.roles import SEES_SALES

RESUME_FRAME_EVENTS = 500  # events per frame when replaying a backlog
# A member whose unsent bytes pass a quarter of its bound gets thinned chat (and is told);
# under a sixteenth, it gets all of it again. Past the bound it is a slow consumer.
THIN_AT, THIN_UNTIL = 4, 16

Group = tuple[Format, bool, bool]  # (format, sees staff events, thinned)
GROUPS: list[Group] = [(fmt, staff, thinned) for fmt in Format for staff in (False, True) for thinned in (False, True)]


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
class Buffered:
    """One message, encoded once per format, with what the groups need to know of it."""

    seq: int
    encoded: dict[Format, bytes]
    staff_only: bool = False
    thinnable: bool = False  # chat from an ordinary viewer: the lane a behind viewer may skip
    subject: Hashable | None = None  # a running total's subject: only the latest per frame goes out


def buffered(message: ServerMessage, seq: int = 0, *, staff_only: bool = False, thinnable: bool = False, subject: Hashable | None = None) -> Buffered:
    return Buffered(seq, {fmt: encode(fmt, message) for fmt in Format}, staff_only, thinnable, subject)


class Fanout:
    def __init__(
        self,
        *,
        recent_events: int = 5000,
        batch_window_ms: int = 20,
        max_batch_window_ms: int = 75,
        batch_viewers_per_ms: int = 25,
        outbound_buffer_bytes: int = 1 << 20,
    ) -> None:
        self._members: dict[Group, dict[str, Member]] = {group: {} for group in GROUPS}
        # Bounded: a resume older than this is served as "reload the snapshot" instead.
        self._recent: deque[Buffered] = deque(maxlen=recent_events)
        self._pending: list[Buffered | None] = []  # None: superseded before it went out
        self._pending_latest: dict[Hashable, int] = {}  # subject -> index in _pending
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._window_ms = (batch_window_ms, max_batch_window_ms, batch_viewers_per_ms)
        self._limit = outbound_buffer_bytes  # a member with more unsent bytes is a slow consumer

    def members(self) -> list[Member]:
        return [m for by_conn in self._members.values() for m in by_conn.values()]

    @property
    def count(self) -> int:
        return sum(len(by_conn) for by_conn in self._members.values())

    # --- events in ---------------------------------------------------------------

    def remember(self, items: list[Buffered]) -> None:
        """Keep events for resumes (also those folded before anyone could be sent them)."""
        self._recent.extend(items)

    def publish(self, items: list[Buffered]) -> None:
        """Queue messages for the next frame; running totals replace their pending step."""
        for i, item in enumerate(items):
            if item.subject is not None:
                if (old := self._pending_latest.get(item.subject)) is not None:
                    self._pending[old] = None
                self._pending_latest[item.subject] = len(self._pending) + i
        self._pending.extend(items)
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            wait = self._last_flush + self._batch_window() - loop.time()
            # Quiet room: flush on the next loop turn; busy room: at most one frame per window.
            self._flush_handle = loop.call_later(wait, self.flush) if wait > 0 else loop.call_soon(self.flush)

    def _batch_window(self) -> float:
        low, high, per_ms = self._window_ms
        return min(high, max(low, self.count // per_ms)) / 1000

    # --- frames out ----------------------------------------------------------------

    def flush(self) -> None:
        """Write everything pending as one frame per group to every member."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._pending:
            return
        pending = [item for item in self._pending if item is not None]
        self._pending, self._pending_latest = [], {}
        self._last_flush = asyncio.get_running_loop().time()
        frames: dict[Group, bytes | None] = {}

        def frame_for(group: Group) -> bytes | None:
            if group not in frames:
                fmt, staff, thinned = group
                items = [b.encoded[fmt] for b in pending if (staff or not b.staff_only) and not (thinned and b.thinnable)]
                frames[group] = ws_frame(fmt, frame(fmt, items)) if items else None
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

    def send(self, member: Member, message: ServerMessage) -> None:
        """One message to one member (replies), through the same sink as the fan-out."""
        member.backlog = member.sink.write(frame_of(member.sink.fmt, message))
        if member.backlog > self._limit:
            self._cut(member)

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
        self.send(m, ChatThinned(thinned))
        return group

    def unthin_caught_up(self) -> None:
        """A thinned member of a quiet room gets its chat back once it has read its backlog."""
        for (_, _, thinned), by_conn in self._members.items():
            if thinned:
                for m in [m for m in by_conn.values() if m.sink.buffered() < self._limit // THIN_UNTIL]:
                    self._move(m, False)

    # --- members -------------------------------------------------------------------

    def backlog(self, since: int, staff: bool, seq: int) -> list[Buffered] | None:
        """The events after ``since`` (the room is at ``seq``), or None if the buffer lacks some."""
        if since > seq:
            return None
        if since == seq:
            return []
        # Once the buffer is full, dropped events have seqs up to the oldest one kept
        # (an entry's events may be split across that edge): resume only after it.
        if len(self._recent) == self._recent.maxlen and since < self._recent[0].seq:
            return None
        return [b for b in self._recent if b.seq > since and (staff or not b.staff_only)]

    def add(self, member: Member, welcome: Welcome, backlog: list[Buffered] | None) -> None:
        """Welcome, backlog, then membership: the caller flushed first, and nothing here awaits."""
        fmt = member.sink.fmt
        member.sink.write(frame_of(fmt, welcome))
        for start in range(0, len(backlog or ()), RESUME_FRAME_EVENTS):
            chunk = (backlog or [])[start : start + RESUME_FRAME_EVENTS]
            member.sink.write(ws_frame(fmt, frame(fmt, [b.encoded[fmt] for b in chunk])))
        self._members[fmt, member.sees_sales, False][member.conn_id] = member

    def leave(self, member: Member) -> None:
        self._members[member.sink.fmt, member.sees_sales, member.thinned].pop(member.conn_id, None)

    def close_all(self, code: CloseCode, reason: str) -> None:
        """Everything pending goes out, then every member is closed with ``code``."""
        self.flush()
        for member in self.members():
            self.leave(member)
            member.sink.close(code, reason)
