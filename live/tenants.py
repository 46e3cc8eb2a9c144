"""Tenant keys: whose catalog, reviews, orders and settings an object is.

A brand's key is its id. A brandless host is a tenant too, keyed ``@`` + their user id,
so that a person and a brand that happen to share an id ("acme" the host, "acme" the
brand) are never one tenant. Brand ids may not start with ``@`` (``live.auth`` refuses
such a token).
"""

PERSON = "@"


def person(user_id: str) -> str:
    """The tenant key of a brandless host."""
    return PERSON + user_id


def of_room(brand_id: str | None, host_id: str | None) -> str | None:
    """The tenant of a room: its brand, else its host as a person."""
    return brand_id or (person(host_id) if host_id else None)
