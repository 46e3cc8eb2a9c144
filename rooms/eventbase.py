"""What every event class declares besides its fields: the base of ``rooms.events``.

Kept apart so that feature modules of events (``rooms.auction_events``) can declare
theirs without importing ``rooms.events``, which gathers them all into ``Event``.
"""

from typing import ClassVar


class EventBase:
    """Class attributes only, never on the wire."""

    __slots__ = ()
    type: ClassVar[str]  # the wire tag
    # "public": every viewer; "staff": host, moderators, brand; "internal": persisted, never broadcast.
    audience: ClassVar[str] = "public"
    # A running total: within one frame only the latest event per value of this field goes
    # out (the buffer, the transcript and resumes keep every step). None: never coalesced.
    coalesce: ClassVar[str | None] = None
