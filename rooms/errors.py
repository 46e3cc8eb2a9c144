"""Every error code of live, and the domain's one exception base.

Codes are part of the wire protocol (docs/protocol.md): clients branch on them, so a
code is never renamed, only added. One enum serves both the fold's rejections (a
``Rejection`` handed back to the one client who sent a command) and the server
shell's errors (malformed frames, auth, rate limits, outages), so a code is spelled
once for the whole house.

Exceptions raised by the domain core::

    DomainError            base of every exception ``rooms`` raises
    └── OutOfOrder         an entry whose seq is not the next one

A rejection is not an exception: it is a value the fold returns, because refusing a
command is an ordinary outcome that goes into the log's answer like an acceptance.
"""

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    # --- fold rejections ---
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
    BLOCKED = "blocked"  # automatic moderation refused the message (``reasons`` says why)
    RULES_NOT_ACCEPTED = "rules_not_accepted"  # the room asks viewers to accept its rules first (rules.accept)
    BID_TOO_LOW = "bid_too_low"  # under the auction's minimum next bid (the message says it)
    LEADING = "leading"  # a bid from the highest bidder that would not raise their maximum
    # --- server errors (the shell raises these; the fold never does) ---
    BAD_REQUEST = "bad_request"  # a frame or body that does not decode or validate
    UNKNOWN_TYPE = "unknown_type"  # a message type the protocol does not have
    TOO_LARGE = "too_large"  # a frame or body over the size limit
    UNAUTHORIZED = "unauthorized"  # no token, or one that does not verify
    RATE_LIMITED = "rate_limited"  # too many requests; retry_after_ms says when
    UNAVAILABLE = "unavailable"  # a backend (log, SQL) is down; retry later
    INTERNAL = "internal"  # a bug: nothing the client can fix


@dataclass(frozen=True, slots=True)
class Rejection:
    code: Code
    message: str
    retry_after_ms: int | None = None
    reasons: tuple[str, ...] = ()  # stable codes behind a ``blocked``: what automatic moderation found


class DomainError(Exception):
    """Base of every exception the domain core raises."""


class OutOfOrder(DomainError):
    """An entry whose seq is not the next one: the caller must catch up first."""
