"""Each person's own data over HTTP (docs/privacy.md): the export and the erasure, for the
person (``/v1/me/data``, their own token) and for the platform or a brand
(``/v1/users/{user_id}/data``). Who sees which rooms is ``live.access.person_scope``.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access, people
from live.errors import Forbidden, Invalid
from live.http.common import attachment, identify
from live.node import Node

MAX_USER_ID = 256


async def _me(node: Node, request: Request) -> str:
    identity = await identify(node, request)
    if identity.by_key:
        raise Forbidden("an API key is no person: use /v1/users/{user_id}/data")
    return identity.actor.user_id


async def _scoped(node: Node, request: Request) -> tuple[str, str | None]:
    user_id = request.path_params["user_id"]
    if not 0 < len(user_id) <= MAX_USER_ID:
        raise Invalid(f"a user id is 1..{MAX_USER_ID} characters")
    return user_id, access.person_scope(await identify(node, request), user_id)


def _export_response(body: dict[str, object]) -> Response:
    return JSONResponse(body, headers={"content-disposition": attachment(f"{body['user_id']}-data.json"), "cache-control": "no-store"})


async def my_data(node: Node, request: Request) -> Response:
    """Everything the server holds about the caller, across rooms and brands."""
    return _export_response(await people.export(node, await _me(node, request), None))


async def erase_my_data(node: Node, request: Request) -> Response:
    """Erase the caller from every room; 202 while a room has not persisted it yet."""
    body = await people.erase(node, await _me(node, request), None)
    return JSONResponse(body, status_code=202 if any(r["pending"] for r in body["rooms"]) else 200)


async def user_data(node: Node, request: Request) -> Response:
    """A person's data for the platform (every room) or a brand (its own rooms)."""
    user_id, brand_id = await _scoped(node, request)
    return _export_response(await people.export(node, user_id, brand_id))


async def erase_user_data(node: Node, request: Request) -> Response:
    user_id, brand_id = await _scoped(node, request)
    body = await people.erase(node, user_id, brand_id)
    return JSONResponse(body, status_code=202 if any(r["pending"] for r in body["rooms"]) else 200)
