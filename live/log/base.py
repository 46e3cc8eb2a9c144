"""The contract every room log backend keeps.

- ``append`` gives the entry the room's next dense ``seq`` (1, 2, 3 ...) and a ``ts``
  that never goes backwards within the room, and returns only once the entry is
  durable in the backend (an acknowledged entry is never lost while the backend is).
- Every subscriber of a room receives every entry appended after it subscribed,
  exactly once, in ``seq`` order; a subscriber that sees a gap reads it with ``read``.
- ``read`` returns the entries after a seq in order, up to what has been trimmed.
- ``epoch`` names the history: if the backend loses a room's history, the epoch
  changes, and clients holding seqs of the old epoch are told to reload.
- ``trim`` drops entries up to a seq once they are persisted to SQL.
"""

from collections.abc import Callable
from typing import Protocol

from rooms.commands import Actor, Command, Entry
from rooms.types import RoomId, Seq

Subscriber = Callable[[Entry], None]


class RoomLog(Protocol):
    epoch: str

    async def append(self, room: RoomId, actor: Actor, command: Command, origin: str | None = None) -> Seq: ...

    async def read(self, room: RoomId, after: int = 0, limit: int = 10_000) -> list[Entry]: ...

    async def subscribe(self, room: RoomId, deliver: Subscriber) -> None: ...

    async def unsubscribe(self, room: RoomId) -> None: ...

    async def seed(self, room: RoomId, entries: list[Entry]) -> None:
        """Put back persisted entries of a room whose history the backend lost."""
        ...

    async def trim(self, room: RoomId, upto: int) -> None: ...

    async def close(self) -> None: ...
