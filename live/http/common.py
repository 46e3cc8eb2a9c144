"""What every HTTP handler shares: binding to the node, the caller, parameters, errors.

Errors are JSON ``{"error": {"code", "message"}}``; the status comes from the one
map in ``live.errors`` (401/403 auth, 404 unknown object, 409 a state conflict,
422 a bad request body, 429, 503).
"""

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import auth, logs
from live.access import RoomRef
from live.errors import AuthError, Invalid, NotFound, ServerError, http_status
from live.node import Node
from live.room.runtime import RoomRuntime
from rooms.errors import Rejection
from rooms.fold import Outcome
from rooms.state import Status
from rooms.types import RoomId

logger = logging.getLogger("live.http")
Handler = Callable[[Node, Request], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)
_ENDPOINT = "live.endpoint"  # where bind() leaves the row in the request's scope


MAX_PATH_ID = 10**15 - 1


class IdConvertor(IntegerConvertor):
    """A numeric id in a path (``{name:id}``): at most 15 digits, so a longer one is no such
    object (404) rather than an integer SQL cannot hold (a 500)."""

    regex = "[0-9]{1,15}"


register_url_convertor("id", IdConvertor())


def attachment(filename: str) -> str:
    """A Content-Disposition naming a download: an ASCII name every browser reads, and the
    exact UTF-8 one (RFC 6266) for those that read it. Ids come from tokens and paths, so
    quotes, control characters and non-Latin text never reach the header as they are."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Auth(StrEnum):
    PUBLIC = "public"
    CALLER = "caller"  # the handler calls identify(): a bearer token or a brand's X-Api-Key


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """One row of the route table: what the router binds and the OpenAPI document describes.

    A handler reads its query parameters through the ``query`` declared here and its JSON
    body through ``body`` (``parse_body``), so the document is what the handler reads.
    """

    method: str
    path: str  # Starlette's syntax: {name}, {name:id} (a numeric id)
    handler: Handler
    summary: str
    auth: Auth = Auth.PUBLIC
    query: tuple["Param", ...] = ()
    body: Any = None  # what pydantic validates the body as: a model, or a list or union of models
    body_media: tuple[str, ...] = ("application/json",)
    status: int = 200
    media: tuple[str, ...] = ("application/json",)  # of the success response
    errors: tuple[int, ...] = ()  # error statuses besides the ones the rest implies (see live.http.openapi)
    also: tuple[int, ...] = ()  # statuses answered with the success body too (/readyz: 503)


def bind(node: Node, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint that calls the row's handler with this node.

    Each request gets a request id (the caller's ``X-Request-Id`` if sane, else a new
    one), echoed in the response's ``X-Request-Id`` and put on every log line logged
    for it; errors are answered here so that their responses carry it too.
    """
    handler = endpoint.handler

    async def call(request: Request) -> Response:
        request.scope[_ENDPOINT] = endpoint
        # Not reset afterwards: uvicorn logs an unhandled error in this same task, after we return.
        logs.REQUEST_ID.set(rid := logs.request_id(request.headers.get("x-request-id")))
        if isinstance(room := request.path_params.get("room_id"), str) and logs.sane_id(room):
            logs.ROOM.set(room)
        started = time.perf_counter()
        try:
            response = await handler(node, request)
        except ServerError as exc:
            response = await server_error(request, exc)
        response.headers["x-request-id"] = rid
        ms = (time.perf_counter() - started) * 1000
        level = logging.WARNING if response.status_code >= 500 else logging.DEBUG
        logger.log(level, "%s %s -> %d in %.1f ms", request.method, endpoint.path, response.status_code, ms)
        return response

    call.__name__ = handler.__name__
    return call


def _declared(request: Request) -> Endpoint:
    endpoint = request.scope.get(_ENDPOINT)
    if not isinstance(endpoint, Endpoint):
        raise LookupError(f"{request.url.path} was not bound from the route table")
    return endpoint


