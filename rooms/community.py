"""Community rules: polls, Q&A, giveaways, points and badges, member-only chat.

Points reward taking part and are capped per kind and room, so farming one action
stops paying: see ``POINTS``. Badges earned in a room: ``first_purchase`` (a first paid
order here) and ``top_supporter`` (``TOP_SUPPORTER_POINTS`` in one room). Badges that
span a brand's sessions (``regular``) come from SQL with the user, in ``Actor.badges``.
A giveaway's draw is a pure function of the log: ``draw`` below, documented in
docs/protocol.md so anyone can check a result.
"""

import hashlib
from dataclasses import asdict
from typing import Any

from rooms import commands as c
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.state import Giveaway, Poll, Question, RoomState
from rooms.types import Millis, UserId

# kind -> (points per action, most points of that kind per user per room)
POINTS = {"chat": (1, 20), "vote": (2, 20), "question": (3, 15), "upvoted": (1, 20), "purchase": (10, 50)}
TOP_SUPPORTER_POINTS = 25
MAX_QUESTION = 300
MAX_POLL_OPTIONS = 6


def user_ref(s: RoomState, a: c.Actor) -> e.UserRef:
    """The user as events show them: brand badges from the server, room badges from the fold."""
    badges = tuple(dict.fromkeys([*a.badges, *s.badges.get(a.user_id, [])]))
    return e.UserRef(id=a.user_id, name=a.name, role=a.role, tier=a.tier, badges=badges)


def award(s: RoomState, user: UserId, name: str, kind: str) -> list[e.Event]:
    per, cap = POINTS[kind]
    key = f"{user}|{kind}"
    got = min(per, cap - s.earned.get(key, 0))
    if got <= 0:
        return []
    s.earned[key] = s.earned.get(key, 0) + got
    s.points[user] = s.points.get(user, 0) + got
    s.names[user] = name
    if s.points[user] >= TOP_SUPPORTER_POINTS:
        give_badge(s, user, "top_supporter")
    return [e.PointsAwarded(user_id=user, points=s.points[user], badges=tuple(s.badges.get(user, [])))]


def give_badge(s: RoomState, user: UserId, badge: str) -> None:
    have = s.badges.setdefault(user, [])
    if badge not in have:
        have.append(badge)


def advance(s: RoomState, ts: Millis) -> list[e.Event]:
    return [_close(p, "time") for p in s.polls.values() if not p.closed and p.ends_at is not None and ts >= p.ends_at]


def end_all(s: RoomState) -> list[e.Event]:
    return [_close(p, "room_ended") for p in s.polls.values() if not p.closed]


def _close(p: Poll, reason: str) -> e.PollClosed:
    p.closed = True
    top = max(p.tallies) if p.votes else 0
    winners = [i for i, n in enumerate(p.tallies) if n == top and top > 0]
    return e.PollClosed(poll_id=p.id, tallies=list(p.tallies), voters=len(p.votes), winners=winners, reason=reason)


def draw(room_id: str, giveaway_id: int, draw_seq: int, entrants: list[str], winners: int) -> tuple[str, list[str]]:
    """Winners: entrants ordered by sha256(seed + user id), the first ``winners`` of them.

    seed = sha256("<room>|<giveaway id>|<seq of the draw entry>|<sorted entrant ids, comma-joined>").
    """
    seed = hashlib.sha256(f"{room_id}|{giveaway_id}|{draw_seq}|{','.join(sorted(entrants))}".encode()).hexdigest()
    ranked = sorted(entrants, key=lambda u: hashlib.sha256(f"{seed}{u}".encode()).hexdigest())
    return seed, ranked[:winners]


# --- checks ----------------------------------------------------------------------------


def _poll(s: RoomState, poll_id: int) -> Poll | Rejection:
    p = s.polls.get(poll_id)
    if p is None:
        return Rejection(Code.NOT_FOUND, "no such poll")
    if p.closed:
        return Rejection(Code.ENDED, "the poll is closed")
    return p


