"""Rejections the fold hands back to the one client who sent a command.

Every code is part of the wire protocol (docs/protocol.md): clients branch on it,
so a code is never renamed, only added.
"""

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    FORBIDDEN = "forbidden"  # the sender's role may not do this
    NOT_FOUND = "not_found"  # the message or user named does not exist
    ROOM_NOT_LIVE = "room_not_live"  # scheduled room: chat opens at go-live
    ROOM_ENDED = "room_ended"  # ended room: takes no more commands
    CONFLICT = "conflict"  # state transition not allowed (e.g. go live twice)
    SLOW_MODE = "slow_mode"  # posted again before the slow-mode interval passed
    BANNED = "banned"
    TIMED_OUT = "timed_out"
    TOO_LONG = "too_long"  # text over the room's length limit
    EMPTY = "empty"  # text is blank
    INVALID = "invalid"  # a value out of range (e.g. negative seconds)
    LIMIT_REACHED = "limit_reached"  # per-buyer limit, or too many pinned products
    SOLD_OUT = "sold_out"
    NOT_ENOUGH_STOCK = "not_enough_stock"  # fewer units left than asked for
    NOT_STARTED = "not_started"  # the offer starts later (retry_after_ms says when)
    ENDED = "ended"  # the offer has ended
    MEMBERS_ONLY = "members_only"
    KEY_REUSED = "key_reused"  # an idempotency key sent again with a different claim
    NOT_ELIGIBLE = "not_eligible"  # a giveaway's eligibility rules exclude the sender


@dataclass(frozen=True, slots=True)
class Rejection:
    code: Code
    message: str
    retry_after_ms: int | None = None
