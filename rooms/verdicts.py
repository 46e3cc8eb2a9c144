"""What automatic moderation decided about a message, carried inside its command.

The edge scores a message (word lists, links, spam, a toxicity model: I/O and
per-room memory the fold must not have), puts the ``Verdict`` into the command, and
the fold acts on it. A re-fold reads the same verdict from the log, so it decides the
same way without scoring again.
"""

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    ALLOW = "allow"  # everyone sees it
    HOLD = "hold"  # staff review it first; the author is told it is held
    BLOCK = "block"  # nobody sees it; the author is told why


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    outcome: Outcome = Outcome.ALLOW
    reasons: tuple[str, ...] = ()  # stable codes, e.g. "word_list", "link", "spam_repeat"
    score: float = 0.0  # the toxicity model's probability, for audits


ALLOW = Verdict()
