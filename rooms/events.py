"""Events: what viewers see. The fold emits them; the server encodes each once.

An event's fields are its wire payload; the server adds ``type``, ``seq`` and ``ts``
from the entry it came from.
"""

from dataclasses import dataclass
from typing import ClassVar

from rooms.roles import Role
from rooms.types import Millis, UserId



@dataclass(frozen=True, slots=True, kw_only=True)
class UserRef:
    id: UserId
    name: str
    role: Role
    tier: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    id: int  # the seq of the entry that posted it
    user: UserRef
    text: str
    ts: Millis
    reply_to: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomStatusChanged:
    type: ClassVar[str] = "room.status"
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    type: ClassVar[str] = "chat.message"
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatDeleted:
    type: ClassVar[str] = "chat.deleted"
    message_id: int
    by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPinned:
    type: ClassVar[str] = "chat.pinned"
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatUnpinned:
    type: ClassVar[str] = "chat.unpinned"
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserTimedOut:
    type: ClassVar[str] = "mod.timeout"
    user_id: UserId
    until: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class UserBanned:
    type: ClassVar[str] = "mod.ban"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class UserUnbanned:
    type: ClassVar[str] = "mod.unban"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class SlowModeChanged:
    type: ClassVar[str] = "room.slow_mode"
    seconds: int


Event = (
    RoomStatusChanged
    | ChatMessage
    | ChatDeleted
    | ChatPinned
    | ChatUnpinned
    | UserTimedOut
    | UserBanned
    | UserUnbanned
    | SlowModeChanged
)
