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
from live.errors import AuthError, Invalid, NotFound, ServerError, http_status
from live.node import Node
from live.room.runtime import RoomRuntime
from rooms import commands as c
from rooms.errors import Rejection
from rooms.fold import Outcome
from rooms.types import RoomId

Handler = Callable[[Node, Request], Awaitable[Response]]


def bind(node: Node, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint that calls ``handler`` with this node."""

    async def endpoint(request: Request) -> Response:
        return await handler(node, request)

    endpoint.__name__ = handler.__name__
    return endpoint


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


async def server_error(request: Request, exc: Exception) -> Response:
    """The one exception handler: a named server error becomes its status and body."""
    if not isinstance(exc, ServerError):
        raise exc
    return error_response(http_status(exc.code), exc.code, exc.message, exc.details)


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("send Authorization: Bearer <token>")
    return token


def caller(node: Node, request: Request, room: str) -> c.Actor:
    """The actor the request's bearer token names for ``room``."""
    return auth.verify(node.settings.token_secret, bearer(request), room)


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name, str(default))
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        raise Invalid(f"{name} must be an integer in {lo}..{hi}")
    return int(raw)


def outcome_response(outcome: Outcome, body: dict[str, Any], status: int = 200) -> JSONResponse:
    """The fold's answer: a rejection as its error, an acceptance as ``body``."""
    if isinstance(outcome, Rejection):
        return error_response(http_status(outcome.code), outcome.code, outcome.message)
    return JSONResponse(body, status_code=status)


async def open_room(node: Node, room_id: RoomId) -> RoomRuntime:
    """The room's runtime on this node, or NotFound (404)."""
    rt = await node.runtime(room_id)
    if rt is None:
        raise NotFound("no such room")
    return rt
