"""Log entries and room snapshots as plain JSON, for the bus and for SQL (never pickle).

This is the storage codec, apart from the client wire: the Redis backend, the
persister and the store read and write entries only through it.
"""

from collections.abc import Iterable
from typing import Any, cast

import orjson
from pydantic import TypeAdapter

from rooms import commands as c
from rooms.commands import Entry
from rooms.state import RoomState

_ENTRY = TypeAdapter(Entry)
_ACTOR = TypeAdapter(c.Actor)
_COMMAND: TypeAdapter[c.Command] = TypeAdapter(c.Command)
_STATE = TypeAdapter(RoomState)


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    return cast(dict[str, Any], _ENTRY.dump_python(entry, mode="json"))


def entry_from_dict(data: dict[str, Any]) -> Entry:
    return _ENTRY.validate_python(data)


def entries_from_dicts(rows: Iterable[dict[str, Any]]) -> list[Entry]:
    """Stored entries (SQL's ``entries.body``), in the order given."""
    return [_ENTRY.validate_python(row) for row in rows]


def entry_body(actor: c.Actor, command: c.Command, origin: str | None) -> bytes:
    """An entry without its seq and ts (the log assigns those), as JSON."""
    return orjson.dumps({"actor": _ACTOR.dump_python(actor, mode="json"), "command": _COMMAND.dump_python(command, mode="json"), "origin": origin})


def state_to_json(state: RoomState) -> bytes:
    """The whole folded state as JSON, for snapshots a node can open a room from.

    orjson, not pydantic: a busy room's state (a thousand recent messages) is written
    every few seconds on the event loop, and this is some fifty times faster.
    """
    return orjson.dumps(state, default=_plain, option=orjson.OPT_NON_STR_KEYS)


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def state_to_dict(state: RoomState) -> dict[str, Any]:
    return cast(dict[str, Any], orjson.loads(state_to_json(state)))


def state_from_dict(data: dict[str, Any]) -> RoomState:
    return _STATE.validate_python(data)