def check_poll(s: RoomState, entry: c.Entry) -> Rejection | None:
    cmd = entry.command
    assert isinstance(cmd, c.PollCreate)
    options = [o.strip() for o in cmd.options]
    if not cmd.question.strip() or not 2 <= len(options) <= MAX_POLL_OPTIONS or not all(options):
        return Rejection(Code.INVALID, f"a poll needs a question and 2..{MAX_POLL_OPTIONS} non-empty options")
    if len(set(options)) != len(options) or len(cmd.question) > 300 or any(len(o) > 100 for o in options):
        return Rejection(Code.INVALID, "options must differ; question up to 300, options up to 100 characters")
    if cmd.duration_seconds is not None and not 1 <= cmd.duration_seconds <= 86_400:
        return Rejection(Code.INVALID, "duration_seconds must be 1..86400")
    return None


def check_vote(s: RoomState, entry: c.Entry) -> Rejection | None:
    cmd = entry.command
    assert isinstance(cmd, c.PollVote)
    p = _poll(s, cmd.poll_id)
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


def check_close_poll(s: RoomState, entry: c.Entry) -> Rejection | None:
    p = _poll(s, getattr(entry.command, "poll_id"))
    return p if isinstance(p, Rejection) else None


def check_ask(s: RoomState, entry: c.Entry) -> Rejection | None:
    cmd = entry.command
    assert isinstance(cmd, c.QuestionAsk)
    if not cmd.text.strip():
        return Rejection(Code.EMPTY, "question is empty")
    if len(cmd.text.strip()) > MAX_QUESTION:
        return Rejection(Code.TOO_LONG, f"questions are at most {MAX_QUESTION} characters")
    if entry.actor.user_id in s.banned:
        return Rejection(Code.BANNED, "you are banned from this room")
    return None


def _question(s: RoomState, entry: c.Entry) -> Question | Rejection:
    q = s.questions.get(getattr(entry.command, "question_id"))
    return q if q is not None else Rejection(Code.NOT_FOUND, "no such question")


def check_upvote(s: RoomState, entry: c.Entry) -> Rejection | None:
    q = _question(s, entry)
    if isinstance(q, Rejection):
        return q
    if q.user.id == entry.actor.user_id:
        return Rejection(Code.INVALID, "you cannot upvote your own question")
    if entry.actor.user_id in q.voters:
        return Rejection(Code.CONFLICT, "you have upvoted this question")
    return None


def check_question_target(s: RoomState, entry: c.Entry) -> Rejection | None:
    q = _question(s, entry)
    return q if isinstance(q, Rejection) else None


def check_giveaway(s: RoomState, entry: c.Entry) -> Rejection | None:
    cmd = entry.command
    assert isinstance(cmd, c.GiveawayStart)
    if not cmd.title.strip() or len(cmd.title) > 200 or not 1 <= cmd.winners <= 1000:
        return Rejection(Code.INVALID, "a giveaway needs a title (up to 200 characters) and 1..1000 winners")
    poll = cmd.eligibility.voted_in_poll
    if poll is not None and poll not in s.polls:
        return Rejection(Code.NOT_FOUND, "the poll named in the eligibility rules does not exist")
    return None


def _giveaway(s: RoomState, entry: c.Entry) -> Giveaway | Rejection:
    g = s.giveaways.get(getattr(entry.command, "giveaway_id"))
    if g is None:
        return Rejection(Code.NOT_FOUND, "no such giveaway")
    if g.drawn is not None:
        return Rejection(Code.ENDED, "the giveaway has been drawn")
    return g


def check_enter(s: RoomState, entry: c.Entry) -> Rejection | None:
    g = _giveaway(s, entry)
    if isinstance(g, Rejection):
        return g
    uid, rules = entry.actor.user_id, g.eligibility
    if uid in g.entrants:
        return Rejection(Code.CONFLICT, "you have entered this giveaway")
    if uid in s.banned:
        return Rejection(Code.BANNED, "you are banned from this room")
    if rules.members_only and entry.actor.tier is None:
        return Rejection(Code.MEMBERS_ONLY, "this giveaway is for members")
    if rules.voted_in_poll is not None and uid not in s.polls[rules.voted_in_poll].votes:
        return Rejection(Code.NOT_ELIGIBLE, "vote in the poll first")
    if rules.claimed_an_offer and not any(r.user_id == uid and r.status in ("reserved", "paid") for r in s.reservations.values()):
        return Rejection(Code.NOT_ELIGIBLE, "this giveaway is for buyers")
    return None


