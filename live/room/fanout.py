"""Fan-out: this node's members of one room, and every frame built once per group.

Members are grouped by wire format, by whether they see staff-audience events and by
whether their chat is thinned; each group gets one frame per flush, and the flush
writes those same bytes to every member of the group. Events that arrive within one
batch window share a frame.

Slow consumers, in three steps. A member's backlog is what its transport still holds
after a write; the kernel's share is kept small (``send_buffer_bytes`` on the socket),
so a reader who stops shows up there within about a second. (1) Over a quarter of the
bound it is *thinned*: no chat from ordinary viewers, and it is told. (2) A thinned
member whose backlog has not shrunk by a sixteenth of the bound for ``stall_seconds``
has stopped reading, and is cut (4008); one that reads gets more time, and back under
a sixteenth it gets all chat again. (3) Past the bound, it is cut at once. A cut member
reconnects and resumes.
"""

import asyncio
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

from live import metrics
from live.errors import CloseCode
from live.room.frames import Buffered, Frames, Group
from live.room.sinks import Sink
from live.wire.codec import Format, frame, frame_of, ws_frame
from live.wire.server import ChatThinned, ServerMessage, Welcome
from rooms.commands import Actor
from rooms.roles import SEES_SALES

RESUME_FRAME_EVENTS = 500  # events per frame when replaying a backlog
# A member whose unsent bytes pass a quarter of its bound gets thinned chat (and is told);
# under a sixteenth, it gets all of it again. Past the bound it is a slow consumer.
THIN_AT, THIN_UNTIL = 4, 16

FLUSH_REST = 0.5  # after a flush, wait at least this share of its duration before the next
TOTALS_WINDOW = 0.25  # seconds between frames that carry nothing but running totals
MAX_TOTALS_WINDOW = 1.0  # however big the room, a counter moves at least once a second

GROUPS: list[Group] = [(fmt, staff, thinned) for fmt in Format for staff in (False, True) for thinned in (False, True)]


@dataclass(eq=False, slots=True)
class Member:
    conn_id: str
    actor: Actor
    sink: Sink
    thinned: bool = False  # behind: gets no chat from ordinary viewers until it catches up
    backlog: int = 0  # unsent bytes after the last write to it
    # Bytes of its welcome and resume backlog it may not have read yet: not held against
    # the bound, so a resume after a cut is not cut again while it is being read.
    allowance: int = 0
    # Thinned: its backlog when its stall clock last started, the bytes written to it since,
    # and when it is cut unless a sixteenth of the bound has left its transport by then.
    mark: int = 0
    written: int = 0
    stall_at: float = 0.0
    staff: bool | None = None  # the staff view, when the join or the room decided it (an appointed moderator)
    brand_staff: bool = False  # a moderator of all the brand's rooms: staff whatever this room decides
    extra: bytes = b""  # its own messages (replies) riding along with the next frame's write

    @property
    def sees_sales(self) -> bool:
        """Gets staff-audience events: host, moderators (also appointed ones, as they joined), brand."""
        return self.staff if self.staff is not None else self.actor.role in SEES_SALES


