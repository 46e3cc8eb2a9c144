"""Polls: staff ask, viewers vote, tallies run live, and a poll closes by hand or on time.

A poll's time rule (closing at ``ends_at``) acts in ``advance``, which the fold runs
before every entry; the room's end closes what is still open (``end_all``).
"""

from rooms import commands as c
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.rewards import award
from rooms.rules import Applied
from rooms.state import Poll, RoomState
from rooms.statuses import EndReason
from rooms.types import Millis

MAX_POLL_OPTIONS = 6
MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MAX_POLL_SECONDS = 86_400


def advance(s: RoomState, ts: Millis) -> list[e.Event]:
    """Close the polls whose time is up at ``ts``, in poll order."""
    return [_close(p, EndReason.TIME) for p in s.polls.values() if not p.closed and p.ends_at is not None and ts >= p.ends_at]


def end_all(s: RoomState) -> list[e.Event]:
    return [_close(p, EndReason.ROOM_ENDED) for p in s.polls.values() if not p.closed]


def _close(p: Poll, reason: EndReason) -> e.PollClosed:
    p.closed = True
    top = max(p.tallies) if p.votes else 0
    winners = [i for i, n in enumerate(p.tallies) if n == top and top > 0]
    return e.PollClosed(poll_id=p.id, tallies=list(p.tallies), voters=len(p.votes), winners=winners, reason=reason)


def _open_poll(s: RoomState, poll_id: int) -> Poll | Rejection:
    p = s.polls.get(poll_id)
    if p is None:
        return Rejection(Code.NOT_FOUND, "no such poll")
    if p.closed:
        return Rejection(Code.ENDED, "the poll is closed")
    return p


# --- checks ----------------------------------------------------------------------------


def check_create(s: RoomState, entry: c.Entry, cmd: c.PollCreate) -> Rejection | None:
    options = [o.strip() for o in cmd.options]
    if not cmd.question.strip() or not 2 <= len(options) <= MAX_POLL_OPTIONS or not all(options):
        return Rejection(Code.INVALID, f"a poll needs a question and 2..{MAX_POLL_OPTIONS} non-empty options")
    if len(set(options)) != len(options) or len(cmd.question) > MAX_POLL_QUESTION or any(len(o) > MAX_POLL_OPTION for o in options):
        return Rejection(Code.INVALID, f"options must differ; question up to {MAX_POLL_QUESTION}, options up to {MAX_POLL_OPTION} characters")
    if cmd.duration_seconds is not None and not 1 <= cmd.duration_seconds <= MAX_POLL_SECONDS:
        return Rejection(Code.INVALID, f"duration_seconds must be 1..{MAX_POLL_SECONDS}")
    return None


def check_vote(s: RoomState, entry: c.Entry, cmd: c.PollVote) -> Rejection | None:
    p = _open_poll(s, cmd.poll_id)
    if isinstance(p, Rejection):
        return p
    if p.ends_at is not None and entry.ts >= p.ends_at:
        return Rejection(Code.ENDED, "the poll is closed")
    picks = cmd.options
    if not picks or len(set(picks)) != len(picks) or any(not 0 <= i < len(p.options) for i in picks) or (not p.multiple and len(picks) != 1):
        return Rejection(Code.INVALID, "choose one option" if not p.multiple else "choose distinct options of this poll")
    if entry.actor.user_id in p.votes and not p.allow_change:
        return Rejection(Code.CONFLICT, "you have voted in this poll")
    return None


def check_close(s: RoomState, entry: c.Entry, cmd: c.PollClose) -> Rejection | None:
    p = _open_poll(s, cmd.poll_id)
    return p if isinstance(p, Rejection) else None


# --- applies ---------------------------------------------------------------------------


def apply_create(s: RoomState, entry: c.Entry, cmd: c.PollCreate) -> Applied:
    ends = Millis(entry.ts + cmd.duration_seconds * 1000) if cmd.duration_seconds else None
    options = [o.strip() for o in cmd.options]
    p = Poll(id=entry.seq, question=cmd.question.strip(), options=options, multiple=cmd.multiple, allow_change=cmd.allow_change, ends_at=ends, tallies=[0] * len(options))
    s.polls[p.id] = p
    return [e.PollCreated(poll=p.view())], {"poll_id": p.id}


def apply_vote(s: RoomState, entry: c.Entry, cmd: c.PollVote) -> Applied:
    p, uid = s.polls[cmd.poll_id], entry.actor.user_id
    first = uid not in p.votes
    for i in p.votes.get(uid, []):
        p.tallies[i] -= 1
    p.votes[uid] = sorted(cmd.options)
    for i in p.votes[uid]:
        p.tallies[i] += 1
    events: list[e.Event] = [e.PollTally(poll_id=p.id, tallies=list(p.tallies), voters=len(p.votes))]
    if first:
        events += award(s, uid, entry.actor.name, "vote")
    return events, {"tallies": list(p.tallies)}


def apply_close(s: RoomState, entry: c.Entry, cmd: c.PollClose) -> Applied:
    closed = _close(s.polls[cmd.poll_id], EndReason.HOST)
    return [closed], {"tallies": closed.tallies, "winners": closed.winners}
