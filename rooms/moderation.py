"""Moderation: staff time users out, ban and unban them, shadow-mute them, and set slow
mode; the host appoints the room's moderators.

Who may moderate whom is ``roles.can_moderate``; the target's role is what the fold
has seen of them (``RoomState.roles_seen``), and the host can never be a target.
What a ban or timeout stops is each rule's to say (``chat.check_post``,
``chat.may_react``, claims, questions, giveaways). A user the host appointed acts as a
moderator from their next command, whatever role their token names (``appointed``).
"""

import dataclasses

from rooms import commands as c
from rooms import events as e
from rooms import modevents as m
from rooms.errors import Code, Rejection
from rooms.roles import STAFF, Role, can_moderate
from rooms.rules import Applied
from rooms.state import RoomState
from rooms.types import Millis, UserId

APPOINTABLE = frozenset({Role.VIEWER, Role.AFFILIATE})  # a token's role an appointment raises
MAX_MODERATORS = 50  # the room's own appointments
MAX_BRAND_MODERATORS = 100  # the brand's team, in each of its rooms besides the room's own
MAX_REASON = 200


def appointed(s: RoomState, entry: c.Entry) -> c.Entry:
    """The entry as the fold judges it: an appointed moderator's commands carry that role."""
    actor = entry.actor
    if actor.user_id in s.moderators and actor.role in APPOINTABLE:
        return dataclasses.replace(entry, actor=dataclasses.replace(actor, role=Role.MODERATOR))
    return entry


MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
MAX_SLOW_MODE_SECONDS = 3600


def check_reason(reason: str | None) -> Rejection | None:
    if reason is not None and len(reason) > MAX_REASON:
        return Rejection(Code.TOO_LONG, f"a reason is up to {MAX_REASON} characters")
    return None


Targeted = c.ModTimeout | c.ModBan | c.ModUnban | c.ModUntimeout | c.ModShadowMute | c.ModShadowUnmute


def _check_target(s: RoomState, entry: c.Entry, cmd: Targeted) -> Rejection | None:
    if isinstance(cmd, c.ModTimeout | c.ModBan | c.ModShadowMute) and (r := check_reason(cmd.reason)):
        return r
    if cmd.user_id == entry.actor.user_id:
        return Rejection(Code.INVALID, "you cannot moderate yourself")
    if cmd.user_id == s.host_id or not can_moderate(entry.actor.role, s.roles_seen.get(cmd.user_id)):
        return Rejection(Code.FORBIDDEN, "that user cannot be moderated")
    return None


def check_timeout(s: RoomState, entry: c.Entry, cmd: c.ModTimeout) -> Rejection | None:
    if r := _check_target(s, entry, cmd):
        return r
    if not 1 <= cmd.seconds <= MAX_TIMEOUT_SECONDS:
        return Rejection(Code.INVALID, f"seconds must be 1..{MAX_TIMEOUT_SECONDS}")
    return None


def check_ban(s: RoomState, entry: c.Entry, cmd: c.ModBan) -> Rejection | None:
    return _check_target(s, entry, cmd)


def check_unban(s: RoomState, entry: c.Entry, cmd: c.ModUnban) -> Rejection | None:
    if r := _check_target(s, entry, cmd):
        return r
    if cmd.user_id not in s.banned:
        return Rejection(Code.NOT_FOUND, "that user is not banned")
    return None


def check_untimeout(s: RoomState, entry: c.Entry, cmd: c.ModUntimeout) -> Rejection | None:
    if r := _check_target(s, entry, cmd):
        return r
    if s.timeouts.get(cmd.user_id, 0) <= entry.ts:
        return Rejection(Code.NOT_FOUND, "that user is not timed out")
    return None


def check_appoint(s: RoomState, entry: c.Entry, cmd: c.ModAppoint) -> Rejection | None:
    user = cmd.user_id
    if entry.actor.role is Role.BRAND:  # its team: it may take over the host's own appointment of a user
        if user in s.brand_moderators or user == s.host_id or s.roles_seen.get(user) in {Role.HOST, Role.BRAND}:
            return Rejection(Code.CONFLICT, "that user is already staff here")
        if len(s.brand_moderators) >= MAX_BRAND_MODERATORS:
            return Rejection(Code.LIMIT_REACHED, f"at most {MAX_BRAND_MODERATORS} moderators per brand")
        return None
    if user in s.moderators or user == s.host_id or s.roles_seen.get(user) in STAFF | {Role.BRAND}:
        return Rejection(Code.CONFLICT, "that user is already staff here")
    if len(s.moderators) - len(s.brand_moderators) >= MAX_MODERATORS:
        return Rejection(Code.LIMIT_REACHED, f"at most {MAX_MODERATORS} moderators per room")
    return None