class Fanout:
    def __init__(
        self,
        *,
        recent_events: int = 5000,
        batch_window_ms: int = 20,
        max_batch_window_ms: int = 75,
        batch_viewers_per_ms: int = 25,
        outbound_buffer_bytes: int = 256 << 10,
        send_buffer_bytes: int = 32 << 10,
        stall_seconds: float = 3.0,
        totals_writes_per_second: int = 20_000,
    ) -> None:
        self._members: dict[Group, dict[str, Member]] = {group: {} for group in GROUPS}
        # Bounded: a resume older than this is served as "reload the snapshot" instead.
        self._recent: deque[Buffered] = deque(maxlen=recent_events)
        self._pending: list[Buffered | None] = []  # None: superseded before it went out
        self._pending_latest: dict[Hashable, int] = {}  # subject -> index in _pending
        self._flush_handle: asyncio.Handle | None = None
        self._flush_soon = False  # the pending flush runs on this loop turn (not a batch window away)
        self._totals_only = False  # the pending frame holds running totals only (``TOTALS_WINDOW``)
        self._riders: list[Member] = []  # members with ``extra`` bytes for that flush
        self._last_flush = 0.0  # when the last flush started (loop time)
        self._rest_until = 0.0  # after a long flush, the next waits at least half as long as it took
        self._queued_at = 0.0  # when the oldest pending message was queued (loop time)
        self._window_ms = (batch_window_ms, max_batch_window_ms, batch_viewers_per_ms)
        self._totals_writes = totals_writes_per_second  # what running totals alone may cost this node's room
        self._limit = outbound_buffer_bytes  # a member with more unsent bytes is a slow consumer
        self._send_buffer = send_buffer_bytes  # the kernel's share per socket (0: the kernel decides)
        self._stall = stall_seconds
        self._count = 0  # members in all groups
        # The room's viewers on every node, as the signal loop last said: the batch window
        # follows the show's size, so a node holding a third of a big room batches like one
        # holding all of it (its frames cost the same per viewer).
        self.audience = 0
        self._thinned = 0  # members in thinned groups
        self.stirred = True  # members came, left or were thinned since the signal loop's last visit

    def members(self) -> list[Member]:
        return [m for by_conn in self._members.values() for m in by_conn.values()]

    @property
    def count(self) -> int:
        return self._count

    @property
    def has_thinned(self) -> bool:
        """Members on the thinned lane: the signal tick reviews them (``review_thinned``)."""
        return self._thinned > 0

    # --- events in ---------------------------------------------------------------

    def remember(self, items: list[Buffered]) -> None:
        """Keep events for resumes (also those folded before anyone could be sent them)."""
        self._recent.extend(items)

    def publish(self, items: list[Buffered]) -> None:
        """Queue messages for the next frame; running totals replace their pending step.

        A frame of running totals only (stock left, tallies, sales) waits ``TOTALS_WINDOW``
        after the last frame and after the first change it carries, longer in a big room
        (``_totals_window``): a counter read four times a second loses nothing, and in a
        flash sale it is what every viewer is sent after every claim. So the first claims,
        which come all at once, share one counter frame instead of the first one going out
        alone to every viewer. Anything else in the frame brings it forward to the batch window.
        """
        totals = True
        for i, item in enumerate(items):
            if item.subject is None:
                totals = False
                continue
            if (old := self._pending_latest.get(item.subject)) is not None:
                self._pending[old] = None
            self._pending_latest[item.subject] = len(self._pending) + i
        self._pending.extend(items)
        if self._flush_handle is None:  # nothing was pending: these are the oldest
            self._queued_at = asyncio.get_running_loop().time()
            self._totals_only = totals
            self._schedule()
        elif self._totals_only and not totals:
            self._totals_only = False
            self._flush_handle.cancel()
            self._schedule()

    def _schedule(self) -> None:
        """Quiet room: flush on the next loop turn; busy room: at most one frame per window."""
        loop = asyncio.get_running_loop()
        window = max(self._batch_window(), self._totals_window()) if self._totals_only else self._batch_window()
        since = max(self._last_flush, self._queued_at) if self._totals_only else self._last_flush
        wait = max(since + window, self._rest_until) - loop.time()
        self._flush_soon = wait <= 0
        self._flush_handle = loop.call_later(wait, self.flush) if wait > 0 else loop.call_soon(self.flush)

    def _totals_window(self) -> float:
        """Frames of running totals alone cost this node at most ``totals_writes_per_second``
        writes: 250 ms apart up to 5,000 members here, 500 ms at 10,000, a second at most.
        While claims trickle into a 10,000-viewer sale, the stock counter alone was 40,000
        writes a second, about half a core here."""
        return min(MAX_TOTALS_WINDOW, max(TOTALS_WINDOW, self.count / self._totals_writes))

    def _batch_window(self) -> float:
        low, high, per_ms = self._window_ms
        return min(high, max(low, max(self.count, self.audience) // per_ms)) / 1000

    # --- frames out ----------------------------------------------------------------

    def flush(self) -> None:
        """Write everything pending as one frame per group to every member."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._flush_soon = False  # what is sent from here on goes out at once
        if not self._pending:
            self._write_riders()
            return
        started = time.perf_counter()
        frames = Frames([item for item in self._pending if item is not None])
        self._pending, self._pending_latest = [], {}
        self._last_flush = asyncio.get_running_loop().time()
        moves: list[tuple[Member, bool]] = []
        slow: list[Member] = []
        for group, by_conn in self._members.items():
            if by_conn and (data := frames.get(group)) is not None:  # None: nothing for this group this time
                frames.wrote(group, self._write(by_conn, group[2], data, moves, slow))
        for m, thinned in moves:
            group = self._move(m, thinned)
            if thinned and (data := frames.get(group)) is not None:
                m.written += len(data)
                m.backlog = m.sink.write(data)
                frames.wrote(group, 1)
            if m.backlog > self._limit:
                slow.append(m)
        self._write_riders()
        for m in slow:
            if m.backlog > self._limit + m.allowance:
                self._cut(m, "bound")
        frames.count()
        took = time.perf_counter() - started
        # A flush to 10,000 sockets can outlast the window: counted only from its start,
        # the next would be due at once, frames would carry one message each and the
        # room would fall behind. Resting half the flush time keeps frames full.
        self._rest_until = self._last_flush + took * (1 + FLUSH_REST)
        metrics.FLUSH_SECONDS.observe(took)
        metrics.DELIVERY_SECONDS.observe(self._last_flush - self._queued_at + took)  # the oldest message's wait, once per flush

    def _write(self, by_conn: dict[str, Member], thinned: bool, data: bytes, moves: list[tuple[Member, bool]], slow: list[Member]) -> int:
        """The hot loop: one write of prepared bytes per member, and two int comparisons.

        Returns how many members were written to; members to move between lanes and
        candidates for a cut are collected for the caller, which handles them after.
        """
        limit = self._limit
        if thinned:
            until, size = limit // THIN_UNTIL, len(data)
            for m in by_conn.values():
                m.written += size
                backlog = m.backlog = m.sink.write(data + self._ride(m) if m.extra else data)
                if backlog > limit:
                    slow.append(m)
                elif backlog < until:
                    moves.append((m, False))
            return len(by_conn)
        at, skipped = limit // THIN_AT, 0
        for m in by_conn.values():
            if m.backlog > at:
                moves.append((m, True))  # behind already: this frame goes out thinned
                skipped += 1
                continue
            backlog = m.backlog = m.sink.write(data + self._ride(m) if m.extra else data)
            if backlog > limit:
                slow.append(m)
        return len(by_conn) - skipped

    def send_in_order(self, member: Member, message: ServerMessage) -> None:
        """One member's own event, after everything already queued for the room (seq order):
        it rides with the next frame instead of forcing the room's frame out early, which
        in a flash sale (a private notice per claim) would end batching for everyone."""
        if self._flush_handle is None:
            self.send(member, message)
        else:
            self._ride_along(member, frame_of(member.sink.fmt, message))

    def _ride_along(self, member: Member, data: bytes) -> None:
        if not member.extra:
            self._riders.append(member)
        member.extra += data

    @staticmethod
    def _ride(m: Member) -> bytes:
        extra, m.extra = m.extra, b""
        return extra

    def _write_riders(self) -> None:
        """What rode on no frame (its group had none this time, or it moved) goes out alone."""
        riders, self._riders = self._riders, []
        for m in riders:
            if m.extra:
                m.backlog = m.sink.write(self._ride(m))

    def send(self, member: Member, message: ServerMessage) -> None:
        """One message to one member (replies), through the same sink as the fan-out.

        When a flush is due on this loop turn (a quiet room: the reply's own echo is in
        it), the message rides along in that write: one send call instead of two, and
        the sender sees its event before the reply, as everyone sees it.
        """
        data = frame_of(member.sink.fmt, message)
        if self._flush_soon:
            self._ride_along(member, data)
            return
        member.written += len(data)
        member.backlog = member.sink.write(data)
        if member.backlog > self._limit + member.allowance:
            self._cut(member, "bound")

    def _cut(self, m: Member, reason: str) -> None:
        """A slow consumer: out of the room, closed after its backlog (it reconnects and resumes)."""
        if self.leave(m):
            m.sink.close(CloseCode.SLOW_CONSUMER, "outbound buffer full; reconnect and resume")
            metrics.SLOW_CONSUMERS.labels(reason).inc()

    def _move(self, m: Member, thinned: bool) -> Group:
        """Thin a member's chat, or give it all back, and tell it so."""
        self.leave(m)
        m.thinned = thinned
        group = self._put(m)
        if thinned:
            m.mark, m.written, m.stall_at = m.backlog, 0, asyncio.get_running_loop().time() + self._stall
            metrics.THINNED.inc()
            metrics.THINNINGS.inc()
        else:
            m.allowance = 0
        self.send(m, ChatThinned(thinned))
        return group

    def review_thinned(self) -> None:
        """On the node's signal tick: catch-ups get their chat back, stopped readers are cut.

        A thinned member gets all chat again once its backlog is under a sixteenth of the
        bound (a quiet room has no flush to notice). One that has not read a sixteenth of
        the bound (bytes that left its transport) within ``stall_seconds`` has stopped
        reading: thinned, it is sent too little to ever pass the bound, so it is cut here
        (4008). One that reads gets more time, even if it stays as far behind; a TCP
        window that opens a crack now and then does not count as reading.
        """
        if not self._thinned:
            return
        now = asyncio.get_running_loop().time()
        step = self._limit // THIN_UNTIL
        for (_, _, thinned), by_conn in self._members.items():
            if not thinned or not by_conn:
                continue
            for m in list(by_conn.values()):
                backlog = m.sink.buffered()
                m.allowance = min(m.allowance, backlog)  # what is left of its resume
                if backlog < step:
                    self._move(m, False)
                elif m.mark + m.written - backlog >= step:
                    m.mark, m.written, m.stall_at = backlog, 0, now + self._stall  # it reads: more time
                elif now >= m.stall_at:
                    self._cut(m, "stalled")

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
        fmt, sink = member.sink.fmt, member.sink
        sink.limit_send_buffer(self._send_buffer)
        sink.write(frame_of(fmt, welcome))
        for start in range(0, len(backlog or ()), RESUME_FRAME_EVENTS):
            chunk = (backlog or [])[start : start + RESUME_FRAME_EVENTS]
            sink.write(ws_frame(fmt, frame(fmt, [b.encoded(fmt) for b in chunk])))
        # A long resume is behind from the start: the next flush thins it, and while it
        # reads, its stall clock keeps restarting; what it joined with is not held against it.
        if (written := sink.buffered()) > self._limit // THIN_AT:
            member.allowance = written
        self._put(member)

    def _put(self, member: Member) -> Group:
        group = (member.sink.fmt, member.sees_sales, member.thinned)
        self._members[group][member.conn_id] = member
        self._count += 1
        self.stirred = True
        self._thinned += member.thinned
        return group

    def regroup(self, member: Member, staff: bool) -> None:
        """The member's staff view changes (appointed or dismissed mid-show): from the next frame."""
        if self.leave(member):
            member.staff = staff
            self._put(member)

    def leave(self, member: Member) -> bool:
        """Take a member out; False if it was not in (already cut, or moved out)."""
        gone = self._members[member.sink.fmt, member.sees_sales, member.thinned].pop(member.conn_id, None) is not None
        if gone:
            self._count -= 1
            self.stirred = True
            if member.thinned:
                self._thinned -= 1
                metrics.THINNED.dec()
        return gone

    def close_all(self, code: CloseCode, reason: str) -> None:
        """Everything pending goes out, then every member is closed with ``code``."""
        self.flush()
        for member in self.members():
            self.leave(member)
            member.sink.close(code, reason)
