"""A brand's automatic-moderation settings: which checks run, their thresholds, and what
each does to a message (hold it for review, or block it), with defaults that suit a
live-shopping room out of the box. Stored per brand (``live.store.automod``), set over
HTTP (``PUT /v1/brands/{brand_id}/automod``); docs/moderation.md describes every field.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from live.automod.reasons import Reason


class Action(StrEnum):
    OFF = "off"  # the check does not run
    HOLD = "hold"  # staff review the message first
    BLOCK = "block"  # nobody sees it; the author is told why
    STRIP = "strip"  # links only: posted with each link replaced by "[link removed]"
    LISTED = "listed"  # word list only: each entry's own action (the shipped tier, or the brand's list it is in)


Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Domain = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")]
Flag = Literal["off", "hold", "block"]


class Actions(BaseModel):
    """What each check does when it fires (``off``: it does not run)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    word_list: Literal["listed", "off", "hold", "block"] = "listed"
    toxicity: Flag = "hold"
    link: Literal["off", "hold", "block", "strip"] = "hold"
    new_user_link: Flag = "hold"
    spam_repeat: Flag = "block"
    spam_flood: Flag = "hold"
    caps: Flag = "hold"
    emoji_flood: Flag = "hold"
    mention_flood: Flag = "hold"
    phone: Flag = "hold"
    scam: Flag = "hold"

    def of(self, reason: Reason) -> Action:
        return Action(getattr(self, reason.value))


class Policy(BaseModel):
    """One brand's settings. Every field has a default; a PUT replaces the whole policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="false: every message is allowed (staff moderate by hand)")
    languages: tuple[Literal["en", "id"], ...] = Field(default=("en", "id"), description="the shipped word lists to use")
    actions: Actions = Field(default_factory=Actions)
    blocked_words: tuple[Word, ...] = Field(default=(), max_length=500, description="the brand's own words and phrases to block")
    held_words: tuple[Word, ...] = Field(default=(), max_length=500, description="the brand's own words and phrases to hold")
    allowed_words: tuple[Word, ...] = Field(default=(), max_length=500, description="never matched, even if a shipped list has them")
    allowed_domains: tuple[Domain, ...] = Field(default=(), max_length=100, description="links to these (and their subdomains) pass")
    toxicity_threshold: float = Field(default=0.9, ge=0.5, le=1.0, description="the model's probability from which a message counts as toxic (English)")
    caps_ratio: float = Field(default=0.75, gt=0.0, le=1.0, description="share of capital letters that counts as shouting")
    caps_min_letters: int = Field(default=30, ge=1, le=500, description="shorter messages are never shouting")
    emoji_max: int = Field(default=10, ge=1, le=500, description="more emoji than this is a flood")
    mention_max: int = Field(default=4, ge=1, le=100, description="more @mentions than this is a flood")
    repeat_max: int = Field(default=2, ge=1, le=100, description="the same text more often than this by one user, within the window, is spam")
    flood_users: int = Field(default=4, ge=2, le=1000, description="the same text by this many users within the window is a campaign")
    flood_min_chars: int = Field(default=12, ge=1, le=500, description='shorter texts ("mau kak", "+1") never count as a campaign')
    repeat_window_seconds: int = Field(default=60, ge=1, le=3600)
    new_user_seconds: int = Field(default=600, ge=0, le=30 * 86400, description="an author first seen in the brand less than this long ago is new")


DEFAULT = Policy()
