"""Who is a room's one persister, and how far it has got."""

from typing import Protocol

from rooms.types import RoomId


class Leases(Protocol):
    """The contract every lease backend keeps (``tests/test_coord_contract.py``).

    - **One holder at a time.** ``hold(rooms)`` takes the lease of each room that is
      free (or whose holder let it lapse) and renews the ones this node holds; it
      returns the rooms this node holds after the call. No two nodes hold a room's
      lease at once. A lease not renewed within the backend's lease time lapses, and
      the next node to ask takes it. A backend that cannot be reached holds nothing:
      ``hold`` returns an empty set rather than claiming a lease it cannot confirm.
      The lease holder persists the room to SQL, samples its analytics, appends its
      ``room.tick`` and sends its webhooks.
    - **Progress marks.** ``mark`` records, per room, the highest seq the holder has
      written to SQL; ``marks(rooms)`` returns the last mark recorded for each of those
      rooms that has one (rooms without are absent). The marks live with the lease
      because they are the holder's word to the nodes waiting to take over: a node
      without the lease drops what it folded up to the mark, and one that takes the
      lease over starts after it. They are a hint (lost with the backend, then SQL's
      ``persisted_seq`` is asked); SQL's inserts are idempotent either way.
    """

    async def hold(self, rooms: list[RoomId]) -> set[RoomId]: ...

    async def marks(self, rooms: list[RoomId]) -> dict[RoomId, int]: ...

    async def mark(self, marks: dict[RoomId, int]) -> None: ...
