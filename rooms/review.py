"""The review queue: what automatic moderation's verdict does to a post, reports, and
staff's approve and reject.

The server scores a message and puts its ``Verdict`` into the ``chat.post``; the fold
only acts on it, so a re-fold decides the same. *allow*: posted. *hold*: kept in the
queue, shown to staff (``chat.held``) and, privately, to its author. *block*: refused
with ``blocked`` and the reasons, and still recorded (the entry stays in the log, staff
get ``chat.blocked``), so the moderation log sees automatic actions too. Staff (host,
moderators, brand) are never held or blocked. A shadow-muted author's post goes to
staff as ``chat.shadowed`` and back to them as if it were posted; nobody else sees it.

Reports: a viewer reports a shown message once; ``report_threshold`` distinct reports
hide it (``chat.hidden``) and queue it. Approve publishes a held message (a
``chat.message``, in order of approval, with its original author and id) or restores a
hidden one; reject tells the author (``chat.rejected``) and deletes a hidden one.
"""

from rooms import chat
from rooms import commands as c
from rooms import events as e
from rooms import modevents as m
from rooms.errors import Code, Rejection
from rooms.moderation import check_reason
from rooms.rewards import award, user_ref
from rooms.roles import SEES_SALES
from rooms.rules import Applied
from rooms.state import Held, RoomState
from rooms.types import UserId
from rooms.verdicts import Outcome

MAX_QUEUE = 500
MAX_REPORT_THRESHOLD = 100


def _judged(entry: c.Entry, cmd: c.ChatPost) -> Outcome:
    """The verdict the fold follows: staff are never held or blocked."""
    return Outcome.ALLOW if entry.actor.role in SEES_SALES else cmd.verdict.outcome


def check_post(s: RoomState, entry: c.Entry, cmd: c.ChatPost) -> Rejection | None:
    if r := chat.check_post(s, entry, cmd):
        return r
    if _judged(entry, cmd) is Outcome.HOLD and len(s.queue) >= MAX_QUEUE:
        return Rejection(Code.LIMIT_REACHED, "the review queue is full; try again later", retry_after_ms=10_000)
    return None


def apply_post(s: RoomState, entry: c.Entry, cmd: c.ChatPost) -> Applied:
    outcome, uid = _judged(entry, cmd), entry.actor.user_id
    if outcome is Outcome.BLOCK:
        reasons = cmd.verdict.reasons
        blocked = m.ChatBlocked(user=user_ref(s, entry.actor), text=cmd.text.strip(), reasons=reasons)
        return [blocked], Rejection(Code.BLOCKED, "this message breaks the room's rules: " + (", ".join(reasons) or "blocked"), reasons=reasons)
    if uid not in s.shadow_muted and outcome is Outcome.ALLOW:
        return chat.apply_post(s, entry, cmd)
    msg = e.Message(id=entry.seq, user=user_ref(s, entry.actor), text=cmd.text.strip(), ts=entry.ts, reply_to=cmd.reply_to)
    s.last_post[uid] = entry.ts  # slow mode counts what they tried to say
    if uid in s.shadow_muted:
        return [m.ChatShadowed(message=msg)], {"message_id": msg.id}  # the same reply as a post
    s.queue[msg.id] = Held(message=msg, reasons=cmd.verdict.reasons, kind="held")
    held = m.ChatHeld(message=msg, reasons=cmd.verdict.reasons, kind="held", notify=True)
    return [held], {"message_id": msg.id, "held": True, "reasons": list(cmd.verdict.reasons)}


# --- reports ----------------------------------------------------------------------------


def check_report(s: RoomState, entry: c.Entry, cmd: c.ChatReport) -> Rejection | None:
    uid = entry.actor.user_id
    if r := check_reason(cmd.reason):
        return r
    if uid in s.banned:
        return Rejection(Code.BANNED, "you are banned from this room")
    message = s.messages.get(cmd.message_id)
    if message is None:
        return Rejection(Code.NOT_FOUND, "no such message")
    if message.user.id == uid:
        return Rejection(Code.INVALID, "you cannot report your own message")
    if message.user.role in SEES_SALES:
        return Rejection(Code.FORBIDDEN, "staff messages cannot be reported")
    if uid in s.reports.get(cmd.message_id, ()):
        return Rejection(Code.CONFLICT, "you have reported this message already")
    return None


def apply_report(s: RoomState, entry: c.Entry, cmd: c.ChatReport) -> Applied:
    reporters = s.reports.setdefault(cmd.message_id, set())
    reporters.add(UserId(entry.actor.user_id))
    count = len(reporters)
    events: list[e.Event] = [m.ChatReported(message_id=cmd.message_id, reports=count, reason=cmd.reason)]
    if count < s.report_threshold or len(s.queue) >= MAX_QUEUE:
        return events, {"hidden": False}
    message = s.messages.pop(cmd.message_id)
    del s.reports[cmd.message_id]
    s.queue[message.id] = Held(message=message, reasons=("reports",), kind="reported", reports=count)
    events += [m.ChatHidden(message_id=message.id, reason="reports"), m.ChatHeld(message=message, reasons=("reports",), kind="reported", reports=count)]
    if s.pinned is not None and s.pinned.id == message.id:
        s.pinned = None
        events.append(e.ChatUnpinned(message_id=message.id))
    return events, {"hidden": True}


def check_threshold(s: RoomState, entry: c.Entry, cmd: c.ModReportThreshold) -> Rejection | None:
    if not 1 <= cmd.reports <= MAX_REPORT_THRESHOLD:
        return Rejection(Code.INVALID, f"reports must be 1..{MAX_REPORT_THRESHOLD}")
    return None


def apply_threshold(s: RoomState, entry: c.Entry, cmd: c.ModReportThreshold) -> Applied:
    s.report_threshold = cmd.reports
    return [m.ReportThresholdChanged(reports=cmd.reports)], {}


# --- the queue --------------------------------------------------------------------------


def check_review(s: RoomState, entry: c.Entry, cmd: c.ModApprove | c.ModReject) -> Rejection | None:
    if isinstance(cmd, c.ModReject) and (r := check_reason(cmd.reason)):
        return r
    if cmd.message_id not in s.queue:
        return Rejection(Code.NOT_FOUND, "that message is not waiting for review")
    return None


def apply_approve(s: RoomState, entry: c.Entry, cmd: c.ModApprove) -> Applied:
    item = s.queue.pop(cmd.message_id)
    msg, by = item.message, UserId(entry.actor.user_id)
    s.remember(msg)
    events: list[e.Event]
    if item.kind == "held":
        s.message_count += 1
        events = [e.ChatMessage(message=msg), *award(s, msg.user.id, msg.user.name, "chat")]
    else:
        events = [m.ChatRestored(message=msg)]
    return [*events, m.ModReviewed(message_id=msg.id, approved=True, by=by)], {}


def apply_reject(s: RoomState, entry: c.Entry, cmd: c.ModReject) -> Applied:
    item = s.queue.pop(cmd.message_id)
    msg, by = item.message, UserId(entry.actor.user_id)
    events: list[e.Event] = [m.ModReviewed(message_id=msg.id, approved=False, by=by, reason=cmd.reason)]
    if item.kind == "reported":
        events.append(e.ChatDeleted(message_id=msg.id, by=by))  # the transcript marks it deleted
    events.append(m.ChatRejected(user_id=msg.user.id, message_id=msg.id, reason=cmd.reason))
    return events, {}