def check_dismiss(s: RoomState, entry: c.Entry, cmd: c.ModDismiss) -> Rejection | None:
    if cmd.user_id not in s.moderators:
        return Rejection(Code.NOT_FOUND, "that user was not appointed here")
    if cmd.user_id in s.brand_moderators and entry.actor.role is not Role.BRAND:
        return Rejection(Code.FORBIDDEN, "a moderator of the whole brand: only the brand dismisses them")
    return None


def check_slow_mode(s: RoomState, entry: c.Entry, cmd: c.ModSlowMode) -> Rejection | None:
    if not 0 <= cmd.seconds <= MAX_SLOW_MODE_SECONDS:
        return Rejection(Code.INVALID, f"seconds must be 0..{MAX_SLOW_MODE_SECONDS}")
    return None


def apply_timeout(s: RoomState, entry: c.Entry, cmd: c.ModTimeout) -> Applied:
    until = Millis(entry.ts + cmd.seconds * 1000)
    s.timeouts[cmd.user_id] = until
    return [e.UserTimedOut(user_id=cmd.user_id, until=until)], {"until": until}


def apply_ban(s: RoomState, entry: c.Entry, cmd: c.ModBan) -> Applied:
    s.banned.add(cmd.user_id)
    return [e.UserBanned(user_id=cmd.user_id)], {}


def apply_unban(s: RoomState, entry: c.Entry, cmd: c.ModUnban) -> Applied:
    s.banned.discard(cmd.user_id)
    return [e.UserUnbanned(user_id=cmd.user_id)], {}


def apply_untimeout(s: RoomState, entry: c.Entry, cmd: c.ModUntimeout) -> Applied:
    del s.timeouts[cmd.user_id]
    return [e.TimeoutLifted(user_id=cmd.user_id)], {}


def apply_appoint(s: RoomState, entry: c.Entry, cmd: c.ModAppoint) -> Applied:
    s.moderators.add(cmd.user_id)
    brand = entry.actor.role is Role.BRAND
    if brand:
        s.brand_moderators.add(cmd.user_id)
    s.roles_seen[cmd.user_id] = Role.MODERATOR  # other moderators cannot moderate them now
    return [e.ModeratorAppointed(user_id=cmd.user_id, by=UserId(entry.actor.user_id), brand=brand)], {}


def apply_dismiss(s: RoomState, entry: c.Entry, cmd: c.ModDismiss) -> Applied:
    s.moderators.discard(cmd.user_id)
    s.brand_moderators.discard(cmd.user_id)
    s.roles_seen[cmd.user_id] = Role.VIEWER
    return [e.ModeratorDismissed(user_id=cmd.user_id, by=UserId(entry.actor.user_id))], {}


def apply_slow_mode(s: RoomState, entry: c.Entry, cmd: c.ModSlowMode) -> Applied:
    s.slow_mode_seconds = cmd.seconds
    return [e.SlowModeChanged(seconds=cmd.seconds)], {}


def check_shadow_mute(s: RoomState, entry: c.Entry, cmd: c.ModShadowMute | c.ModShadowUnmute) -> Rejection | None:
    if r := _check_target(s, entry, cmd):
        return r
    muting = isinstance(cmd, c.ModShadowMute)
    if muting == (cmd.user_id in s.shadow_muted):
        return Rejection(Code.CONFLICT, "that user is shadow-muted already") if muting else Rejection(Code.NOT_FOUND, "that user is not shadow-muted")
    return None


def apply_shadow_mute(s: RoomState, entry: c.Entry, cmd: c.ModShadowMute) -> Applied:
    """Staff only see it: telling the room (or the user) would defeat the point."""
    s.shadow_muted.add(cmd.user_id)
    return [m.UserShadowMuted(user_id=cmd.user_id, by=UserId(entry.actor.user_id))], {}


def apply_shadow_unmute(s: RoomState, entry: c.Entry, cmd: c.ModShadowUnmute) -> Applied:
    s.shadow_muted.discard(cmd.user_id)
    return [m.UserShadowUnmuted(user_id=cmd.user_id, by=UserId(entry.actor.user_id))], {}
