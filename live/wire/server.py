"""Every message the server sends, typed from the fold to the codec.

A server frame is an array of one or more of these. Events keep their ``rooms.events``
class inside an ``EventMessage`` (which adds the entry's ``seq`` and ``ts``); the
codec encodes each message once per format. Fields listed in ``omit_none`` are left
out of the wire form when they are None (a resumed welcome has no ``room``).
"""

from dataclasses import dataclass
from typing import Any, ClassVar

from rooms.errors import Rejection
from rooms.events import Event
from rooms.fold import Outcome
from rooms.roles import Role
from rooms.shop_events import MyOrder


@dataclass(frozen=True, slots=True)
class EventMessage:
    """One event of one log entry: ``{"type", "seq", "ts", ...event fields}`` on the wire."""

    seq: int
    ts: int
    event: Event
    offset_ms: int | None = None  # replay only: time since the session went live

    @property
    def type(self) -> str:
        return self.event.type


@dataclass(frozen=True, slots=True)
class You:
    id: str
    name: str
    role: Role
    tier: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome:
    type: ClassVar[str] = "welcome"
    omit_none: ClassVar[frozenset[str]] = frozenset({"room", "sales", "moderation"})
    id: str | int | None
    epoch: str
    seq: int
    resumed: bool
    you: You
    viewers: int
    room: dict[str, Any] | None = None  # the room's snapshot, when not resumed
    sales: dict[str, Any] | None = None  # staff only, with the snapshot
    moderation: dict[str, Any] | None = None  # staff only, with the snapshot: moderators, banned, timed out


@dataclass(frozen=True, slots=True, kw_only=True)
class Mine:
    """Right after the welcome, to a signed-in user only: their own orders in this room (as
    of the welcome's seq; ``order.*`` private events update them) and whom they follow."""

    type: ClassVar[str] = "me"
    orders: list[MyOrder]
    following: dict[str, bool]  # {"brand": ..., "host": ...}: the follow / remind button's state
    reviewed: list[int]  # the paid orders among them they have reviewed (no review form for those)


@dataclass(frozen=True, slots=True)
class ErrorBody:
    omit_none: ClassVar[frozenset[str]] = frozenset({"retry_after_ms", "reasons"})
    code: str
    message: str
    retry_after_ms: int | None = None
    reasons: tuple[str, ...] | None = None  # ``blocked``: what automatic moderation found


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """The one answer to a client's request ``id``: a result, or an error with a stable code."""

    type: ClassVar[str] = "reply"
    omit_none: ClassVar[frozenset[str]] = frozenset({"result", "error"})
    id: str | int | None
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None

    @classmethod
    def success(cls, rid: str | int | None, result: dict[str, Any] | None = None) -> "Reply":
        return cls(id=rid, ok=True, result=result or {})

    @classmethod
    def failure(cls, rid: str | int | None, code: str, message: str, retry_after_ms: int | None = None, reasons: tuple[str, ...] | None = None) -> "Reply":
        return cls(id=rid, ok=False, error=ErrorBody(code, message, retry_after_ms, reasons))


@dataclass(frozen=True, slots=True)
class Presence:
    type: ClassVar[str] = "presence"
    viewers: int


@dataclass(frozen=True, slots=True)
class Reactions:
    type: ClassVar[str] = "reactions"
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class ChatThinned:
    """This viewer fell behind: ordinary viewers' chat is left out until it catches up."""

    type: ClassVar[str] = "chat.thinned"
    thinned: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffView:
    """To a member made staff mid-show (appointed moderator, co-host), right after the event
    that made them so: what a staff welcome carries, as of that event (the review queue as
    it stands, sales so far). Later staff events keep it current."""

    type: ClassVar[str] = "staff"
    sales: dict[str, Any]
    moderation: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayStart:
    type: ClassVar[str] = "replay.start"
    offset_ms: int
    speed: float
    seq: int
    room: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReplayEnd:
    type: ClassVar[str] = "replay.end"
    seq: int


ServerMessage = EventMessage | Welcome | Mine | Reply | Presence | Reactions | ChatThinned | StaffView | ReplayStart | ReplayEnd


def reply_to(rid: str | int | None, outcome: Outcome) -> Reply:
    """The reply to a command from the fold's outcome."""
    if isinstance(outcome, Rejection):
        return Reply.failure(rid, outcome.code.value, outcome.message, outcome.retry_after_ms, outcome.reasons or None)
    return Reply.success(rid, outcome.result)
