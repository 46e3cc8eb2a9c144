"""Every user id an event can carry is one ``live.privacy`` pseudonymizes: a new event field
holding a user under a name it does not know would show the platform's id to brands and on
public transcripts. Walks the events' dataclasses (and the payload parts inside them) by type."""

import dataclasses
import types
import typing
from typing import Any

from live import privacy
from rooms.auction_events import Bidder
from rooms.eventbase import UserRef
from rooms.events import EVENT_CLASSES
from rooms.types import UserId

USER_OBJECTS = (UserRef, Bidder)  # a user as {"id", "name", ...}


def _args(tp: Any) -> tuple[Any, ...]:
    """The non-None parts of a union, or the type itself."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(tp) if a is not type(None))
    return (tp,)


def _user_fields(cls: type, path: str, seen: set[type]) -> list[tuple[str, str, str]]:
    """(path, field name, kind) for each field of ``cls`` (and its parts) that holds users."""
    found: list[tuple[str, str, str]] = []
    if cls in seen:
        return found
    seen.add(cls)
    for name, hint in typing.get_type_hints(cls).items():
        if name not in {f.name for f in dataclasses.fields(cls)}:
            continue
        for tp in _args(hint):
            origin, args = typing.get_origin(tp), typing.get_args(tp)
            inner = [a for arg in args for a in _args(arg) if a is not Ellipsis]
            if tp is UserId:
                found.append((path, name, "id"))
            elif tp in USER_OBJECTS:
                found.append((path, name, "ref"))
            elif origin in (list, tuple, set, frozenset) and any(a is UserId for a in inner):
                found.append((path, name, "id list"))
            elif origin in (list, tuple, set, frozenset) and any(a in USER_OBJECTS for a in inner):
                found.append((path, name, "ref list"))
            elif origin is dict and args and args[0] is UserId:
                found.append((path, name, "keyed"))
            for part in (tp, *inner):
                if dataclasses.is_dataclass(part) and isinstance(part, type) and part not in USER_OBJECTS:
                    found += _user_fields(part, f"{path}.{name}", seen)
    return found


def test_every_user_field_of_every_event_is_pseudonymized() -> None:
    known = {"id": privacy.USER_FIELDS, "ref": privacy.USER_REFS, "id list": privacy.USER_ID_LISTS, "ref list": privacy.USER_REF_LISTS, "keyed": privacy.USER_KEYED}
    fields = [f for cls in EVENT_CLASSES for f in _user_fields(cls, cls.type, set())]
    assert len(fields) > 30, "the walk finds the events' user fields"
    missed = [(path, name, kind) for path, name, kind in fields if name not in known[kind]]
    assert missed == [], f"user fields live.privacy does not pseudonymize: {missed}"


def test_lists_and_maps_of_users_are_pseudonymized_too() -> None:
    data = {
        "winners": [{"id": "ana", "name": "Ana"}],
        "poll": {"winners": [0, 2]},
        "now": {"moderators": ["ana"], "banned": ["ben"], "timed_out": {"cy": 5}, "shadow_muted": ["dee"]},
        "cohosts": ["eve"],
        "drawn": [{"id": "fay", "name": "Fay"}],
    }
    out = privacy.pseudonymize(data, lambda user: f"u_{user[::-1]}")
    assert out == {
        "winners": [{"id": "u_ana", "name": "Ana"}],
        "poll": {"winners": [0, 2]},
        "now": {"moderators": ["u_ana"], "banned": ["u_neb"], "timed_out": {"u_yc": 5}, "shadow_muted": ["u_eed"]},
        "cohosts": ["u_eve"],
        "drawn": [{"id": "u_yaf", "name": "Fay"}],
    }
