"""The contract every room log backend keeps.

- A room's history is an optional **snapshot** (the folded state at some seq) plus
  the **entries** after it. ``seed`` creates a room's history at a snapshot (or empty)
  if it has none, and returns the room's **epoch**: the name of that history. If a
  backend loses a room's history, the next ``seed`` makes a new epoch, and clients
  holding seqs of the old one are told to reload.
- ``append`` gives the entry the room's next dense ``seq`` (1, 2, 3 ...) and a ``ts``
  that never goes backwards, durably, and only within the ``epoch`` the caller names:
  otherwise it raises ``EpochChanged``. Writing the entry and publishing it to the
  room's subscribers is one atomic step, so delivery order is seq order.
- A subscriber receives entries appended after it subscribed, in seq order, each at
  most once; one that sees a gap (or resubscribes after a reconnect) reads the gap
  with ``read``. ``on_reset`` is called when the room's epoch changes under it.
- ``trim`` drops entries up to a seq once they are persisted to SQL.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rooms.commands import Actor, Command, Entry
from rooms.types import RoomId, Seq

Subscriber = Callable[[Entry], None]
ResetHandler = Callable[[], None]
SignalHandler = Callable[[str, dict[str, int]], None]  # (node id, reaction counts)


@dataclass(frozen=True, slots=True)
class History:
    epoch: str | None  # None: the backend has no history for this room
    snapshot: tuple[int, dict[str, Any]] | None  # (seq, state as plain data)
    entries: list[Entry]


class RoomLog(Protocol):
    node_id: str

    async def seed(self, room: RoomId, snapshot: tuple[int, dict[str, Any]] | None) -> str: ...

    async def open(self, room: RoomId, deliver: Subscriber, on_reset: ResetHandler, on_signal: SignalHandler) -> History:
        """Subscribe, then read the room's history; entries may also arrive by ``deliver`` meanwhile."""
        ...

    async def close_room(self, room: RoomId) -> None: ...

    async def append(self, room: RoomId, epoch: str, actor: Actor, command: Command, origin: str | None = None) -> Seq: ...

    async def read(self, room: RoomId, after: int = 0, limit: int = 10_000) -> list[Entry]: ...

    wants_snapshots: bool  # whether save_snapshot does anything (saves serializing for nothing)

    async def save_snapshot(self, room: RoomId, seq: int, state: bytes) -> None:
        """Keep ``state`` (JSON) as the room's snapshot at ``seq``."""
        ...

    async def hold_leases(self, rooms: list[RoomId]) -> set[RoomId]:
        """The rooms this node is the one persister of (leases taken or renewed by the call)."""
        ...

    async def persisted_marks(self, rooms: list[RoomId]) -> dict[RoomId, int]:
        """The highest seq each room's persister has written to SQL, as far as it has said."""
        ...

    async def mark_persisted(self, marks: dict[RoomId, int]) -> None: ...

    async def report(self, reports: dict[RoomId, tuple[int, dict[str, int]]]) -> dict[RoomId, int]:
        """Share this node's (viewers, reactions) per room; returns each room's total viewers."""
        ...

    async def trim(self, room: RoomId, upto: int) -> None: ...

    async def close(self) -> None: ...
