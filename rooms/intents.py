"""What a chat message asks for when it reads as a claim or a bid ("keep 2", "bid 150rb").

The edge parses the text (``rooms.comments.parse``, with the room's words) and puts the
``Intent`` into the ``chat.post`` command; the fold decides on it with the same rules
as a button claim or bid. A re-fold reads the same intent from the log, so it agrees
even if the words or the parser change later. A client's own ``intent`` is replaced.
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    kind: Literal["claim", "bid"]
    units: int = 1  # a claim's units
    amount: str | None = None  # a bid's amount in the currency's major units, as a decimal ("150000", "12.5")
    code: str | None = None  # a product id or SKU the comment named, when several offers run
