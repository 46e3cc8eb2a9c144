"""Commands: everything that changes a room goes into its log as one of these.

Each command is a frozen dataclass with a literal ``type`` tag. The server's wire
schema validates client frames straight into these classes, so this module is the
one definition of what a client may ask for.
"""

from dataclasses import dataclass
from typing import Literal

from rooms.roles import Role
from rooms.types import Millis, Seq, UserId



@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who sent a command, as the server verified it from the token."""

    user_id: UserId
    name: str
    role: Role
    tier: str | None = None


# --- room lifecycle (HTTP API) -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomCreate:
    type: Literal["room.create"] = "room.create"
    title: str
    host_id: UserId
    brand_id: str | None = None
    starts_at: Millis | None = None
    allow_guests: bool = True
    max_message_length: int = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomGoLive:
    type: Literal["room.go_live"] = "room.go_live"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomEnd:
    type: Literal["room.end"] = "room.end"


# --- chat and moderation (WebSocket) ------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPost:
    type: Literal["chat.post"] = "chat.post"
    text: str
    reply_to: int | None = None  # message id (the seq of the post replied to)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatDelete:
    type: Literal["chat.delete"] = "chat.delete"
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPin:
    type: Literal["chat.pin"] = "chat.pin"
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatUnpin:
    type: Literal["chat.unpin"] = "chat.unpin"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModTimeout:
    type: Literal["mod.timeout"] = "mod.timeout"
    user_id: UserId
    seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ModBan:
    type: Literal["mod.ban"] = "mod.ban"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModUnban:
    type: Literal["mod.unban"] = "mod.unban"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModSlowMode:
    type: Literal["mod.slow_mode"] = "mod.slow_mode"
    seconds: int  # 0 turns slow mode off


ClientCommand = ChatPost | ChatDelete | ChatPin | ChatUnpin | ModTimeout | ModBan | ModUnban | ModSlowMode
LifecycleCommand = RoomCreate | RoomGoLive | RoomEnd
Command = ClientCommand | LifecycleCommand


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One position in a room's log: the command, who sent it, and when.

    ``origin`` names the node and request that appended it, so that node can answer
    its client from the fold's outcome once the entry comes back through the log.
    """

    seq: Seq
    ts: Millis
    actor: Actor
    command: Command
    origin: str | None = None
