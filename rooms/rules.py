"""What a rule of the fold is: one row of ``rooms.fold.RULES``.

A rule names its command class, the roles that may send it, the room status it needs
(a gate), a read-only check and an apply. The check and the apply receive the command
already typed as the rule's class, so the rule modules (``lifecycle``, ``chat``,
``moderation``, ``products``, ``commerce``, ``polls``, ``questions``, ``giveaways``)
never cast or assert. Nothing here knows a particular command.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rooms import events as e
from rooms.commands import Command, Entry
from rooms.errors import Rejection
from rooms.roles import Role
from rooms.state import RoomState

C = TypeVar("C", bound=Command)

# What an apply hands back: the events, and the result the sender's reply carries; or a
# Rejection that is still recorded with its events (a message automatic moderation blocked).
Applied = tuple[list[e.Event], dict[str, Any] | Rejection]
# A gate reads only the room's status: does the room take this command now?
Gate = Callable[[RoomState], Rejection | None]
# A check is pure: why the command would be rejected, or None. It never changes the state.
Check = Callable[[RoomState, Entry, C], Rejection | None]
# An apply runs only after its check passed, on the state the fold owns.
Apply = Callable[[RoomState, Entry, C], Applied]


@dataclass(frozen=True)
class Rule(Generic[C]):
    """Build rules with no type context (a plain tuple), so mypy ties ``check`` and
    ``apply`` to ``command``; a context of ``Rule[Any]`` would silence that."""

    command: type[C]
    roles: frozenset[Role]
    gate: Gate | None  # None: the check alone decides (lifecycle, orders after the show)
    check: Check[C]
    apply: Apply[C]


def accept(state: RoomState, entry: Entry, cmd: object) -> Rejection | None:
    """The check of a rule whose gate and roles say everything."""
    return None
