"""Commands of the community features: polls, questions, giveaways, members-only chat.

Apart from ``rooms.commands`` (which re-exports them and holds the unions) to keep
each module one idea and small.
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class PollCreate:
    type: Literal["poll.create"] = "poll.create"
    question: str
    options: list[str]
    multiple: bool = False  # several options per voter
    allow_change: bool = True  # a voter may change their vote while the poll is open
    duration_seconds: int | None = None  # None: open until closed by hand


@dataclass(frozen=True, slots=True, kw_only=True)
class PollVote:
    type: Literal["poll.vote"] = "poll.vote"
    poll_id: int
    options: list[int]  # indexes into the poll's options


@dataclass(frozen=True, slots=True, kw_only=True)
class PollClose:
    type: Literal["poll.close"] = "poll.close"
    poll_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionAsk:
    type: Literal["question.ask"] = "question.ask"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionUpvote:
    type: Literal["question.upvote"] = "question.upvote"
    question_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionAnswer:
    type: Literal["question.answer"] = "question.answer"
    question_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionHighlight:
    type: Literal["question.highlight"] = "question.highlight"
    question_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Eligibility:
    """Who may enter a giveaway; every rule given must hold."""

    members_only: bool = False  # a membership tier in the token
    voted_in_poll: int | None = None  # voted in this poll
    claimed_an_offer: bool = False  # holds a reservation or paid order in this room


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveawayStart:
    type: Literal["giveaway.start"] = "giveaway.start"
    title: str
    winners: int = 1
    eligibility: Eligibility = Eligibility()


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveawayEnter:
    """Entering is the proof of presence: only viewers in the room at the time can."""

    type: Literal["giveaway.enter"] = "giveaway.enter"
    giveaway_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveawayDraw:
    type: Literal["giveaway.draw"] = "giveaway.draw"
    giveaway_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMembersOnly:
    type: Literal["chat.members_only"] = "chat.members_only"
    enabled: bool
