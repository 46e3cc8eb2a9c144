"""Private events: a buyer's order events go to that user's own connections, on every node.

The fold emits them with the buyer's ``user_id`` and the runtime never broadcasts them
(``rooms.events.PRIVATE_TYPES`` are among the types it keeps back). Every node folds
every entry, so every node hands each private event to the connections of its user that
it holds itself: the buyer gets it wherever they are connected, and nobody else does.
Members are indexed by user here (the gateway adds and removes them), so an event costs
a dictionary lookup, not a walk over the room's audience.
"""

from live.room.fanout import Member
from live.room.runtime import RoomRuntime
from live.wire.server import EventMessage
from rooms.commands import Entry
from rooms.events import PRIVATE_TYPES, Event
from rooms.types import RoomId


class Recipients:
    """This node's members of each room, by user."""

    def __init__(self) -> None:
        self._by_room: dict[RoomId, dict[str, list[Member]]] = {}

    def add(self, room: RoomId, member: Member) -> None:
        self._by_room.setdefault(room, {}).setdefault(member.actor.user_id, []).append(member)

    def remove(self, room: RoomId, member: Member) -> None:
        users = self._by_room.get(room, {})
        mine = [m for m in users.get(member.actor.user_id, []) if m is not member]
        if mine:
            users[member.actor.user_id] = mine
        else:
            users.pop(member.actor.user_id, None)
        if not users:
            self._by_room.pop(room, None)

    def deliver(self, rt: RoomRuntime, entry: Entry, events: list[Event]) -> None:
        """Each private event of one entry to its user's connections on this node.

        What the room had queued before this entry is flushed first, so the buyer gets
        the private event after every event of an earlier seq."""
        users = self._by_room.get(rt.room_id)
        if not users:
            return
        flushed = False
        for event in events:
            if event.type not in PRIVATE_TYPES or not (to := users.get(getattr(event, "user_id", ""))):
                continue
            if not flushed:
                rt.fanout.flush()
                flushed = True
            message = EventMessage(entry.seq, entry.ts, event)
            for member in to:
                rt.send(member, message)
