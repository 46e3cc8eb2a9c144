"""What every HTTP handler shares: binding to the node, the caller, parameters, errors.

Errors are JSON ``{"error": {"code", "message"}}``; the status comes from the one
map in ``live.errors`` (401/403 auth, 404 unknown object, 409 a state conflict,
422 a bad request body, 429, 503).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import auth
from live.access import RoomRef
from live.errors import AuthError, Invalid, NotFound, ServerError, http_status
from live.node import Node
from live.room.runtime import RoomRuntime
from rooms.errors import Rejection
from rooms.fold import Outcome
from rooms.state import Status
from rooms.types import RoomId

Handler = Callable[[Node, Request], Awaitable[Response]]


def bind(node: Node, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint that calls ``handler`` with this node."""

    async def endpoint(request: Request) -> Response:
        return await handler(node, request)

    endpoint.__name__ = handler.__name__
    return endpoint


def error_response(status: int, code: str, message: str, details: Any = None, retry_after_ms: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    headers = None
    if retry_after_ms is not None:
        body["retry_after_ms"] = retry_after_ms
        headers = {"retry-after": str(-(-retry_after_ms // 1000))}  # whole seconds, rounded up
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """The one exception handler: a named server error becomes its status and body."""
    if not isinstance(exc, ServerError):
        raise exc
    return error_response(http_status(exc.code), exc.code, exc.message, exc.details, exc.retry_after_ms)


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("send Authorization: Bearer <token> (or a brand's X-Api-Key)")
    return token


async def identify(node: Node, request: Request) -> auth.Identity:
    """Who calls: a brand's server by its API key (``X-Api-Key``), or a bearer token."""
    key = request.headers.get("x-api-key")
    if key is not None:
        brand = node.settings.brand_api_keys.get(key)
        if brand is None:
            raise AuthError("unknown API key")
        return auth.merchant_key(brand)
    return await node.verifier.identify(bearer(request))


async def room_ref(node: Node, room_id: str) -> RoomRef:
    """The room's tenant and host, from this node's replica or from SQL; NotFound otherwise."""
    rt = node.runtimes.get(RoomId(room_id))
    if rt is not None and rt.state.status is not Status.NONE:
        return RoomRef.of_state(rt.state)
    row = await node.store.get_room(room_id)
    if row is None:
        raise NotFound("no such room")
    return RoomRef.of_row(row)


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name, str(default))
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        raise Invalid(f"{name} must be an integer in {lo}..{hi}")
    return int(raw)


def outcome_response(outcome: Outcome, body: dict[str, Any], status: int = 200) -> JSONResponse:
    """The fold's answer: a rejection as its error, an acceptance as ``body``."""
    if isinstance(outcome, Rejection):
        return error_response(http_status(outcome.code), outcome.code, outcome.message, retry_after_ms=outcome.retry_after_ms)
    return JSONResponse(body, status_code=status)


async def open_room(node: Node, room_id: RoomId) -> RoomRuntime:
    """The room's runtime on this node, or NotFound (404)."""
    rt = await node.runtime(room_id)
    if rt is None:
        raise NotFound("no such room")
    return rt
