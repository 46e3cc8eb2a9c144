"""Log lines: one JSON object a line (or text, for development), naming what they concern.

Every line has ``ts``, ``level``, ``logger``, ``msg`` and ``node`` (this process's node
id, as ``live_node_info`` shows it), and ``room``, ``conn`` and ``request_id`` when the
code that logged it runs for one of them. Those three travel in contextvars: the room
socket sets ``room`` and ``conn`` in its connection's task, the HTTP binding sets
``request_id`` (and ``room``) in its request's task, and what those tasks start inherits
them. A task that serves every room, started from one of them, must be started in an
empty context (``asyncio.create_task(..., context=contextvars.Context())``), or its
lines would name the room that happened to start it.

No line carries a token or a key: the filter ``live.cli`` adds drops uvicorn's
per-socket lines and redacts ``token=`` in messages, and each formatted line (its
traceback included) is scrubbed of ``token=``/``api_key=`` values and of anything shaped
like a JWT.
"""

import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

ROOM: ContextVar[str | None] = ContextVar("live_room", default=None)
CONN: ContextVar[str | None] = ContextVar("live_conn", default=None)
REQUEST_ID: ContextVar[str | None] = ContextVar("live_request_id", default=None)
CONTEXT = ("node", "room", "conn", "request_id")  # in this order, after the four fixed fields

_node: dict[str, str | None] = {"id": None}  # one per process, set once the node exists
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # short enough that no JWT fits
_SECRETS = re.compile(
    r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"  # a JWT, wherever it appears
    r"|(?<=token=)[^&\s\"'\\]+|(?<=api_key=)[^&\s\"'\\]+",
    re.IGNORECASE,
)
# Attributes libraries put on records that are not for our lines (uvicorn's colored copy of
# the message has not been through the redacting filter).
_NOT_FIELDS = {*RESERVED_ATTRS, "color_message", "websocket", "message", *CONTEXT}


def set_node(node_id: str) -> None:
    _node["id"] = node_id


def request_id(header: str | None) -> str:
    """The caller's ``X-Request-Id`` if it is a sane one, else a new id."""
    return header if header is not None and sane_id(header) else uuid.uuid4().hex


def sane_id(value: str) -> bool:
    """Whether a caller's id (a request id, a room id from a path) may go into log lines as is."""
    return _SANE_ID.fullmatch(value) is not None


def scrub(line: str) -> str:
    return _SECRETS.sub("[redacted]", line)


class ContextFilter(logging.Filter):
    """Puts the node and the current room, connection and request on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.node = _node["id"]
        record.room = ROOM.get()
        record.conn = CONN.get()
        record.request_id = REQUEST_ID.get()
        return True


class JsonLines(OrjsonFormatter):
    """``{"ts", "level", "logger", "msg", "node", "room"?, "conn"?, "request_id"?, ...extra, "exc_info"?}``."""

    def __init__(self) -> None:
        super().__init__((), reserved_attrs=sorted(_NOT_FIELDS))  # no format fields: add_fields names them

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["ts"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_data["level"] = record.levelname.lower()
        log_data["logger"] = record.name
        log_data["msg"] = record.message
        log_data["node"] = getattr(record, "node", None)
        for field in CONTEXT[1:]:
            if (value := getattr(record, field, None)) is not None:
                log_data[field] = value
        super().add_fields(log_data, record, message_dict)  # extra=... fields, exc_info, stack_info

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class TextLines(logging.Formatter):
    """For a terminal (development): ``time LEVEL logger: message [room=… conn=…]``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{field}={value}" for field in CONTEXT[1:] if (value := getattr(record, field, None)) is not None)
        return scrub(f"{line} [{context}]" if context else line)


def configure(level: str = "info", *, json: bool = True) -> logging.Handler:
    """One handler on the root logger, for ours and every library's (uvicorn's too).

    ``level`` applies to the server's own loggers (``live.*``); libraries log at INFO and
    above (or at ``level``, if it is higher), so ``debug`` does not drown in theirs.
    Returns the handler, for the caller to add its filters.
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json else TextLines())
    handler.addFilter(ContextFilter())
    handler.setLevel(numeric)  # uvicorn sets its own loggers to INFO: this holds them to ours
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(max(numeric, logging.INFO))
    logging.getLogger("live").setLevel(numeric)
    return handler
