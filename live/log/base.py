"""The room log: the single point of order for every room.

``RoomLog`` is what a node needs to fold and serve a room: its history, the entries
appended after it, and a subscription. Who persists a room (``live.coord.leases``) and
how many watch it (``live.coord.presence``) are separate interfaces; presence's
reactions reach the other nodes through this log's subscription (``on_signal``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rooms.commands import Actor, Command, Entry
from rooms.types import RoomId, Seq

Subscriber = Callable[[Entry], None]
ResetHandler = Callable[[], None]
SignalHandler = Callable[[str, dict[str, int]], None]  # (node id, reaction counts)
RESEED_GRACE_MS = 3_000  # > the nodes' reconnect backoff (2 s cap): every live node has salvaged by then


@dataclass(frozen=True, slots=True)
class History:
    epoch: str | None  # None: the backend has no history for this room
    snapshot: tuple[int, dict[str, Any]] | None  # (seq, state as plain data)
    entries: list[Entry]


class RoomLog(Protocol):
    """The contract every room log backend keeps (``tests/test_log_contract.py``).

    - **History and epoch.** A room's history is an optional snapshot (the folded state
      at some seq) plus the entries after it. ``seed`` creates it at a snapshot (or
      empty) if the room has none and returns the room's **epoch**, the name of that
      history; on a room that has one it changes nothing and returns its epoch. A
      backend that loses a room's history gives the next ``seed`` a new epoch.
    - **Dense seq, monotonic ts.** ``append`` gives the entry the room's next seq
      (snapshot seq + 1, + 2 ... with no gaps) and a ``ts`` that never goes backwards,
      only within the ``epoch`` the caller names; otherwise it raises ``EpochChanged``
      and appends nothing.
    - **Atomic append + publish.** Writing the entry and publishing it to the room's
      subscribers is one step, so delivery order is seq order even with concurrent
      appenders (on any node), and nothing is published that is not in the history.
    - **Subscription.** ``open`` subscribes, then reads the history: every entry
      appended after the subscription reaches ``deliver`` in seq order, each at most
      once (it may also be in the history returned; the caller skips what it folded).
      One that sees a gap (a subscription that dropped) reads it with ``read``.
      ``on_reset`` is called when the room's epoch changes under an open subscription
      (Redis: noticed on reconnect, when Redis came back without the history).
      ``close_room`` ends the subscription.
    - **Gap reads.** ``read(after, limit)`` returns up to ``limit`` entries with seq >
      ``after``, in seq order, as long as they are not trimmed.
    - **Snapshots.** ``save_snapshot`` keeps a room's folded state at a seq; ``open``
      returns the latest one with only the entries after it. ``wants_snapshots`` says
      whether periodic snapshots are worth their serializing (False in memory, where
      one process folds every room from the start).
    - **Reseeding after a loss.** ``lost_for(room)`` is 0 while the room has a history,
      and otherwise how long (ms) the backend has known it lost it: the first call
      that finds it missing starts that clock, for every node. A node reseeds a room
      that SQL knows only once the loss is ``RESEED_GRACE_MS`` old, so that every live
      node has written what it folded of the lost history to SQL first. A backend
      that cannot lose a room while nodes live (memory: one process) always says 0.
    - **Trim.** ``trim(upto)`` drops entries with seq <= ``upto`` (once SQL has them);
      later entries and the seq counter stay. A room must still open after a trim,
      so the caller saves a snapshot at ``upto`` (or later) first.
    - Backend failures raise ``LogUnavailable`` (a ``ConnectionError``).
    """

    async def seed(self, room: RoomId, snapshot: tuple[int, dict[str, Any]] | None) -> str: ...

    async def open(self, room: RoomId, deliver: Subscriber, on_reset: ResetHandler, on_signal: SignalHandler) -> History:
        """Subscribe, then read the room's history; entries may also arrive by ``deliver`` meanwhile."""
        ...

    async def close_room(self, room: RoomId) -> None: ...

    async def lost_for(self, room: RoomId) -> int: ...

    async def append(self, room: RoomId, epoch: str, actor: Actor, command: Command, origin: str | None = None) -> Seq: ...

    async def read(self, room: RoomId, after: int = 0, limit: int = 10_000) -> list[Entry]: ...

    async def trim(self, room: RoomId, upto: int) -> None: ...

    wants_snapshots: bool  # whether save_snapshot does anything (saves serializing for nothing)

    async def save_snapshot(self, room: RoomId, seq: int, state: bytes) -> None:
        """Keep ``state`` (JSON) as the room's snapshot at ``seq``."""
        ...

    async def close(self) -> None: ...
