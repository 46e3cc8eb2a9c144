"""Chat: who may post, react and see what, and the messages' own commands.

Posting (bans, timeouts, members-only chat, length, replies, slow mode), deleting,
pinning and unpinning a message, switching members-only chat, and ``may_react``: the
rule the server applies to reactions, which never enter the log (they are edge
signals). Commands that act on users (bans, timeouts, slow mode) are in
``rooms.moderation``; the gates (room live) in the rule table.
"""

from rooms import commands as c
from rooms import comments
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.moderation import check_reason
from rooms.rewards import award, user_ref
from rooms.roles import EXEMPT_FROM_SLOW_MODE, SEES_SALES, STAFF, Role
from rooms.rules import Applied
from rooms.state import RoomState


def may_react(state: RoomState, actor: c.Actor) -> Rejection | None:
    """Why ``actor`` may not send reactions in this room, or None. Guests only watch."""
    if actor.role is Role.GUEST or actor.user_id in state.banned:
        return Rejection(Code.FORBIDDEN, "you may not react in this room")
    return None


# --- checks ----------------------------------------------------------------------------


def check_post(s: RoomState, entry: c.Entry, cmd: c.ChatPost) -> Rejection | None:
    uid, ts = entry.actor.user_id, entry.ts
    # A user's role is known to the fold only once they act, so a ban or timeout may
    # name a moderator who has not spoken yet; staff are never held by one.
    if entry.actor.role not in STAFF:
        if uid in s.banned:
            return Rejection(Code.BANNED, "you are banned from this room")
        until = s.timeouts.get(uid)
        if until is not None and ts < until:
            return Rejection(Code.TIMED_OUT, "you are timed out", retry_after_ms=until - ts)
    if s.members_only_chat and entry.actor.tier is None and entry.actor.role not in SEES_SALES:
        return Rejection(Code.MEMBERS_ONLY, "chat is for members right now")
    if (rules := s.rules) and rules.require_acceptance and entry.actor.role not in SEES_SALES and not entry.actor.rules_accepted and uid not in s.rules_accepted:
        return Rejection(Code.RULES_NOT_ACCEPTED, "accept the room's rules before you post (rules.accept)")
    text = cmd.text.strip()
    if not text:
        return Rejection(Code.EMPTY, "message is empty")
    if len(text) > s.max_message_length:
        return Rejection(Code.TOO_LONG, f"message is longer than {s.max_message_length} characters")
    if cmd.reply_to is not None and cmd.reply_to not in s.messages:
        return Rejection(Code.NOT_FOUND, "the message replied to does not exist")
    if s.slow_mode_seconds and entry.actor.role not in EXEMPT_FROM_SLOW_MODE:
        last = s.last_post.get(uid)
        wait = s.slow_mode_seconds * 1000
        if last is not None and ts - last < wait:
            return Rejection(Code.SLOW_MODE, "slow mode is on", retry_after_ms=last + wait - ts)
    return None


def _no_message(s: RoomState, message_id: int) -> Rejection | None:
    if message_id not in s.messages:
        return Rejection(Code.NOT_FOUND, "no such message")
    return None


def check_delete(s: RoomState, entry: c.Entry, cmd: c.ChatDelete) -> Rejection | None:
    if r := _no_message(s, cmd.message_id) or check_reason(cmd.reason):
        return r
    if s.messages[cmd.message_id].user.id != entry.actor.user_id and entry.actor.role not in STAFF:
        return Rejection(Code.FORBIDDEN, "only the author or a moderator may delete a message")
    return None


def check_pin(s: RoomState, entry: c.Entry, cmd: c.ChatPin) -> Rejection | None:
    return _no_message(s, cmd.message_id)


def check_unpin(s: RoomState, entry: c.Entry, cmd: c.ChatUnpin) -> Rejection | None:
    if s.pinned is None:
        return Rejection(Code.NOT_FOUND, "no message is pinned")
    return None


# --- applies ---------------------------------------------------------------------------


def apply_post(s: RoomState, entry: c.Entry, cmd: c.ChatPost) -> Applied:
    msg = e.Message(id=entry.seq, user=user_ref(s, entry.actor), text=cmd.text.strip(), ts=entry.ts, reply_to=cmd.reply_to)
    s.remember(msg)
    s.last_post[entry.actor.user_id] = entry.ts
    s.message_count += 1
    claimed, result = comments.act(s, entry, cmd)  # "keep 2", "bid 150rb": a claim or a bid too
    return [e.ChatMessage(message=msg), *claimed, *award(s, entry.actor.user_id, entry.actor.name, "chat")], {"message_id": msg.id} | result


def apply_delete(s: RoomState, entry: c.Entry, cmd: c.ChatDelete) -> Applied:
    del s.messages[cmd.message_id]
    events: list[e.Event] = [e.ChatDeleted(message_id=cmd.message_id, by=entry.actor.user_id)]
    if s.pinned is not None and s.pinned.id == cmd.message_id:
        s.pinned = None
        events.append(e.ChatUnpinned(message_id=cmd.message_id))
    return events, {}


def apply_pin(s: RoomState, entry: c.Entry, cmd: c.ChatPin) -> Applied:
    s.pinned = s.messages[cmd.message_id]
    return [e.ChatPinned(message=s.pinned)], {}


def apply_unpin(s: RoomState, entry: c.Entry, cmd: c.ChatUnpin) -> Applied:
    pinned, s.pinned = s.pinned, None
    return ([e.ChatUnpinned(message_id=pinned.id)] if pinned is not None else []), {}


def apply_members_only(s: RoomState, entry: c.Entry, cmd: c.ChatMembersOnly) -> Applied:
    s.members_only_chat = cmd.enabled
    return [e.MembersOnlyChanged(enabled=cmd.enabled)], {}
