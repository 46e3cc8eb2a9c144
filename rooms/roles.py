"""Roles a token can carry for a room, and who may moderate whom."""

from enum import StrEnum


class Role(StrEnum):
    HOST = "host"
    MODERATOR = "moderator"
    AFFILIATE = "affiliate"
    VIEWER = "viewer"
    BRAND = "brand"
    GUEST = "guest"  # no token: may watch where the room allows it, never write
    SYSTEM = "system"  # the server itself (clock ticks); never in a token


STAFF = frozenset({Role.HOST, Role.MODERATOR})
# Roles that slow mode and the chat length limit's rate rules do not apply to.
EXEMPT_FROM_SLOW_MODE = frozenset({Role.HOST, Role.MODERATOR, Role.BRAND})
WRITERS = frozenset(Role) - {Role.GUEST, Role.SYSTEM}
SELLERS = frozenset({Role.HOST, Role.MODERATOR, Role.AFFILIATE})  # pin products, run offers
MERCHANT = frozenset({Role.HOST, Role.BRAND})  # confirm orders, configure the room
SEES_SALES = STAFF | MERCHANT  # gets staff-audience events (live sales per affiliate)


def can_moderate(actor: Role, target: Role | None) -> bool:
    """Staff moderate everyone below staff; nobody moderates the host or a moderator."""
    return actor in STAFF and target not in STAFF
