"""The moderation log: every moderation action in a room, manual and automatic, read
from the room's log by re-folding it (so the log an audit re-folds is the record).

Manual actions are the staff commands that took effect (bans, timeouts, deletes,
appointments, reviews, shadow-mutes, rules). Automatic ones are what a command's events
show: a post automatic moderation held or blocked (with its reasons) and a report that
hid a message. Each row names who acted (``user``; ``automod`` for verdicts), whom or
what it targeted (``user_id``, ``message_id``), the reason and the time.
"""

import dataclasses
from collections.abc import Set as AbstractSet
from typing import Any

from rooms import commands as c
from rooms import events as e
from rooms import modevents as m
from rooms.moderation import APPOINTABLE
from rooms.roles import Role

MANUAL = (
    c.ModTimeout,
    c.ModUntimeout,
    c.ModBan,
    c.ModUnban,
    c.ModAppoint,
    c.ModDismiss,
    c.ModSlowMode,
    c.ChatDelete,
    c.ModApprove,
    c.ModReject,
    c.ModShadowMute,
    c.ModShadowUnmute,
    c.ModReportThreshold,
    c.ChatMembersOnly,
    c.RulesSet,
)
AUTOMOD = {"id": "automod", "name": "Automatic moderation", "role": "system"}
COLUMNS = ("room_id", "seq", "ts", "action", "automatic", "by_id", "by_name", "by_role", "user_id", "message_id", "reason", "details")


def _by(entry: c.Entry, moderators: AbstractSet[str] = frozenset()) -> dict[str, str]:
    """Who acted. A viewer's token logging a staff action was judged as a moderator; a delete
    or a report is anyone's, so it shows as a moderator's only when the room had appointed them."""
    actor = entry.actor
    anyones = isinstance(entry.command, c.ChatDelete | c.ChatReport)
    appointed = actor.role in APPOINTABLE and (not anyones or (isinstance(entry.command, c.ChatDelete) and actor.user_id in moderators))
    return {"id": actor.user_id, "name": actor.name, "role": (Role.MODERATOR if appointed else actor.role).value}


def _manual(entry: c.Entry, events: list[e.Event], moderators: set[str]) -> dict[str, Any]:
    fields = {k: v for k, v in dataclasses.asdict(entry.command).items() if k != "type"}
    for ev in events:  # a review's target is the message's author
        if isinstance(ev, m.ChatRejected):
            fields["user_id"] = ev.user_id
        elif isinstance(ev, e.ChatMessage | m.ChatRestored) and isinstance(entry.command, c.ModApprove):
            fields["user_id"] = ev.message.user.id
    return {"seq": entry.seq, "ts": entry.ts, "action": entry.command.type, "automatic": False, "user": _by(entry, moderators)} | fields


def _automatic(entry: c.Entry, events: list[e.Event]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    at = {"seq": entry.seq, "ts": entry.ts, "automatic": True}
    for ev in events:
        if isinstance(ev, m.ChatHeld) and ev.kind == "held":
            rows.append(at | {"action": "auto.hold", "user": AUTOMOD, "user_id": ev.message.user.id, "message_id": ev.message.id, "reason": ",".join(ev.reasons), "text": ev.message.text})
        elif isinstance(ev, m.ChatBlocked):
            rows.append(at | {"action": "auto.block", "user": AUTOMOD, "user_id": ev.user.id, "message_id": entry.seq, "reason": ",".join(ev.reasons), "text": ev.text})
        elif isinstance(ev, m.ChatReported):
            rows.append(at | {"action": "chat.report", "automatic": False, "user": _by(entry), "message_id": ev.message_id, "reason": ev.reason, "reports": ev.reports})
        elif isinstance(ev, m.ChatHeld) and ev.kind == "reported":
            rows.append(at | {"action": "reports.hide", "user": AUTOMOD, "user_id": ev.message.user.id, "message_id": ev.message.id, "reason": "reports", "reports": ev.reports})
    return rows


def actions(folded: list[tuple[c.Entry, list[e.Event]]]) -> list[dict[str, Any]]:
    """Every moderation action of a re-folded room, in log order."""
    out: list[dict[str, Any]] = []
    moderators: set[str] = set()  # appointed in the room as of each entry
    for entry, events in folded:
        if isinstance(entry.command, c.RoomCreate):
            moderators.update(entry.command.moderators)  # the brand's team, from the start
        elif isinstance(entry.command, MANUAL) and events:  # it took effect
            out.append(_manual(entry, events, moderators))
            if isinstance(entry.command, c.ModAppoint):
                moderators.add(entry.command.user_id)
            elif isinstance(entry.command, c.ModDismiss):
                moderators.discard(entry.command.user_id)
        elif isinstance(entry.command, c.ChatPost | c.ChatReport):
            out += _automatic(entry, events)
    return out


def csv_row(room_id: str, row: dict[str, Any]) -> list[Any]:
    """One action as the CSV export's columns (``details``: the rest, as JSON-able data)."""
    known = {"seq", "ts", "action", "automatic", "user", "user_id", "message_id", "reason"}
    details = {k: v for k, v in row.items() if k not in known}
    by = row["user"]
    return [room_id, row["seq"], row["ts"], row["action"], row["automatic"], by["id"], by["name"], by["role"], row.get("user_id"), row.get("message_id"), row.get("reason"), details]
