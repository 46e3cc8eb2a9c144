"""The OpenAPI 3.1 document of the HTTP API, generated from the route table.

Everything comes from the rows of ``routes.TABLE`` (``common.Endpoint``): the path and
its parameters, the query parameters the handler reads (``common.Param``), the body
pydantic validates, who may call, the success status and media types. The error
statuses follow from those — a caller: 401 and 403; a body: 413 and 422; query
parameters: 422; a room in the path: 404; every request: 400 (the Host check) — plus
the row's own ``errors``, and every error has the one shape ``common.error_response``
writes, with a code of ``rooms.errors.Code``.

``GET /openapi.json`` serves it; ``live api-docs`` writes it to docs/openapi.json, and
tests/test_api_docs.py fails when that file and this function disagree.
"""

import re
import sys
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from pydantic import TypeAdapter

from live.http.common import MAX_PATH_ID, Auth, Endpoint
from rooms.errors import Code

VERSION = "1.0"  # the API's version (its paths say v1), not the package's
REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
_CONVERTORS: dict[str | None, dict[str, Any]] = {None: {"type": "string"}, "str": {"type": "string"}, "id": {"type": "integer", "minimum": 0, "maximum": MAX_PATH_ID}}

# The response every error status refers to: (component name, when it happens).
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The `Host` is not one this server answers to, or the request is malformed."),
    401: ("Unauthorized", "No bearer token or API key, or one that is invalid, expired or unknown."),
    403: ("Forbidden", "The caller may not do this to this object: a room, order or catalog is its tenant's alone."),
    404: ("NotFound", "No such room, order or export format."),
    409: ("Conflict", "The object is not in a state that allows this: already live, ended, existing, or no longer reserved."),
    413: ("TooLarge", "The body is over the cap (1 MiB; 16 MiB for catalog imports), refused before it is read."),
    422: ("Invalid", "The body or a query parameter is not valid (`details` lists the fields of a body)."),
    429: ("RateLimited", "Too many requests: `retry_after_ms` and `Retry-After` say when to try again."),
    503: ("Unavailable", "A backend cannot take the command now: try again."),
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "enum": sorted(c.value for c in Code), "description": "Stable: clients branch on it."},
                "message": {"type": "string", "description": "For people; may change."},
                "details": {"type": "array", "items": {"type": "object"}, "description": "What is wrong with an invalid body: its fields, or a catalog's rows."},
                "retry_after_ms": {"type": "integer", "minimum": 0},
            },
        }
    },
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "The same token as the WebSocket's `hello` (docs/security.md)."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "A brand's server key (`LIVE_BRAND_API_KEYS`): acts as the brand for its rooms."},
}
OPERATIONS_TAG = ("operations", "Health, readiness and this document.")


def document(table: Sequence[Endpoint], path_params: Mapping[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The whole document: ``path_params`` names each path parameter's description and schema."""
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    for e in table:
        path = _PATH_PARAM.sub(r"{\1}", e.path)
        name, about = _tag(e)
        tags[name] = about
        paths.setdefault(path, {})[e.method.lower()] = _operation(e, name, path_params, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "live HTTP API",
            "version": VERSION,
            "description": "Rooms, transcripts, the catalog, orders and sessions after the show (docs/api.md). The WebSocket protocol is described in docs/asyncapi.json (docs/protocol.md).",
        },
        "tags": [{"name": n, "description": d} for n, d in sorted(tags.items())],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {name: _error_response(status, about) for status, (name, about) in ERRORS.items()},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _tag(e: Endpoint) -> tuple[str, str]:
    """The handler's module names the tag, its docstring's first line describes it."""
    if not e.path.startswith("/v1/"):
        return OPERATIONS_TAG
    module = sys.modules[e.handler.__module__]
    return module.__name__.rsplit(".", 1)[-1], (module.__doc__ or "").strip().splitlines()[0]


def _operation(e: Endpoint, tag: str, path_params: Mapping[str, tuple[str, dict[str, Any]]], schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": e.handler.__name__, "summary": e.summary, "tags": [tag]}
    parameters = [_path_parameter(name, convertor, path_params) for name, convertor in _PATH_PARAM.findall(e.path)]
    parameters += [{"name": p.name, "in": "query", "required": False, "description": p.description, "schema": p.schema()} for p in e.query]
    if parameters:
        op["parameters"] = parameters
    if e.body is not None:
        body = _schema(e.body, schemas)
        content = {m: {"schema": body if m == "application/json" else {"type": "string", "description": "A header row naming the same fields, then one row each."}} for m in e.body_media}
        op["requestBody"] = {"required": True, "content": content}
    if e.auth is Auth.CALLER:
        op["security"] = [{"bearer": []}, {"apiKey": []}]
    content = {m: {"schema": {"type": "object"} if m == "application/json" else {"type": "string"}} for m in e.media}
    responses: dict[str, Any] = {str(status): {"description": HTTPStatus(status).phrase, "content": content} for status in (e.status, *e.also)}
    responses |= {str(status): {"$ref": f"#/components/responses/{ERRORS[status][0]}"} for status in sorted(error_statuses(e))}
    op["responses"] = responses
    return op


def error_statuses(e: Endpoint) -> set[int]:
    """The statuses this endpoint may answer with an error body."""
    statuses = {400, *e.errors}
    if e.auth is Auth.CALLER:
        statuses |= {401, 403}
    if e.query or e.body is not None:
        statuses.add(422)
    if e.body is not None:
        statuses.add(413)
    if "{room_id}" in e.path:
        statuses.add(404)
    return statuses - set(e.also)


def _path_parameter(name: str, convertor: str, path_params: Mapping[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    description, schema = path_params[name]
    return {"name": name, "in": "path", "required": True, "description": description, "schema": _CONVERTORS[convertor or None] | schema}


def _schema(body: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """The body's JSON schema, its models kept once under components (a model itself: a $ref)."""
    generated = TypeAdapter(body).json_schema(ref_template=REF)
    for name, schema in generated.pop("$defs", {}).items():
        _keep(schemas, name, schema)
    if isinstance(body, type) and generated.get("title") == body.__name__:
        _keep(schemas, body.__name__, generated)
        return {"$ref": REF.format(model=body.__name__)}
    return generated


def _keep(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if schemas.setdefault(name, schema) != schema:
        raise ValueError(f"two different schemas are both called {name}")


def _error_response(status: int, about: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": about, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Whole seconds to wait.", "schema": {"type": "integer", "minimum": 0}}}
    return response
