"""Events: what viewers see. The fold emits them; the server encodes each once.

An event's fields are its wire payload; the server adds ``type``, ``seq`` and ``ts``
from the entry it came from.
"""

from dataclasses import dataclass
from typing import ClassVar

from rooms.roles import Role
from rooms.types import Millis, UserId

_ev = dataclass(frozen=True, slots=True, kw_only=True)


@_ev
class UserRef:
    id: UserId
    name: str
    role: Role
    tier: str | None = None


@_ev
class Message:
    id: int  # the seq of the entry that posted it
    user: UserRef
    text: str
    ts: Millis
    reply_to: int | None = None


@_ev
class RoomStatusChanged:
    type: ClassVar[str] = "room.status"
    status: str


@_ev
class ChatMessage:
    type: ClassVar[str] = "chat.message"
    message: Message


@_ev
class ChatDeleted:
    type: ClassVar[str] = "chat.deleted"
    message_id: int
    by: UserId


@_ev
class ChatPinned:
    type: ClassVar[str] = "chat.pinned"
    message: Message


@_ev
class ChatUnpinned:
    type: ClassVar[str] = "chat.unpinned"
    message_id: int


@_ev
class UserTimedOut:
    type: ClassVar[str] = "mod.timeout"
    user_id: UserId
    until: Millis


@_ev
class UserBanned:
    type: ClassVar[str] = "mod.ban"
    user_id: UserId


@_ev
class UserUnbanned:
    type: ClassVar[str] = "mod.unban"
    user_id: UserId


@_ev
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
