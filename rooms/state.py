"""The folded state of one room.

The fold owns and updates a ``RoomState`` in place: copying maps of every chatter
on each entry would make the fold O(room size) per message. Read-only decisions
live in ``fold.check`` so a node can pre-check a command on its replica without
touching it.
"""

from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from rooms.events import Message
from rooms.roles import Role
from rooms.types import Millis, RoomId, Seq, UserId

# Messages kept for replies, deletes and pins; older ones can no longer be targeted.
RECENT_MESSAGES = 1000
# Messages a late joiner is shown in the welcome snapshot.
SNAPSHOT_MESSAGES = 50


class Status(StrEnum):
    NONE = "none"  # no room.create in the log yet
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


@dataclass(slots=True)
class RoomState:
    room_id: RoomId
    seq: Seq = Seq(0)
    status: Status = Status.NONE
    title: str = ""
    host_id: UserId | None = None
    brand_id: str | None = None
    starts_at: Millis | None = None
    created_at: Millis | None = None
    went_live_at: Millis | None = None
    ended_at: Millis | None = None
    allow_guests: bool = True
    max_message_length: int = 500
    slow_mode_seconds: int = 0
    pinned: Message | None = None
    banned: set[UserId] = field(default_factory=set)
    timeouts: dict[UserId, Millis] = field(default_factory=dict)
    last_post: dict[UserId, Millis] = field(default_factory=dict)
    roles_seen: dict[UserId, Role] = field(default_factory=dict)
    messages: "OrderedDict[int, Message]" = field(default_factory=OrderedDict)
    message_count: int = 0

    def remember(self, message: Message) -> None:
        self.messages[message.id] = message
        while len(self.messages) > RECENT_MESSAGES:
            self.messages.popitem(last=False)

    def snapshot(self) -> dict[str, Any]:
        """The public view a joining viewer starts from (no moderation internals)."""
        recent = list(self.messages.values())[-SNAPSHOT_MESSAGES:]
        return {
            "id": self.room_id,
            "seq": self.seq,
            "status": self.status.value,
            "title": self.title,
            "host_id": self.host_id,
            "brand_id": self.brand_id,
            "starts_at": self.starts_at,
            "went_live_at": self.went_live_at,
            "ended_at": self.ended_at,
            "allow_guests": self.allow_guests,
            "max_message_length": self.max_message_length,
            "slow_mode_seconds": self.slow_mode_seconds,
            "pinned": asdict(self.pinned) if self.pinned else None,
            "messages": [asdict(m) for m in recent],
            "message_count": self.message_count,
        }
