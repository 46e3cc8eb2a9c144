"""What every event is, and the payload parts most events share (a user, a message).

Apart from ``rooms.events`` so the events of a feature can live in their own module
(``rooms.modevents``) while ``rooms.events`` keeps the one union of them all.
"""

from dataclasses import dataclass
from typing import ClassVar

from rooms.roles import Role
from rooms.types import Millis, UserId


class EventBase:
    """What every event class declares besides its fields (class attributes, never on the wire)."""

    __slots__ = ()
    type: ClassVar[str]  # the wire tag
    # "public": every viewer; "staff": host, moderators, brand; "internal": persisted, never
    # broadcast; "user": only the user ``recipient`` names (never broadcast, not persisted:
    # a re-fold makes it again).
    audience: ClassVar[str] = "public"
    # A running total: within one frame only the latest event per value of this field goes
    # out (the buffer, the transcript and resumes keep every step). None: never coalesced.
    coalesce: ClassVar[str | None] = None

    def recipient(self) -> UserId | None:
        """A user who gets this event besides its audience (the author of a held message)."""
        return None

    def as_recipient_sees(self) -> "EventBase":
        """What the recipient is sent: the event itself, unless it must not know more."""
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRef:
    id: UserId
    name: str
    role: Role
    tier: str | None = None
    badges: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    id: int  # the seq of the entry that posted it
    user: UserRef
    text: str
    ts: Millis
    reply_to: int | None = None
