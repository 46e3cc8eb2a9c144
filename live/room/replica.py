"""The room's state on this node, folded from the log strictly in seq order.

Entries come from the log's subscription; one that arrives ahead of a gap is held
until the gap has been read from the log (``catch_up``). Each entry is folded once,
and what the fold produced is handed to ``on_applied``.
"""

import asyncio
from collections.abc import Callable

from live.log.base import History, RoomLog
from live.log.serde import state_from_dict
from rooms.commands import Entry
from rooms.events import Event
from rooms.fold import Outcome, fold
from rooms.state import RoomState
from rooms.types import RoomId

CATCH_UP_BATCH = 1000
MAX_RETRY_SECONDS = 2.0

# (entry, its events, its outcome, whether viewers should be sent its events now)
OnApplied = Callable[[Entry, list[Event], Outcome, bool], None]


class Replica:
    def __init__(self, room_id: RoomId, room_log: RoomLog, on_applied: OnApplied) -> None:
        self.room_id = room_id
        self.state = RoomState(room_id)
        self.epoch = ""
        self._room_log = room_log
        self._on_applied = on_applied
        self._opened = False
        self._early: dict[int, Entry] = {}  # entries that arrived ahead of a gap, by seq
        self._catching_up: asyncio.Task[None] | None = None

    @property
    def catching_up(self) -> bool:
        return self._catching_up is not None

    def load(self, history: History) -> None:
        """Start from the log's snapshot and entries; what arrived meanwhile follows in order."""
        assert history.epoch is not None
        self.epoch = history.epoch
        if history.snapshot is not None:
            self.state = state_from_dict(history.snapshot[1])
        for entry in history.entries:
            if entry.seq == self.state.seq + 1:
                self._apply(entry, live=False)
        self._opened = True
        self._drain_early()
        if self._early:
            self.catch_up()

    def on_entry(self, entry: Entry) -> None:
        """From the log's subscription: in order, or held until the gap is read."""
        if entry.seq <= self.state.seq:
            return  # already folded (a catch-up read got there first)
        if self._opened and entry.seq == self.state.seq + 1 and self._catching_up is None:
            self._apply(entry, live=True)
            if self._early:
                self._drain_early()
            return
        self._early[entry.seq] = entry
        if self._opened:
            self.catch_up()

    def catch_up(self) -> None:
        """Read what the subscription missed (once at a time)."""
        if self._catching_up is None:
            self._catching_up = asyncio.get_running_loop().create_task(self._catch_up())

    def stop(self) -> None:
        if self._catching_up is not None:
            self._catching_up.cancel()

    def _apply(self, entry: Entry, *, live: bool) -> None:
        _, events, outcome = fold(self.state, entry)
        self._on_applied(entry, events, outcome, live)

    def _drain_early(self) -> None:
        while (entry := self._early.pop(self.state.seq + 1, None)) is not None:
            self._apply(entry, live=self._opened)
        for seq in [s for s in self._early if s <= self.state.seq]:
            del self._early[seq]

    async def _catch_up(self) -> None:
        """Fold the log's entries after our seq in order, then release held entries."""
        delay = 0.05
        try:
            while True:
                try:
                    entries = await self._room_log.read(self.room_id, self.state.seq, CATCH_UP_BATCH)
                except ConnectionError:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_RETRY_SECONDS)
                    continue
                for entry in entries:
                    if entry.seq == self.state.seq + 1:
                        self._apply(entry, live=True)
                self._drain_early()
                if len(entries) < CATCH_UP_BATCH and not self._early:
                    return
                if not entries:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_RETRY_SECONDS)
        finally:
            self._catching_up = None
