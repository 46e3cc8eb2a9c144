"""Pseudonyms: how exports and replays name users to a brand.

A pseudonym is stable within a brand, unrelated across brands, and not reversible
without the server's secret.
"""

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

USER_FIELDS = ("user_id", "by", "outbid")  # fields of wire data that hold a user id
USER_REFS = ("user", "leader", "winner")  # fields that hold a user as ``{"id", "name", ...}``
USER_REF_LISTS = ("winners", "drawn")  # lists of users as ``{"id", ...}`` (a poll's winners are option indexes: left as they are)
USER_ID_LISTS = ("moderators", "brand_moderators", "banned", "shadow_muted", "cohosts", "cohost_invites")  # lists of user ids
USER_KEYED = ("timed_out",)  # maps keyed by user id


def pseudonym(secret: str, brand: str | None, user_id: str) -> str:
    return "u_" + hmac.new(secret.encode(), f"{brand}|{user_id}".encode(), hashlib.sha256).hexdigest()[:16]


def _ref(value: Any, hide: Callable[[str], str]) -> Any:
    return {**value, "id": hide(value["id"])} if isinstance(value, dict) and isinstance(value.get("id"), str) else value


def pseudonymize(value: Any, hide: Callable[[str], str]) -> Any:
    """Wire data (events, snapshots, moderation views as plain data) with every user id
    replaced by ``hide(id)``. ``tests/test_privacy_fields.py`` holds every event's user
    fields to these names."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in USER_FIELDS and isinstance(v, str):
                out[k] = hide(v)
            elif k in USER_REFS and isinstance(v, dict):
                out[k] = _ref(v, hide)
            elif k in USER_REF_LISTS and isinstance(v, list):
                out[k] = [_ref(u, hide) for u in v]
            elif k in USER_ID_LISTS and isinstance(v, list):
                out[k] = [hide(u) if isinstance(u, str) else pseudonymize(u, hide) for u in v]
            elif k in USER_KEYED and isinstance(v, dict):
                out[k] = {hide(u): pseudonymize(x, hide) for u, x in v.items()}
            else:
                out[k] = pseudonymize(v, hide)
        return out
    if isinstance(value, list):
        return [pseudonymize(v, hide) for v in value]
    return value


def brand_pseudonyms(secret: str, brand: str | None) -> Callable[[Any], Any]:
    """A function that pseudonymizes wire data for one brand."""
    return lambda value: pseudonymize(value, lambda user: pseudonym(secret, brand, user))
