"""Errors the server shell reports to clients, and the WebSocket close codes.

ServerError
 ├── ProtocolError   a frame that is not a valid message (bad_request, unknown_type, too_large)
 ├── AuthError       a missing, bad or expired token, or a role not allowed (unauthorized, forbidden)
 ├── Invalid         a parameter or body out of range (invalid)
 ├── NotFound        no such room (not_found)
 ├── RoomEnded       the room has ended (room_ended)
 ├── RateLimited     too many commands (rate_limited)
 └── Unavailable     the log cannot take the command now; retry (unavailable)

Domain rejections come from ``rooms.errors.Rejection`` and travel in the same reply shape.
"""

from enum import IntEnum


class ServerError(Exception):
    code = "internal"

    def __init__(
        self, message: str, *, retry_after_ms: int | None = None, request_id: str | int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_ms = retry_after_ms
        self.request_id = request_id  # echoed in the error reply when the frame named one


class ProtocolError(ServerError):
    code = "bad_request"


class UnknownType(ProtocolError):
    code = "unknown_type"


class TooLarge(ProtocolError):
    code = "too_large"


class AuthError(ServerError):
    code = "unauthorized"


class Forbidden(AuthError):
    code = "forbidden"


class Invalid(ServerError):
    code = "invalid"


class NotFound(ServerError):
    code = "not_found"


class RoomEnded(ServerError):
    code = "room_ended"


class RateLimited(ServerError):
    code = "rate_limited"


class Unavailable(ServerError):
    code = "unavailable"


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
