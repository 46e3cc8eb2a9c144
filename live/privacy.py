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


def pseudonym(secret: str, brand: str | None, user_id: str) -> str:
    return "u_" + hmac.new(secret.encode(), f"{brand}|{user_id}".encode(), hashlib.sha256).hexdigest()[:16]


def pseudonymize(value: Any, hide: Callable[[str], str]) -> Any:
    """Wire data (events as plain data) with every user id replaced by ``hide(id)``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in USER_FIELDS and isinstance(v, str):
                out[k] = hide(v)
            elif k in USER_REFS and isinstance(v, dict) and isinstance(v.get("id"), str):
                out[k] = {**v, "id": hide(v["id"])}
            else:
                out[k] = pseudonymize(v, hide)
        return out
    if isinstance(value, list):
        return [pseudonymize(v, hide) for v in value]
    return value


def brand_pseudonyms(secret: str, brand: str | None) -> Callable[[Any], Any]:
    """A function that pseudonymizes wire data for one brand."""
    return lambda value: pseudonymize(value, lambda user: pseudonym(secret, brand, user))