def check_draw(s: RoomState, entry: c.Entry) -> Rejection | None:
    g = _giveaway(s, entry)
    return g if isinstance(g, Rejection) else None


# --- applies ---------------------------------------------------------------------------

Applied = tuple[list[e.Event], dict[str, Any]]


def apply_poll(s: RoomState, entry: c.Entry) -> Applied:
    cmd = entry.command
    assert isinstance(cmd, c.PollCreate)
    ends = Millis(entry.ts + cmd.duration_seconds * 1000) if cmd.duration_seconds else None
    options = [o.strip() for o in cmd.options]
    p = Poll(id=entry.seq, question=cmd.question.strip(), options=options, multiple=cmd.multiple, allow_change=cmd.allow_change, ends_at=ends, tallies=[0] * len(options))
    s.polls[p.id] = p
    return [e.PollCreated(poll=p.view())], {"poll_id": p.id}


def apply_vote(s: RoomState, entry: c.Entry) -> Applied:
    cmd = entry.command
    assert isinstance(cmd, c.PollVote)
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


def apply_close_poll(s: RoomState, entry: c.Entry) -> Applied:
    closed = _close(s.polls[getattr(entry.command, "poll_id")], "host")
    return [closed], {"tallies": closed.tallies, "winners": closed.winners}


def apply_ask(s: RoomState, entry: c.Entry) -> Applied:
    cmd = entry.command
    assert isinstance(cmd, c.QuestionAsk)
    q = Question(id=entry.seq, user=user_ref(s, entry.actor), text=cmd.text.strip(), ts=entry.ts)
    s.questions[q.id] = q
    return [e.QuestionAsked(question=q.view()), *award(s, entry.actor.user_id, entry.actor.name, "question")], {"question_id": q.id}


def apply_upvote(s: RoomState, entry: c.Entry) -> Applied:
    q = s.questions[getattr(entry.command, "question_id")]
    q.voters.add(entry.actor.user_id)
    return [e.QuestionVotes(question_id=q.id, votes=len(q.voters)), *award(s, q.user.id, q.user.name, "upvoted")], {"votes": len(q.voters)}


def apply_answer(s: RoomState, entry: c.Entry) -> Applied:
    q = s.questions[getattr(entry.command, "question_id")]
    q.answered = True
    return [e.QuestionAnswered(question_id=q.id)], {}


def apply_highlight(s: RoomState, entry: c.Entry) -> Applied:
    q = s.questions[getattr(entry.command, "question_id")]
    q.highlighted = True
    return [e.QuestionHighlighted(question_id=q.id)], {}


def apply_giveaway(s: RoomState, entry: c.Entry) -> Applied:
    cmd = entry.command
    assert isinstance(cmd, c.GiveawayStart)
    g = Giveaway(id=entry.seq, title=cmd.title.strip(), winners=cmd.winners, eligibility=cmd.eligibility)
    s.giveaways[g.id] = g
    return [e.GiveawayStarted(giveaway_id=g.id, title=g.title, winners=g.winners, eligibility=asdict(g.eligibility))], {"giveaway_id": g.id}


def apply_enter(s: RoomState, entry: c.Entry) -> Applied:
    g = s.giveaways[getattr(entry.command, "giveaway_id")]
    g.entrants[entry.actor.user_id] = user_ref(s, entry.actor)
    return [e.GiveawayEntries(giveaway_id=g.id, entrants=len(g.entrants))], {"entrants": len(g.entrants)}


def apply_draw(s: RoomState, entry: c.Entry) -> Applied:
    g = s.giveaways[getattr(entry.command, "giveaway_id")]
    g.seed, winners = draw(s.room_id, g.id, entry.seq, list(g.entrants), g.winners)
    g.drawn = [UserId(w) for w in winners]
    refs = [g.entrants[w] for w in g.drawn]
    return [e.GiveawayDrawn(giveaway_id=g.id, winners=refs, entrants=len(g.entrants), seed=g.seed)], {"winners": [w.id for w in refs], "seed": g.seed}


def apply_members_only(s: RoomState, entry: c.Entry) -> Applied:
    cmd = entry.command
    assert isinstance(cmd, c.ChatMembersOnly)
    s.members_only_chat = cmd.enabled
    return [e.MembersOnlyChanged(enabled=cmd.enabled)], {}
