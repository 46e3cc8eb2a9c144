"""Commands of the review queue, reports, shadow-mutes and community rules.

Apart from ``rooms.commands`` (which re-exports them and holds the unions) to keep
each module one idea and small.
"""

from dataclasses import dataclass
from typing import Literal

from rooms.types import UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatReport:
    """A viewer flags a message; enough distinct reports hide it until staff review it."""

    type: Literal["chat.report"] = "chat.report"
    message_id: int
    reason: str | None = None  # up to 200 characters


@dataclass(frozen=True, slots=True, kw_only=True)
class ModApprove:
    """Publish a held message (or restore a hidden one)."""

    type: Literal["mod.approve"] = "mod.approve"
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ModReject:
    """Drop a held message (or delete a hidden one); its author is told, with the reason."""

    type: Literal["mod.reject"] = "mod.reject"
    message_id: int
    reason: str | None = None  # up to 200 characters


@dataclass(frozen=True, slots=True, kw_only=True)
class ModShadowMute:
    """The user's messages are shown to nobody but themselves (and staff)."""

    type: Literal["mod.shadow_mute"] = "mod.shadow_mute"
    user_id: UserId
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModShadowUnmute:
    type: Literal["mod.shadow_unmute"] = "mod.shadow_unmute"
    user_id: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class ModReportThreshold:
    type: Literal["mod.report_threshold"] = "mod.report_threshold"
    reports: int  # 1..100


@dataclass(frozen=True, slots=True, kw_only=True)
class Rules:
    """A brand's (or one room's) community rules."""

    text: str  # up to 4000 characters
    require_acceptance: bool = False  # viewers accept once (per brand) before they may post


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesSet:
    """The brand's rules (sent to each of its open rooms) or this room's own; None clears them."""

    type: Literal["rules.set"] = "rules.set"
    scope: Literal["brand", "room"]
    rules: Rules | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesAccept:
    type: Literal["rules.accept"] = "rules.accept"
