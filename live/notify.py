"""Events for one user (``EventBase.recipient``): sent only to that user's connections
on this node, never in the room's broadcast.

A held message's author gets its ``chat.held`` notice, a rejected one's author gets
``chat.rejected``, a shadow-muted author gets their message back as an ordinary
``chat.message``; a buyer gets their own order events (``order.placed``,
``order.checkout``, ``order.paid``...). Each node folds every entry, so each node sends
these to the recipient's connections it serves. What was queued for the room before goes
out first, so the recipient still sees events in seq order. These notices are not in the
resume buffer: a reconnecting author reloads the room (held messages are staff's to
list; the author was told when they posted, in the reply as well), a reconnecting buyer
gets their orders in ``me`` after the welcome.

Members are indexed by user (``Recipients``, kept by the gateway), so a notice costs a
dictionary lookup rather than a walk over the room's audience: a flash sale sends one
per claim.
"""

from typing import cast

from live.room.fanout import Member
from live.room.runtime import RoomRuntime
from live.wire.server import EventMessage
from rooms.commands import Entry
from rooms.events import Event
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

    def of(self, room: RoomId, user: str) -> list[Member]:
        return self._by_room.get(room, {}).get(user, [])


def deliver(rt: RoomRuntime, entry: Entry, events: list[Event], recipients: Recipients) -> None:
    """From the runtime's folded hook, before the entry's own broadcast is queued."""
    targets = [(user, event) for event in events if (user := event.recipient()) is not None]
    if not targets:
        return
    mine = [(event, found) for user, event in targets if (found := recipients.of(rt.room_id, user))]
    if not mine:
        return
    for event, found in mine:
        seen = cast(Event, event.as_recipient_sees())
        for member in found:
            if seen is event and event.audience == "staff" and member.sees_sales:
                continue  # staff get it with the room's staff frame already
            rt.fanout.send_in_order(member, EventMessage(entry.seq, entry.ts, seen))
