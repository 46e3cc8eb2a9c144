"""Events of the review queue, reports, shadow-mutes and community rules.

Held and reported messages go to staff (``chat.held``), and a held message's author
gets the same notice (``recipient``); a shadow-muted author is sent their own message
as an ordinary ``chat.message`` while staff see it as ``chat.shadowed``.
"""

from dataclasses import dataclass
from typing import ClassVar

from rooms.commands import Rules
from rooms.eventbase import EventBase, Message, UserRef
from rooms.types import UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatHeld(EventBase):
    """A message in the review queue: held by automatic moderation, or hidden by reports."""

    type: ClassVar[str] = "chat.held"
    audience: ClassVar[str] = "staff"
    message: Message
    reasons: tuple[str, ...]  # stable codes: the verdict's ("link", "word_list"...) or "reports"
    kind: str  # "held" (never shown yet) or "reported" (was shown, now hidden)
    reports: int = 0
    notify: bool = False  # its author is sent this too (held by automatic moderation)

    def recipient(self) -> UserId | None:
        return self.message.user.id if self.notify else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatBlocked(EventBase):
    """A message automatic moderation refused: to staff, and to its author (who also got the
    error with the reasons, on the connection that sent it)."""

    type: ClassVar[str] = "chat.blocked"
    audience: ClassVar[str] = "staff"
    user: UserRef  # the author (a ``user`` with ``text``: erasure finds the text as theirs)
    text: str
    reasons: tuple[str, ...]

    def recipient(self) -> UserId | None:
        return self.user.id


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatReported(EventBase):
    type: ClassVar[str] = "chat.reported"
    audience: ClassVar[str] = "staff"
    message_id: int
    reports: int  # distinct reporters so far
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatHidden(EventBase):
    """Enough viewers reported the message: it is hidden until staff review it."""

    type: ClassVar[str] = "chat.hidden"
    message_id: int
    reason: str  # "reports"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRestored(EventBase):
    """Staff approved a hidden message: it is shown again where it was."""

    type: ClassVar[str] = "chat.restored"
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRejected(EventBase):
    """To the author only: staff rejected their held or reported message."""

    type: ClassVar[str] = "chat.rejected"
    audience: ClassVar[str] = "user"
    user_id: UserId
    message_id: int
    reason: str | None = None

    def recipient(self) -> UserId | None:
        return self.user_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ModReviewed(EventBase):
    """A queue item was decided: staff take it off their queue."""

    type: ClassVar[str] = "mod.reviewed"
    audience: ClassVar[str] = "staff"
    message_id: int
    approved: bool
    by: UserId
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatShadowed(EventBase):
    """A shadow-muted user's message: staff see it as this, its author as a chat.message."""

    type: ClassVar[str] = "chat.shadowed"
    audience: ClassVar[str] = "staff"
    message: Message

    def recipient(self) -> UserId | None:
        return self.message.user.id

    def as_recipient_sees(self) -> EventBase:
        from rooms.events import ChatMessage  # the one public chat event; imported late (it imports us)

        return ChatMessage(message=self.message)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserShadowMuted(EventBase):
    type: ClassVar[str] = "mod.shadow_mute"
    audience: ClassVar[str] = "staff"
    user_id: UserId
    by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class UserShadowUnmuted(EventBase):
    type: ClassVar[str] = "mod.shadow_unmute"
    audience: ClassVar[str] = "staff"
    user_id: UserId
    by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesChanged(EventBase):
    """The room's community rules now (the room's own, else its brand's; None: none)."""

    type: ClassVar[str] = "rules.changed"
    rules: Rules | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportThresholdChanged(EventBase):
    type: ClassVar[str] = "mod.report_threshold"
    audience: ClassVar[str] = "staff"
    reports: int
