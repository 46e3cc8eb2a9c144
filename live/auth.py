"""Signed identity tokens (JWT) from the host platform: who the caller is, nothing more.

A token names the user, their display name, the room it is good for (``*`` for every
room, used by platform back ends), the role it asks for, the tenant it acts for (the
``brand`` claim), a membership tier and a referral code. What that identity may do to
a given room, order or catalog is decided in ``live.access``, against the object.

Two ways to sign, each with its algorithm pinned:
- HS256 with the shared ``token_secret`` (the platform and this server share it);
- RS256, ES256 or EdDSA, verified against a JWKS (a file, or a URL PyJWT's client
  fetches and caches), where each key must name its ``alg`` and only that algorithm
  is accepted for it, so a platform never shares a signing secret.
Every token needs ``sub``, ``aud`` (= ``live``), ``room``, ``role``, ``iat`` and ``exp``,
and may live at most ``max_lifetime_seconds`` (``exp - iat``). Clocks may differ by
``LEEWAY_SECONDS``.
"""

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from live import tenants
from live.errors import AuthError
from rooms.commands import Actor
from rooms.roles import Role
from rooms.types import UserId

HS_ALGORITHM = "HS256"  # pinned for the shared secret: a token naming another algorithm is refused
ASYMMETRIC = frozenset({"RS256", "ES256", "EdDSA"})
AUDIENCE = "live"
ANY_ROOM = "*"
LEEWAY_SECONDS = 10
MAX_NAME = 64
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # in an id, never; in a display name, dropped
REQUIRED = ["exp", "iat", "sub", "aud", "room", "role"]


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller: the actor its token names, and the scope it was issued for."""

    actor: Actor  # with the role the token asks for; live.access decides the role in a room
    room: str  # the room the token is good for, or "*"
    brand: str | None  # the tenant the token acts for
    pii: bool = False  # may read real user ids in exports
    by_key: bool = False  # an API key (a brand's server, or the platform's): no person
    platform: bool = False  # the platform's admin key: every person's data (docs/privacy.md)

    @property
    def tenant(self) -> str | None:
        """The merchant this caller acts for: its brand (a brand token's own id when it names
        none), or a brandless host as a person (``live.tenants``)."""
        if self.brand:
            return self.brand
        if self.actor.role is Role.BRAND:
            return self.actor.user_id
        return tenants.person(self.actor.user_id) if self.actor.role is Role.HOST else None


def mint(
    secret: str,
    *,
    user_id: str,
    name: str,
    room: str,
    role: Role,
    tier: str | None = None,
    ref: str | None = None,
    brand: str | None = None,
    ttl_seconds: int = 3600,
) -> str:
    """An HS256 token, as the platform (or ``live token`` in development) makes them."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": user_id, "name": name, "room": room, "role": role.value, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds}
    for key, value in (("tier", tier), ("ref", ref), ("brand", brand)):
        if value:
            claims[key] = value
    return jwt.encode(claims, secret, algorithm=HS_ALGORITHM)


class Verifier:
    """Verifies tokens with the shared secret and/or a JWKS; one per node."""

    def __init__(self, secret: str | None, *, jwks: str | None = None, max_lifetime_seconds: int = 86_400) -> None:
        self._secret = secret
        self._max_lifetime = max_lifetime_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._client: jwt.PyJWKClient | None = None
        if jwks and jwks.startswith(("http://", "https://")):
            self._client = jwt.PyJWKClient(jwks, cache_keys=True, lifespan=300, timeout=5)
        elif jwks:
            self._keys = {key.key_id or "": key for key in jwt.PyJWKSet.from_json(Path(jwks).read_text()).keys}
            _check_pinned(self._keys.values())

    async def identify(self, token: str) -> Identity:
        """The identity a token names. Raises AuthError for anything not valid."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        alg = header.get("alg")
        if alg == HS_ALGORITHM and self._secret:
            key: Any = self._secret
        elif alg in ASYMMETRIC and (self._keys or self._client):
            jwk = await self._jwk(str(header.get("kid") or ""))
            if jwk.algorithm_name != alg:
                raise AuthError("invalid token: the key does not sign with this algorithm")
            key = jwk.key
        else:
            raise AuthError("invalid token: algorithm not allowed")
        return _identity(self._decode(token, key, str(alg)))

    async def _jwk(self, kid: str) -> jwt.PyJWK:
        if self._client is not None:
            try:  # PyJWKClient fetches with urllib: keep that off the event loop
                jwk = await asyncio.to_thread(self._client.get_signing_key, kid)
            except jwt.PyJWKClientError as exc:
                raise AuthError(f"invalid token: {exc}") from None
            _check_pinned([jwk])
            return jwk
        if kid not in self._keys:
            raise AuthError("invalid token: unknown key id")
        return self._keys[kid]

    def _decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(token, key, algorithms=[alg], audience=AUDIENCE, leeway=LEEWAY_SECONDS, options={"require": REQUIRED})
        except jwt.ExpiredSignatureError:
            raise AuthError("token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        if not isinstance(claims["exp"], int | float) or not isinstance(claims["iat"], int | float) or claims["exp"] - claims["iat"] > self._max_lifetime:
            raise AuthError(f"invalid token: it may live at most {self._max_lifetime} s (exp - iat)")
        return claims


def _check_pinned(keys: Any) -> None:
    for key in keys:
        if key.algorithm_name not in ASYMMETRIC:
            raise ValueError(f"JWKS key {key.key_id!r} must name its alg, one of {sorted(ASYMMETRIC)}")


def _identity(claims: dict[str, Any]) -> Identity:
    try:
        role = Role(claims["role"])
    except ValueError:
        raise AuthError(f"unknown role {claims['role']!r}") from None
    if role in (Role.GUEST, Role.SYSTEM):
        raise AuthError(f"no token carries the role {role.value}")
    for claim in ("sub", "room", "brand", "tier", "ref"):
        if CONTROL.search(str(claims.get(claim) or "")):
            raise AuthError(f"invalid token: {claim} holds control characters")  # PostgreSQL refuses a NUL in any text
    name = CONTROL.sub("", str(claims.get("name") or claims["sub"]))[:MAX_NAME]
    tier, ref, brand = claims.get("tier"), claims.get("ref"), claims.get("brand")
    actor = Actor(user_id=UserId(str(claims["sub"])), name=name, role=role, tier=str(tier) if tier else None, ref=str(ref)[:MAX_NAME] if ref else None)
    if str(brand or (actor.user_id if role is Role.BRAND else "")).startswith(tenants.PERSON):
        raise AuthError(f"a brand id may not start with {tenants.PERSON!r}: that names a person")
    return Identity(actor=actor, room=str(claims["room"]), brand=str(brand) if brand else None, pii=claims.get("pii") is True)


def merchant_key(brand: str) -> Identity:
    """A brand's server, calling with its API key: the brand itself, for every room."""
    return Identity(actor=Actor(user_id=UserId(f"key:{brand}"), name=brand, role=Role.BRAND), room=ANY_ROOM, brand=brand, by_key=True)


def platform_key() -> Identity:
    """The platform's back office, calling with an admin key: people's data, nothing in rooms."""
    return Identity(actor=Actor(user_id=UserId("key:platform"), name="platform", role=Role.VIEWER), room=ANY_ROOM, brand=None, by_key=True, platform=True)


def guest(connection_id: str) -> Actor:
    return Actor(user_id=UserId(f"guest:{connection_id}"), name="guest", role=Role.GUEST)


SYSTEM = Actor(user_id=UserId("system"), name="system", role=Role.SYSTEM)
