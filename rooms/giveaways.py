"""Giveaways: staff start one, eligible viewers present in the room enter, staff draw.

The draw is a pure function of the log (``draw``), documented in docs/protocol.md so
anyone can recompute a result from the room, the giveaway, the draw's seq and the
entrants.
"""

import hashlib
from dataclasses import asdict

from rooms import commands as c
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.rewards import user_ref
from rooms.rules import Applied
from rooms.state import Giveaway, RoomState
from rooms.statuses import HOLDING
from rooms.types import UserId

MAX_TITLE = 200
MAX_WINNERS = 1000


def draw(room_id: str, giveaway_id: int, draw_seq: int, entrants: list[str], winners: int) -> tuple[str, list[str]]:
    """Winners: entrants ordered by sha256(seed + user id), the first ``winners`` of them.

    seed = sha256("<room>|<giveaway id>|<seq of the draw entry>|<sorted entrant ids, comma-joined>").
    """
    seed = hashlib.sha256(f"{room_id}|{giveaway_id}|{draw_seq}|{','.join(sorted(entrants))}".encode()).hexdigest()
    ranked = sorted(entrants, key=lambda u: hashlib.sha256(f"{seed}{u}".encode()).hexdigest())
    return seed, ranked[:winners]


def _open_giveaway(s: RoomState, giveaway_id: int) -> Giveaway | Rejection:
    g = s.giveaways.get(giveaway_id)
    if g is None:
        return Rejection(Code.NOT_FOUND, "no such giveaway")
    if g.drawn is not None:
        return Rejection(Code.ENDED, "the giveaway has been drawn")
    return g


# --- checks ----------------------------------------------------------------------------


def check_start(s: RoomState, entry: c.Entry, cmd: c.GiveawayStart) -> Rejection | None:
    if not cmd.title.strip() or len(cmd.title) > MAX_TITLE or not 1 <= cmd.winners <= MAX_WINNERS:
        return Rejection(Code.INVALID, f"a giveaway needs a title (up to {MAX_TITLE} characters) and 1..{MAX_WINNERS} winners")
    poll = cmd.eligibility.voted_in_poll
    if poll is not None and poll not in s.polls:
        return Rejection(Code.NOT_FOUND, "the poll named in the eligibility rules does not exist")
    return None


def check_enter(s: RoomState, entry: c.Entry, cmd: c.GiveawayEnter) -> Rejection | None:
    g = _open_giveaway(s, cmd.giveaway_id)
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
    if rules.claimed_an_offer and not any(r.user_id == uid and r.status in HOLDING for r in s.reservations.values()):
        return Rejection(Code.NOT_ELIGIBLE, "this giveaway is for buyers")
    return None


def check_draw(s: RoomState, entry: c.Entry, cmd: c.GiveawayDraw) -> Rejection | None:
    g = _open_giveaway(s, cmd.giveaway_id)
    return g if isinstance(g, Rejection) else None


# --- applies ---------------------------------------------------------------------------


def apply_start(s: RoomState, entry: c.Entry, cmd: c.GiveawayStart) -> Applied:
    g = Giveaway(id=entry.seq, title=cmd.title.strip(), winners=cmd.winners, eligibility=cmd.eligibility)
    s.giveaways[g.id] = g
    return [e.GiveawayStarted(giveaway_id=g.id, title=g.title, winners=g.winners, eligibility=asdict(g.eligibility))], {"giveaway_id": g.id}


def apply_enter(s: RoomState, entry: c.Entry, cmd: c.GiveawayEnter) -> Applied:
    g = s.giveaways[cmd.giveaway_id]
    g.entrants[entry.actor.user_id] = user_ref(s, entry.actor)
    return [e.GiveawayEntries(giveaway_id=g.id, entrants=len(g.entrants))], {"entrants": len(g.entrants)}


def apply_draw(s: RoomState, entry: c.Entry, cmd: c.GiveawayDraw) -> Applied:
    g = s.giveaways[cmd.giveaway_id]
    g.seed, winners = draw(s.room_id, g.id, entry.seq, list(g.entrants), g.winners)
    g.drawn = [UserId(w) for w in winners]
    refs = [g.entrants[w] for w in g.drawn]
    return [e.GiveawayDrawn(giveaway_id=g.id, winners=refs, entrants=len(g.entrants), seed=g.seed)], {"winners": [w.id for w in refs], "seed": g.seed}
