"""Erasure in the fold: from a ``privacy.erase`` entry on, the room knows the person only
by an alias, and what they wrote reads "[removed]".

The server rewrites the persisted entries before the erase entry the same way (the
person's id becomes the alias, their name ``erased``, their text ``[removed]``;
``live.store.privacy.scrub``), so a re-fold of the rewritten log reaches the state this
apply leaves: every map keyed by the person is re-keyed in place, keeping its order
(a giveaway draws in order of entry). Counts do not move: votes, claims, points and
messages stay, under the alias. The room's host is not erased from their own room
(the room is the merchant's record; docs/privacy.md). The rewrite turns the erase
entry's own ``user_id`` into the alias too, so on a re-fold it names the alias twice
and changes nothing more.
"""

import dataclasses
from collections.abc import Iterable
from typing import TypeVar

from rooms import commands as c
from rooms.errors import Code, Rejection
from rooms.events import Message, UserRef
from rooms.rules import Applied
from rooms.shop_commands import ReviewAuthor, ReviewSummary, ReviewView
from rooms.state import RoomState
from rooms.types import UserId

REMOVED = "[removed]"  # what an erased person's messages and questions read
ERASED_NAME = "erased"  # the display name they are shown with
V = TypeVar("V")


def check_erase(s: RoomState, entry: c.Entry, cmd: c.PrivacyErase) -> Rejection | None:
    if not cmd.alias:
        return Rejection(Code.INVALID, "an erasure needs an alias")
    if cmd.user_id == s.host_id:
        return Rejection(Code.FORBIDDEN, "a room's host stays named in the room (the merchant's record)")
    return None


def apply_erase(s: RoomState, entry: c.Entry, cmd: c.PrivacyErase) -> Applied:
    old, new = cmd.user_id, cmd.alias
    _people(s, old, new)
    _commerce(s, old, new)
    _community(s, old, new)
    _review(s, old, new)
    _auctions(s, old, new)
    s.cohosts, s.cohost_invites = set(_swap(s.cohosts, old, new)), set(_swap(s.cohost_invites, old, new))
    if cmd.author and cmd.author_alias:
        _review_copies(s, cmd.author, cmd.author_alias)
    return [], {"alias": new}


def _rekey(d: dict[UserId, V], old: UserId, new: UserId) -> dict[UserId, V]:
    return {(new if k == old else k): v for k, v in d.items()} if old in d else d


def _swap(ids: Iterable[UserId], old: UserId, new: UserId) -> list[UserId]:
    return [new if u == old else u for u in ids]


def _ref(u: UserRef, old: UserId, new: UserId) -> UserRef:
    return dataclasses.replace(u, id=new, name=ERASED_NAME) if u.id == old else u


def _message(m: Message, old: UserId, new: UserId) -> Message:
    return dataclasses.replace(m, user=_ref(m.user, old, new), text=REMOVED) if m.user.id == old else m


def _people(s: RoomState, old: UserId, new: UserId) -> None:
    """Chat, moderation and points."""
    for key, m in s.messages.items():
        if m.user.id == old:
            s.messages[key] = _message(m, old, new)
    if s.pinned is not None:
        s.pinned = _message(s.pinned, old, new)
    s.banned, s.moderators, s.brand_moderators = set(_swap(s.banned, old, new)), set(_swap(s.moderators, old, new)), set(_swap(s.brand_moderators, old, new))
    s.timeouts, s.last_post, s.roles_seen = _rekey(s.timeouts, old, new), _rekey(s.last_post, old, new), _rekey(s.roles_seen, old, new)
    s.points, s.badges = _rekey(s.points, old, new), _rekey(s.badges, old, new)
    s.names = {(new if k == old else k): (ERASED_NAME if k == old else v) for k, v in s.names.items()}
    prefix = f"{old}|"
    s.earned = {(f"{new}|{k[len(prefix) :]}" if k.startswith(prefix) else k): v for k, v in s.earned.items()}  # "user|kind"


def _commerce(s: RoomState, old: UserId, new: UserId) -> None:
    """Reservations keep their units and prices; only who holds them changes."""
    for r in s.reservations.values():
        if r.user_id == old:
            r.user_id, r.name = new, ERASED_NAME
    prefix = f"{old}|"
    s.claim_keys = {(f"{new}|{k[len(prefix) :]}" if k.startswith(prefix) else k): v for k, v in s.claim_keys.items()}  # "user|key"
    held = {}
    for k, v in s.held.items():  # "offer|user"
        offer, _, user = k.partition("|")
        held[f"{offer}|{new}" if user == old else k] = v
    s.held = held


def _auctions(s: RoomState, old: UserId, new: UserId) -> None:
    """Bids stay, under the alias: the leader, each bidder's maximum, name, referral and keys."""
    prefix = f"{old}|"
    for a in s.auctions.values():
        if a.leader == old:
            a.leader = new
        a.maxes, a.refs = _rekey(a.maxes, old, new), _rekey(a.refs, old, new)
        a.names = {(new if k == old else k): (ERASED_NAME if k == old else v) for k, v in a.names.items()}
        a.keys = {(f"{new}|{k[len(prefix) :]}" if k.startswith(prefix) else k): v for k, v in a.keys.items()}  # "user|key"


def _community(s: RoomState, old: UserId, new: UserId) -> None:
    for p in s.polls.values():
        p.votes = _rekey(p.votes, old, new)
    for q in s.questions.values():
        if q.user.id == old:
            q.user, q.text = _ref(q.user, old, new), REMOVED
        if old in q.voters:
            q.voters = set(_swap(q.voters, old, new))
    for g in s.giveaways.values():
        g.entrants = {(new if k == old else k): _ref(v, old, new) for k, v in g.entrants.items()}
        if g.drawn is not None:
            g.drawn = _swap(g.drawn, old, new)


def _review_copies(s: RoomState, author: str, alias: str) -> None:
    """Their product reviews as the room shows them (the spotlight, a pinned product's
    summary): their words go, the stars stay (the brand's averages do not move)."""
    if s.spotlight is not None:
        s.spotlight = _erase_review(s.spotlight, author, alias)
    for pinned in s.pinned_products:
        if pinned.reviews is not None:
            pinned.reviews = _summary(pinned.reviews, author, alias)


def _erase_review(v: ReviewView, author: str, alias: str) -> ReviewView:
    """A review of ``author``'s as it reads once they are erased (``alias`` the new author id)."""
    if v.author.id != author:
        return v
    return dataclasses.replace(v, author=ReviewAuthor(id=alias, name=ERASED_NAME), text=REMOVED, photo_url=None)


def _summary(r: ReviewSummary, author: str, alias: str) -> ReviewSummary:
    def erase(views: list[ReviewView]) -> list[ReviewView]:
        return [_erase_review(v, author, alias) for v in views]

    return dataclasses.replace(r, newest=erase(r.newest), most_helpful=erase(r.most_helpful))


def _review(s: RoomState, old: UserId, new: UserId) -> None:
    """The review queue (held and hidden messages), who reported what, shadow-mutes, rules accepted."""
    for held in s.queue.values():
        held.message = _message(held.message, old, new)
    for message_id, reporters in s.reports.items():
        if old in reporters:
            s.reports[message_id] = set(_swap(reporters, old, new))
    s.shadow_muted, s.rules_accepted = set(_swap(s.shadow_muted, old, new)), set(_swap(s.rules_accepted, old, new))
