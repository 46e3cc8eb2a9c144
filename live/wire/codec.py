"""The two encodings of the wire, and the frame bytes the fan-out writes.

``decode`` validates one client frame into a typed message (or raises a named
``ProtocolError`` carrying the request id it could read); ``encode`` turns one typed
server message into bytes; ``frame`` joins encoded messages into one array without
re-encoding them; ``ws_frame`` wraps that into the WebSocket frame every viewer of a
format gets, byte for byte.

Events take a fast path: orjson serializes the event dataclass natively and the
envelope (type, seq, ts) is spliced around it, so the hot path makes no dicts.
"""

import dataclasses
from enum import StrEnum
from typing import Annotated, Any, cast

import msgpack
import orjson
from pydantic import Field, TypeAdapter, ValidationError

from live.errors import ProtocolError, TooLarge, UnknownType
from live.wire import frames as ws
from live.wire.client import ClientMessage
from live.wire.server import EventMessage, ServerMessage

MAX_REQUEST_ID = 64
MAX_SAFE_INTEGER = 2**53 - 1  # what every JSON client reads exactly, and far inside SQL's BIGINT


class Format(StrEnum):
    JSON = "json"
    MSGPACK = "msgpack"


SUBPROTOCOLS = {"live.v1.json": Format.JSON, "live.v1.msgpack": Format.MSGPACK}

CLIENT = TypeAdapter(Annotated[ClientMessage, Field(discriminator="type")])  # the one schema of client frames (live.wire.asyncapi publishes it)
_KNOWN_TYPES = frozenset(t.__dataclass_fields__["type"].default for t in ClientMessage.__args__)
_ARRAY_HEADER = msgpack.Packer().pack_array_header
_FIELDS: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}


def negotiate(offered: list[str]) -> tuple[str | None, Format]:
    """The subprotocol to accept (None: none offered that we speak) and its format (JSON by default)."""
    chosen = next((sp for sp in offered if sp in SUBPROTOCOLS), None)
    return chosen, SUBPROTOCOLS.get(chosen or "", Format.JSON)


def decode(fmt: Format, data: bytes | str, max_bytes: int) -> tuple[str | int | None, ClientMessage]:
    """Validate one client frame. Raises a ProtocolError carrying the request id it could read."""
    if len(data) > max_bytes:
        raise TooLarge(f"frame is over {max_bytes} bytes")
    if fmt is Format.MSGPACK and isinstance(data, str):
        raise ProtocolError("this connection speaks MessagePack: send binary frames")
    if fmt is Format.JSON and not isinstance(data, str):
        raise ProtocolError("this connection speaks JSON: send text frames")
    try:
        raw: Any = orjson.loads(data) if fmt is Format.JSON else msgpack.unpackb(data, raw=False)
    except (orjson.JSONDecodeError, ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise ProtocolError(f"not valid {fmt.value}: {exc}") from None
    if not isinstance(raw, dict):
        raise ProtocolError("a message must be an object")
    rid = raw.pop("id", None)
    if not (isinstance(rid, str) and 0 < len(rid) <= MAX_REQUEST_ID) and not (isinstance(rid, int) and not isinstance(rid, bool) and abs(rid) <= MAX_SAFE_INTEGER):
        raise ProtocolError(f"every message needs an id: a string of 1..{MAX_REQUEST_ID} characters or an integer")
    if not _numbers_fit(raw):
        raise ProtocolError(f"integers must be within ±{MAX_SAFE_INTEGER}", request_id=rid)
    if not isinstance(kind := raw.get("type"), str) or kind not in _KNOWN_TYPES:
        raise UnknownType(f"unknown message type {kind!r}"[:200], request_id=rid)
    try:
        # JSON mode, strict: "3" is no integer, true no number, bytes no text, in either
        # format; arrays still fill tuples and strings enums, as JSON has nothing else. A JSON
        # frame is validated as it came (its "id" is no field of any message, so it is ignored);
        # only MessagePack is put into JSON first.
        return rid, CLIENT.validate_json(data if fmt is Format.JSON else orjson.dumps(raw), strict=True)
    except TypeError:  # MessagePack bytes or a non-string key: nothing JSON can say
        raise ProtocolError("fields are text, numbers, booleans, arrays and maps", request_id=rid) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ProtocolError(f"{where}: {first['msg']}", request_id=rid) from None


def _numbers_fit(raw: Any) -> bool:
    """No integer in the message beyond what JSON clients and the log's arithmetic hold."""
    stack = [raw]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, int) and not isinstance(value, bool) and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return False
    return True


def encode(fmt: Format, message: ServerMessage) -> bytes:
    """One message, encoded; frames are built from these with ``frame``."""
    if fmt is Format.JSON:
        if type(message) is EventMessage:
            return _event_json(message)
        return orjson.dumps(message, default=_shallow, option=orjson.OPT_PASSTHROUGH_DATACLASS)
    return cast(bytes, msgpack.packb(message, default=_shallow, use_bin_type=True))


def encode_plain(fmt: Format, value: dict[str, Any]) -> bytes:
    """Plain data already in wire form (an export or a pseudonymized replay), encoded."""
    return orjson.dumps(value) if fmt is Format.JSON else cast(bytes, msgpack.packb(value, use_bin_type=True))


def plain(message: ServerMessage) -> dict[str, Any]:
    """The message as JSON-compatible data: what SQL stores and exports read."""
    return cast(dict[str, Any], orjson.loads(encode(Format.JSON, message)))


def frame(fmt: Format, items: list[bytes]) -> bytes:
    """Join already-encoded messages into one frame (an array) without re-encoding them."""
    if fmt is Format.JSON:
        return b"[" + b",".join(items) + b"]"
    header: bytes = _ARRAY_HEADER(len(items))
    return header + b"".join(items)


def ws_frame(fmt: Format, payload: bytes) -> bytes:
    """A complete unmasked server frame; the same bytes go to every viewer of ``fmt``."""
    return ws.frame(ws.TEXT if fmt is Format.JSON else ws.BINARY, payload)


def frame_of(fmt: Format, *messages: ServerMessage) -> bytes:
    """One WebSocket frame holding these messages (replies, a welcome: one member's frames)."""
    return ws_frame(fmt, frame(fmt, [encode(fmt, m) for m in messages]))


def _event_json(m: EventMessage) -> bytes:
    body = orjson.dumps(m.event)
    head = b'{"type":"%b","seq":%d,"ts":%d' % (m.event.type.encode(), m.seq, m.ts)
    tail = b"}" if m.offset_ms is None else b',"offset_ms":%d}' % m.offset_ms
    return head + (b"," + body[1:-1] if len(body) > 2 else b"") + tail


def _shallow(obj: Any) -> dict[str, Any]:
    """A dataclass as a dict of its own fields (nested ones are handed back to the encoder)."""
    if type(obj) is EventMessage:
        out = {"type": obj.event.type, "seq": obj.seq, "ts": obj.ts, **_shallow(obj.event)}
        if obj.offset_ms is not None:
            out["offset_ms"] = obj.offset_ms
        return out
    cls = type(obj)
    if (spec := _FIELDS.get(cls)) is None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"cannot encode {cls.__name__}")
        spec = _FIELDS[cls] = (tuple(f.name for f in dataclasses.fields(cls)), getattr(cls, "omit_none", frozenset()))
    names, omit = spec
    out = {"type": cls.type} if isinstance(getattr(cls, "type", None), str) and "type" not in names else {}
    for name in names:
        value = getattr(obj, name)
        if value is not None or name not in omit:
            out[name] = value
    return out
