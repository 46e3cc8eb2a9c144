"""The closed sets of status and reason words that travel on the wire and into SQL.

Each is a ``StrEnum`` whose values are the strings clients, the transcript and SQL
have always seen: a value is never renamed, only added. The room's own ``Status``
lives with the state it describes (``rooms.state``); the words here are shared by
the state and the events that report its changes, so they sit below both.
"""

from enum import StrEnum


class ReservationStatus(StrEnum):
    """A claim's units are ``reserved`` until the merchant confirms (``paid``) or cancels
    them, or the room's reservation time runs out (``expired``)."""

    RESERVED = "reserved"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# A reservation in one of these holds units of its offer (and counts as having claimed).
HOLDING = frozenset({ReservationStatus.RESERVED, ReservationStatus.PAID})


class EndReason(StrEnum):
    """Why an offer ended or a poll closed."""

    TIME = "time"  # its end time passed
    HOST = "host"  # staff ended or closed it
    ROOM_ENDED = "room_ended"  # the room ended with it still open
