"""What every event class declares besides its fields (shared by ``rooms.events`` and
``rooms.shop_events``, so neither imports the other's private names)."""

from typing import ClassVar


class EventBase:
    """Class attributes of an event, never on the wire."""

    __slots__ = ()
    type: ClassVar[str]  # the wire tag
    # "public": every viewer; "staff": host, moderators, brand; "internal": persisted, never
    # broadcast; "private": only to the connections of the user its ``user_id`` names.
    audience: ClassVar[str] = "public"
    # A running total: within one frame only the latest event per value of this field goes
    # out (the buffer, the transcript and resumes keep every step). None: never coalesced.
    coalesce: ClassVar[str | None] = None