async def parse_body(request: Request, model: type[M]) -> M:
    """The JSON body as the row's declared ``body`` model; 422 with the fields otherwise.
    Strict: JSON ``true`` is not the number 1, nor ``"5"`` a count — the body is what the
    schema says or it is refused (strings still become enums and dates, as JSON has none)."""
    if _declared(request).body is not model:
        raise LookupError(f"{request.url.path} reads a {model.__name__} body its route does not declare")
    try:
        return model.model_validate_json(await request.body(), strict=True)
    except ValidationError as exc:
        raise Invalid(f"the body is not a valid {model.__name__}", details=exc.errors(include_url=False, include_context=False, include_input=False)) from None


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
    """Who calls: a brand's server or the platform by an API key (``X-Api-Key``), or a bearer token."""
    key = request.headers.get("x-api-key")
    if key is not None and key in node.settings.admin_api_keys:
        return auth.platform_key()
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


_INTEGER = re.compile(r"-?[0-9]{1,19}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses
D = TypeVar("D", int, None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """A query parameter, declared once in the route table (``routes.TABLE``), read by its
    handler through this object and described from it in the OpenAPI document. Reading one
    the route does not declare is a bug, refused loudly, so the document cannot fall behind.
    """

    name: str
    description: str

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def _raw(self, request: Request) -> list[str]:
        if not any(p is self for p in _declared(request).query):
            raise LookupError(f"query parameter {self.name!r} is read but not declared for {request.url.path}")
        return request.query_params.getlist(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class IntParam(Param, Generic[D]):
    """An integer in ``lo..hi``; absent, it is ``default`` (None: the caller sets no bound)."""

    lo: int
    hi: int
    default: D

    def read(self, request: Request) -> int | D:
        raw = self._raw(request)
        if not raw:
            return self.default
        if not _INTEGER.fullmatch(raw[-1]) or not self.lo <= int(raw[-1]) <= self.hi:
            raise Invalid(f"{self.name} must be an integer in {self.lo}..{self.hi}")
        return int(raw[-1])

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.lo, "maximum": self.hi} | ({} if self.default is None else {"default": self.default})


@dataclass(frozen=True, slots=True, kw_only=True)
class TextParam(Param):
    """A string, one of ``choices`` when there are any; None when absent."""

    choices: tuple[str, ...] = ()

    def read(self, request: Request) -> str | None:
        raw = self._raw(request)
        if raw and self.choices and raw[-1] not in self.choices:
            raise Invalid(f"{self.name} must be one of {', '.join(self.choices)}")
        return raw[-1] if raw else None

    def schema(self) -> dict[str, Any]:
        return {"type": "string"} | ({"enum": list(self.choices)} if self.choices else {})


@dataclass(frozen=True, slots=True, kw_only=True)
class ListParam(Param):
    """Repeatable (``?type=a&type=b``); with ``comma``, each value may also list several (``a,b``)."""

    choices: tuple[str, ...] = ()
    comma: bool = False

    def read(self, request: Request) -> list[str]:
        values = [v for raw in self._raw(request) for v in (raw.split(",") if self.comma else [raw])]
        if self.choices and not set(values) <= set(self.choices):
            raise Invalid(f"{self.name} must be among {', '.join(self.choices)}")
        return [v for v in values if v]

    def schema(self) -> dict[str, Any]:
        if not self.choices:
            return {"type": "array", "items": {"type": "string"}}
        if not self.comma:
            return {"type": "array", "items": {"type": "string", "enum": list(self.choices)}}
        one = "|".join(re.escape(c) for c in self.choices)
        return {"type": "array", "items": {"type": "string", "pattern": f"^({one})(,({one}))*$"}}


# Shared by the transcript and the replay: pages follow ``next_after``; types select events.
AFTER = IntParam(name="after", lo=0, hi=2**62, default=0, description="Only events after this seq: the previous page's `next_after`.")
EVENT_TYPES = ListParam(name="type", description="Only events of these types (repeat the parameter for several), e.g. `chat.message`.")


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
