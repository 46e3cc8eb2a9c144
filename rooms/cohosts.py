"""Co-hosts: the host invites another host or an affiliate of the brand to co-host the show.

Once the invitee accepts, their commands in this room are judged as the host's
(``as_cohost``, applied by ``check`` and ``fold`` like appointed moderators), whatever
role their token has here: powers start with the accept's entry and end with the
removal's (or the room's end), on every node and on re-fold, without a new token.
What stays the room's host's alone (``HOST_ONLY``): the room's lifecycle, appointing
moderators and co-hosts. Orders stay the room's: an affiliate co-host's own offers keep
their attribution (``KEEPS_AFFILIATE``), and a buyer's referral code keeps its own.
"""

import dataclasses

from rooms import commands as c
from rooms import shop_commands as sc
from rooms import shop_events as se
from rooms.errors import Code, Rejection
from rooms.roles import MERCHANT, Role
from rooms.rules import Applied
from rooms.state import RoomState
from rooms.types import UserId

MAX_COHOSTS = 5
RAISED = frozenset({Role.VIEWER, Role.AFFILIATE, Role.MODERATOR})  # a token's role a co-host's powers raise
HOST_ONLY: tuple[type, ...] = (c.RoomCreate, c.RoomGoLive, c.RoomEnd, c.ModAppoint, c.ModDismiss, c.OrderConfirm, sc.CohostInvite, sc.CohostRemove)
# An affiliate co-host running an offer stays an affiliate for it: its sales are theirs.
KEEPS_AFFILIATE: tuple[type, ...] = (c.OfferCreate,)


def as_cohost(s: RoomState, entry: c.Entry) -> c.Entry:
    """The entry as the fold judges it: a co-host's commands carry the host's role."""
    actor, command = entry.actor, entry.command
    if actor.user_id not in s.cohosts or actor.role not in RAISED or isinstance(command, HOST_ONLY):
        return entry
    if actor.role is Role.AFFILIATE and isinstance(command, KEEPS_AFFILIATE):
        return entry
    return dataclasses.replace(entry, actor=dataclasses.replace(actor, role=Role.HOST))


def check_invite(s: RoomState, entry: c.Entry, cmd: sc.CohostInvite) -> Rejection | None:
    if cmd.user_id == s.host_id or cmd.user_id in s.cohosts or s.roles_seen.get(cmd.user_id) in MERCHANT:
        return Rejection(Code.CONFLICT, "that user already hosts this show")
    if cmd.user_id in s.cohost_invites:
        return Rejection(Code.CONFLICT, "that user is already invited")
    if len(s.cohosts) + len(s.cohost_invites) >= MAX_COHOSTS:
        return Rejection(Code.LIMIT_REACHED, f"at most {MAX_COHOSTS} co-hosts (and invitations) per show")
    return None


def check_accept(s: RoomState, entry: c.Entry, cmd: sc.CohostAccept) -> Rejection | None:
    if entry.actor.user_id not in s.cohost_invites:
        return Rejection(Code.NOT_FOUND, "you have no invitation to co-host this show")
    if entry.actor.user_id in s.banned:
        return Rejection(Code.BANNED, "you are banned from this room")
    return None


def check_remove(s: RoomState, entry: c.Entry, cmd: sc.CohostRemove) -> Rejection | None:
    if cmd.user_id not in s.cohosts and cmd.user_id not in s.cohost_invites:
        return Rejection(Code.NOT_FOUND, "that user is not a co-host here")
    if entry.actor.role not in MERCHANT and entry.actor.user_id != cmd.user_id:
        return Rejection(Code.FORBIDDEN, "only the host (or the brand) removes a co-host; a co-host may step down")
    return None


def apply_invite(s: RoomState, entry: c.Entry, cmd: sc.CohostInvite) -> Applied:
    s.cohost_invites.add(cmd.user_id)
    return [se.CohostInvited(user_id=cmd.user_id, by=UserId(entry.actor.user_id))], {}


def apply_accept(s: RoomState, entry: c.Entry, cmd: sc.CohostAccept) -> Applied:
    user = UserId(entry.actor.user_id)
    s.cohost_invites.discard(user)
    s.cohosts.add(user)
    s.roles_seen[user] = Role.HOST  # nobody moderates a co-host now
    return [se.CohostJoined(user_id=user, name=entry.actor.name)], {}


def apply_remove(s: RoomState, entry: c.Entry, cmd: sc.CohostRemove) -> Applied:
    s.cohost_invites.discard(cmd.user_id)
    if cmd.user_id in s.cohosts:
        s.cohosts.discard(cmd.user_id)
        s.roles_seen[cmd.user_id] = Role.MODERATOR if cmd.user_id in s.moderators else Role.VIEWER
    return [se.CohostRemoved(user_id=cmd.user_id, by=UserId(entry.actor.user_id))], {}


def is_staff(s: RoomState, user: UserId) -> bool:
    """Whether a user gets the staff view when they join: appointed moderators and co-hosts."""
    return user in s.moderators or user in s.cohosts
