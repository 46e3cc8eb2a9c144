"""Audit by re-folding: a room's persisted log must reproduce what was persisted from it.

``live audit ROOM`` re-folds the entries SQL holds, from an empty room, and compares the
public events it gets with the ``events`` table, the final state with the ``rooms`` row,
and every reservation's status with the ``orders`` table; and that every erasure in the
log was applied (docs/privacy.md: the erase entry names only the alias, and nothing
before it still carries the erased person's text). Exit status 1 on any difference.
"""

from typing import Any

from live.log.serde import entries_from_dicts
from live.store import Store
from live.wire.codec import plain
from live.wire.server import EventMessage
from rooms import commands as c
from rooms.analytics import refold
from rooms.erasure import REMOVED
from rooms.events import INTERNAL_TYPES
from rooms.types import RoomId


async def audit(store: Store, room_id: str) -> tuple[int, list[str]]:
    """(entries re-folded, differences found)."""
    entries = entries_from_dicts(await store.load_entries(room_id))
    state, folded = refold(RoomId(room_id), entries)
    expected: list[tuple[int, int, dict[str, Any]]] = []
    for entry, events in folded:
        for idx, ev in enumerate(events):
            if ev.type not in INTERNAL_TYPES:
                expected.append((entry.seq, idx, plain(EventMessage(entry.seq, entry.ts, ev))))
    persisted = [(row["seq"], row["idx"], row["body"]) for row in await store.event_rows(room_id)]
    differences = []
    if len(expected) != len(persisted):
        differences.append(f"{len(expected)} events re-folded, {len(persisted)} persisted")
    for want, got in zip(expected, persisted, strict=False):
        if want != got:
            differences.append(f"event at seq {want[0]}.{want[1]}: re-folded {want[2]} != persisted {got[2]}")
    room = await store.get_room(room_id)
    if room is None:
        differences.append("no rooms row")
    else:
        for field, value in (("status", state.status.value), ("message_count", state.message_count), ("persisted_seq", state.seq)):
            if room[field] != value:
                differences.append(f"rooms.{field}: re-folded {value!r} != persisted {room[field]!r}")
    orders = {o["reservation_id"]: o["status"] for o in await store.list_orders(room_id)}
    folded_orders = {r.id: r.status for r in state.reservations.values()}
    if orders != folded_orders:
        differences.append(f"orders: re-folded {folded_orders} != persisted {orders}")
    return len(entries), differences + _erasures(entries)


def _erasures(entries: list[c.Entry]) -> list[str]:
    """Erasures SQL did not apply: an erase entry still naming the person, or their text left before it."""
    out = []
    for entry in entries:
        cmd = entry.command
        if not isinstance(cmd, c.PrivacyErase):
            continue
        if cmd.user_id != cmd.alias:
            out.append(f"erasure at seq {entry.seq}: not applied to the persisted rows")
        left = [e.seq for e in entries if e.seq < entry.seq and e.actor.user_id == cmd.alias and getattr(e.command, "text", REMOVED) != REMOVED]
        if left:
            out.append(f"erasure at seq {entry.seq}: text left at seq {left}")
    return out
