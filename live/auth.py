"""Signed identity tokens (JWT, HS256 pinned) from the host platform.

The token names the user, their display name, the room it is good for (``*`` for
every room, used by platform back ends), the role there and a membership tier.
The server trusts nothing else a client says about itself.
"""

import time
from typing import Any

import jwt

from live.errors import AuthError, Forbidden
from rooms.commands import Actor
from rooms.roles import Role
from rooms.types import UserId

ALGORITHM = "HS256"  # pinned: a token that names another algorithm is refused
AUDIENCE = "live"
ANY_ROOM = "*"
LEEWAY_SECONDS = 10
MAX_NAME = 64


def mint(
    secret: str,
    *,
    user_id: str,
    name: str,
    room: str,
    role: Role,
    tier: str | None = None,
    ref: str | None = None,
    ttl_seconds: int = 3600,
) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "name": name, "room": room, "role": role.value, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds}
    if tier:
        claims["tier"] = tier
    if ref:
        claims["ref"] = ref
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str, room: str) -> Actor:
    """The actor a token names for ``room``. Raises AuthError (bad token) or Forbidden (wrong room)."""
    return actor_of(claims(secret, token, room))


def claims(secret: str, token: str, room: str) -> dict[str, Any]:
    """A verified token's claims, for ``room``. Raises AuthError or Forbidden."""
    try:
        decoded: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "sub", "aud", "room", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from None
    if decoded["room"] not in (room, ANY_ROOM):
        raise Forbidden("token is not for this room")
    return decoded


def actor_of(claims: dict[str, Any]) -> Actor:
    try:
        role = Role(claims["role"])
    except ValueError:
        raise AuthError(f"unknown role {claims['role']!r}") from None
    if role in (Role.GUEST, Role.SYSTEM):
        raise AuthError(f"no token carries the role {role.value}")
    name = str(claims.get("name") or claims["sub"])[:MAX_NAME]
    tier, ref = claims.get("tier"), claims.get("ref")
    return Actor(
        user_id=UserId(str(claims["sub"])), name=name, role=role, tier=str(tier) if tier else None, ref=str(ref)[:MAX_NAME] if ref else None
    )


def guest(connection_id: str) -> Actor:
    return Actor(user_id=UserId(f"guest:{connection_id}"), name="guest", role=Role.GUEST)


SYSTEM = Actor(user_id=UserId("system"), name="system", role=Role.SYSTEM)
