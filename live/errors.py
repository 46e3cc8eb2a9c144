"""Every exception the server shell raises, and the codes clients see.

    LiveError              base of every exception of the shell
     ├── ServerError       client-visible: carries a stable ``Code`` (rooms.errors)
     │    ├── ProtocolError   a frame or body that is not a valid message (bad_request)
     │    │    ├── UnknownType   (unknown_type)
     │    │    └── TooLarge      (too_large)
     │    ├── AuthError       a missing, bad or expired token (unauthorized)
     │    │    └── Forbidden     a valid token not allowed to do this (forbidden)
     │    ├── Invalid         a parameter or body out of range (invalid)
     │    ├── NotFound        no such room, order or product (not_found)
     │    ├── Conflict        the object is not in a state that allows it (conflict)
     │    ├── RoomEnded       the room has ended (room_ended)
     │    ├── RateLimited     too many commands (rate_limited)
     │    └── Unavailable     the log cannot take the command now; retry (unavailable)
     ├── EpochChanged      the room's history is not the one the caller folded: reopen it
     └── LogUnavailable    the log backend cannot take or serve entries now (a ConnectionError)

Domain rejections (``rooms.errors.Rejection``) carry a code of the same ``Code`` enum and
travel in the same reply shape. ``http_status`` and ``CLOSE_CODE`` are the one map from
a code to an HTTP status and to a WebSocket close code.
"""

from enum import IntEnum
from typing import Any

from rooms.errors import Code


class LiveError(Exception):
    """Base of every exception the server shell raises."""


class ServerError(LiveError):
    code = Code.INTERNAL

    def __init__(self, message: str, *, retry_after_ms: int | None = None, request_id: str | int | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_ms = retry_after_ms
        self.request_id = request_id  # echoed in the error reply when the frame named one
        self.details = details  # per-field problems of an invalid body, for HTTP


class ProtocolError(ServerError):
    code = Code.BAD_REQUEST


class UnknownType(ProtocolError):
    code = Code.UNKNOWN_TYPE


class TooLarge(ProtocolError):
    code = Code.TOO_LARGE


class AuthError(ServerError):
    code = Code.UNAUTHORIZED


class Forbidden(AuthError):
    code = Code.FORBIDDEN


class Invalid(ServerError):
    code = Code.INVALID


class NotFound(ServerError):
    code = Code.NOT_FOUND


class Conflict(ServerError):
    code = Code.CONFLICT


class LimitReached(ServerError):
    code = Code.LIMIT_REACHED


class RoomEnded(ServerError):
    code = Code.ROOM_ENDED


class RateLimited(ServerError):
    code = Code.RATE_LIMITED


class Unavailable(ServerError):
    code = Code.UNAVAILABLE


class EpochChanged(LiveError):
    """The room's history is not the one the caller folded: reopen the room."""


class LogUnavailable(LiveError, ConnectionError):
    """The backend cannot take or serve entries now; retry later."""


_HTTP_STATUS = {
    Code.UNAUTHORIZED: 401,
    Code.FORBIDDEN: 403,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.TOO_LARGE: 413,
    Code.ENDED: 409,
    Code.ROOM_ENDED: 409,
    Code.ROOM_NOT_LIVE: 409,
    Code.RATE_LIMITED: 429,
    Code.UNAVAILABLE: 503,
    Code.INTERNAL: 500,
}


def http_status(code: Code) -> int:
    """The HTTP status of an error code: other rejections of a valid request are 422."""
    return _HTTP_STATUS.get(code, 422)


class CloseCode(IntEnum):
    """WebSocket close codes this server sends. ``reconnect`` says what a client should do."""

    GOING_AWAY = 1001  # server shutting down: reconnect (to any node) and resume
    SERVICE_RESTART = 1012  # uvicorn's close at shutdown: reconnect (to any node) and resume
    POLICY = 1008  # forbidden Origin: do not reconnect
    UNAUTHORIZED = 4001  # no valid hello/token in time, or token expired: get a new token first
    FORBIDDEN = 4003  # token not valid for this room, or guests not allowed: do not reconnect
    NOT_FOUND = 4004  # no such room: do not reconnect
    SLOW_CONSUMER = 4008  # outbound buffer over its bound: reconnect and resume from last seq
    ROOM_ENDED = 4009  # the room ended: do not reconnect; read the transcript instead
    RELOAD = 4010  # the room's history was reset (Redis lost it): reconnect; you get a fresh snapshot
    TOO_MANY_ERRORS = 4029  # kept sending invalid frames: reconnect after backoff

    @property
    def reconnect(self) -> bool:
        return self in (CloseCode.GOING_AWAY, CloseCode.SERVICE_RESTART, CloseCode.SLOW_CONSUMER, CloseCode.RELOAD, CloseCode.TOO_MANY_ERRORS)


# The close code a connection refused during its handshake gets, by the error's code.
CLOSE_CODE = {
    Code.RATE_LIMITED: CloseCode.TOO_MANY_ERRORS,  # too many connections: reconnect after backoff
    Code.FORBIDDEN: CloseCode.FORBIDDEN,
    Code.NOT_FOUND: CloseCode.NOT_FOUND,
    Code.ROOM_ENDED: CloseCode.ROOM_ENDED,
    Code.UNAVAILABLE: CloseCode.SERVICE_RESTART,  # the room's log is out of reach for now: come back with backoff
}


def close_code(code: Code) -> CloseCode:
    """Refused at the handshake: anything but these means "get a valid hello/token first"."""
    return CLOSE_CODE.get(code, CloseCode.UNAUTHORIZED)
