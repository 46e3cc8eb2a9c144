"""Who may do what to which object: the tenancy model, enforced in one place.

A brand is a tenant. A room belongs to one tenant (its brand, or for a brandless room
its host) and has one host. Every adapter asks this module, with the caller's
``Identity`` and the object it touches — never the role in the token alone (OWASP
API1, broken object-level authorization). docs/security.md has the same table.

| action            | who, on which object                                                        |
|-------------------|------------------------------------------------------------------------------|
| join a room       | a token for this room or ``*``; guests where the room allows them            |
| act in a room     | with the role ``room_actor`` gives: host only of rooms they host (same tenant), |
|                   | brand staff only of their tenant's rooms, a moderator or affiliate only where |
|                   | their token names the room or their brand owns it; anyone else a viewer     |
| create a room     | a host (for their tenant, as its host) or brand staff (their brand, any host)|
| MERCHANT actions  | orders, confirm/cancel, sales, replay, exports, analytics: the room's tenant  |
|                   | (brand staff or its API key; a brandless room's host)                      |
| affiliate sales   | an affiliate of the room: their own sales only                              |
| BRAND actions     | sessions list, automod policy: brand staff of the brand or its API key       |
| a person's data   | export and erasure: the person (their own token), the platform (admin key)  |
|                   | for everyone; a brand (staff or key) only within its own rooms              |
| catalog write     | the catalog's owner: brand staff or API key of that brand, or a brandless host |
| public reads      | room, list, transcript, leaderboards, catalog list: anyone                  |
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from live import tenants
from live.auth import ANY_ROOM, Identity
from live.errors import Forbidden, Invalid
from rooms.commands import Actor
from rooms.roles import Role
from rooms.state import RoomState


@dataclass(frozen=True, slots=True)
class RoomRef:
    """What tenancy needs to know of a room (from its state or its SQL row)."""

    id: str
    brand_id: str | None
    host_id: str | None

    @property
    def tenant(self) -> str | None:
        return tenants.of_room(self.brand_id, self.host_id)

    @classmethod
    def of_state(cls, state: RoomState) -> "RoomRef":
        return cls(state.room_id, state.brand_id, state.host_id)

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> "RoomRef":
        return cls(row["id"], row["brand_id"], row["host_id"])


class Action(StrEnum):
    MERCHANT = "merchant"  # orders, confirm/cancel, sales, replay, exports, analytics of a room
    SALES = "sales"  # the sales figures of a room (an affiliate: their own)
    BRAND = "brand"  # a brand's own sessions list


def _for_room(identity: Identity, room: RoomRef) -> bool:
    return identity.room in (ANY_ROOM, room.id)


def room_role(identity: Identity, room: RoomRef) -> Role:
    """The role this caller has in this room: the token's, where the room is theirs; else viewer."""
    actor, role = identity.actor, identity.actor.role
    same_tenant = identity.tenant is not None and identity.tenant == room.tenant
    if role is Role.HOST:
        return Role.HOST if actor.user_id == room.host_id and (identity.brand is None or same_tenant) else Role.VIEWER
    if role is Role.BRAND:
        return Role.BRAND if same_tenant else Role.VIEWER
    if role in (Role.MODERATOR, Role.AFFILIATE):
        appointed = identity.room == room.id and (identity.brand is None or same_tenant)
        return role if appointed or (identity.room == ANY_ROOM and same_tenant) else Role.VIEWER
    return role


def room_actor(identity: Identity, room: RoomRef) -> Actor:
    """The actor as the room's log records it: the role it has in this room."""
    if not _for_room(identity, room):
        raise Forbidden("token is not for this room")
    role = room_role(identity, room)
    return identity.actor if role is identity.actor.role else dataclasses.replace(identity.actor, role=role)


def is_merchant(identity: Identity, room: RoomRef) -> bool:
    """The room's tenant: its brand's staff or API key, or the host of a brandless room."""
    role = room_role(identity, room) if _for_room(identity, room) else Role.VIEWER
    return role is Role.BRAND or (role is Role.HOST and room.brand_id is None)


def authorize(identity: Identity, action: Action, room: RoomRef) -> None:
    """Raise Forbidden unless this caller may do ``action`` on this room's data."""
    if is_merchant(identity, room):
        return
    if action is Action.SALES and _for_room(identity, room) and room_role(identity, room) is Role.AFFILIATE:
        return  # the caller filters to the affiliate's own sales
    raise Forbidden("only the room's brand may do this" if room.brand_id else "only the room's host may do this")


def authorize_brand(identity: Identity, brand_id: str) -> None:
    """A brand's own data (sessions list, automod policy): its staff or its API key."""
    if not (identity.actor.role is Role.BRAND and identity.tenant == brand_id):
        raise Forbidden("a brand sees only its own data")


def person_scope(identity: Identity, user_id: str) -> str | None:
    """Whose rooms a caller may export or erase a person's data from: None for every room
    (the person themself, by their token; the platform's admin key), a brand id for that
    brand's rooms only (its staff or key). Forbidden for anyone else."""
    if identity.platform or (not identity.by_key and identity.actor.user_id == user_id):
        return None
    if identity.actor.role is Role.BRAND and identity.tenant is not None:
        return identity.tenant
    raise Forbidden("a person's data is read or erased by the person, the platform, or a brand in its own rooms")


def authorize_catalog(identity: Identity, owner: str) -> None:
    """A catalog is written by its owner: the brand (staff or key), or a brandless host for their own."""
    role = identity.actor.role
    if identity.room != ANY_ROOM or role not in (Role.BRAND, Role.HOST) or identity.tenant != owner or (role is Role.HOST and identity.brand):
        raise Forbidden("a catalog is written by its owner's brand (or a brandless host's) token for room *")


def new_room(identity: Identity, brand_id: str | None, host_id: str | None) -> tuple[str | None, str]:
    """The (brand, host) of a room this caller creates; Forbidden if it names another tenant's."""
    role = identity.actor.role
    if identity.room != ANY_ROOM or role not in (Role.HOST, Role.BRAND):
        raise Forbidden("rooms are created with a host or brand token for room *")
    brand = brand_id if brand_id is not None else identity.brand or (identity.tenant if role is Role.BRAND else None)
    if brand != (identity.brand or (identity.tenant if role is Role.BRAND else None)):
        raise Forbidden("a room is created under the caller's own brand")
    if role is Role.HOST:
        if host_id not in (None, identity.actor.user_id):
            raise Forbidden("a host creates rooms they host; brand staff may name another host")
        return brand, identity.actor.user_id
    if host_id is None:
        raise Invalid("host_id is required when a brand creates a room")
    return brand, host_id
