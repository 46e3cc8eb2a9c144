"""Events for one user (``EventBase.recipient``): sent only to that user's connections
on this node, never in the room's broadcast.

A held message's author gets its ``chat.held`` notice, a rejected one's author gets
``chat.rejected``, a shadow-muted author gets their message back as an ordinary
``chat.message``. Each node folds every entry, so each node sends these to the
recipient's connections it serves. What was queued for the room before goes out
first, so the recipient still sees events in seq order. These notices are not in the
resume buffer: a reconnecting author reloads the room (held messages are staff's to
list; the author was told when they posted, in the reply as well).
"""

from typing import cast

from live.room.runtime import RoomRuntime
from live.wire.server import EventMessage
from rooms.commands import Entry
from rooms.events import Event


def deliver(rt: RoomRuntime, entry: Entry, events: list[Event]) -> None:
    """From the runtime's folded hook, before the entry's own broadcast is queued."""
    targets = [(user, event) for event in events if (user := event.recipient()) is not None]
    if not targets:
        return
    members = rt.fanout.members()
    mine = [(event, [mb for mb in members if mb.actor.user_id == user]) for user, event in targets]
    if not any(found for _, found in mine):
        return
    rt.fanout.flush()
    for event, found in mine:
        seen = cast(Event, event.as_recipient_sees())
        for member in found:
            if seen is event and event.audience == "staff" and member.sees_sales:
                continue  # staff get it with the room's staff frame already
            rt.send(member, EventMessage(entry.seq, entry.ts, seen))
