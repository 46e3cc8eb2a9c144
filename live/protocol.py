"""Wire protocol v1: the one schema of every client message, and the two encodings.

A client frame is one JSON object or MessagePack map: ``{"type": ..., "id": ..., ...}``.
It is validated straight into a command dataclass of ``rooms.commands`` (or one of the
control messages below); nothing else travels past this module as a raw dict.
A server frame is always an array of one or more messages, so nearby events can be
batched into one frame. See docs/protocol.md.
"""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, cast

import msgpack
import orjson
from pydantic import Field, TypeAdapter, ValidationError

from live.errors import ProtocolError, TooLarge, UnknownType
from rooms import commands as c
from rooms.commands import Entry
from rooms.events import Event
from rooms.state import RoomState




@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    """First frame of a connection: the token (never in the URL) and where to resume."""

    type: Literal["hello"] = "hello"
    token: str | None = None  # None joins as a guest where the room allows it
    since: int | None = None  # last seq seen, to resume
    epoch: str | None = None  # epoch that seq belongs to
    ref: str | None = None  # referral code (an affiliate's id), when the token carries none


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    type: Literal["ping"] = "ping"


@dataclass(frozen=True, slots=True, kw_only=True)
class React:
    type: Literal["reaction"] = "reaction"
    kind: Literal["heart", "clap", "fire", "laugh", "wow"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PinProduct:
    """Becomes ``rooms.commands.ProductPin`` once the server has looked the product up."""

    type: Literal["product.pin"] = "product.pin"
    product_id: str
    highlight: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateOffer:
    """Becomes ``rooms.commands.OfferCreate`` once the server has looked the product up."""

    type: Literal["offer.create"] = "offer.create"
    product_id: str
    units: int
    price: int | None = None  # default: the catalog price
    per_buyer_limit: int = 1
    starts_in_seconds: int = 0
    duration_seconds: int = 60
    early_access_seconds: int = 0
    members_only: bool = False


Control = Hello | Ping | React
CatalogRequest = PinProduct | CreateOffer
ClientMessage = Control | CatalogRequest | c.ClientCommand

_CLIENT = TypeAdapter(Annotated[ClientMessage, Field(discriminator="type")])
_KNOWN_TYPES = frozenset(t.__dataclass_fields__["type"].default for t in ClientMessage.__args__)
_ENTRY = TypeAdapter(Entry)
_ACTOR = TypeAdapter(c.Actor)
_COMMAND: TypeAdapter[c.Command] = TypeAdapter(c.Command)
_STATE = TypeAdapter(RoomState)
MAX_REQUEST_ID = 64


class Format(StrEnum):
    JSON = "json"
    MSGPACK = "msgpack"


SUBPROTOCOLS = {"live.v1.json": Format.JSON, "live.v1.msgpack": Format.MSGPACK}
_ARRAY_HEADER = msgpack.Packer().pack_array_header


def encode(fmt: Format, obj: Any) -> bytes:
    """One message, encoded; frames are built from these with ``frame``."""
    if fmt is Format.JSON:
        return orjson.dumps(obj)
    return cast(bytes, msgpack.packb(obj, use_bin_type=True))


def frame(fmt: Format, items: list[bytes]) -> bytes:
    """Join already-encoded messages into one frame (an array) without re-encoding them."""
    if fmt is Format.JSON:
        return b"[" + b",".join(items) + b"]"
    header: bytes = _ARRAY_HEADER(len(items))
    return header + b"".join(items)


def decode(fmt: Format, data: bytes | str, max_bytes: int) -> tuple[str | int | None, ClientMessage]:
    """Validate one client frame. Raises a ProtocolError carrying the request id it could read."""
    if len(data) > max_bytes:
        raise TooLarge(f"frame is over {max_bytes} bytes")
    try:
        raw: Any = orjson.loads(data) if fmt is Format.JSON else msgpack.unpackb(data, raw=False)
    except (orjson.JSONDecodeError, ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise ProtocolError(f"not valid {fmt.value}: {exc}") from None
    if not isinstance(raw, dict):
        raise ProtocolError("a message must be an object")
    rid = raw.pop("id", None)
    if not (isinstance(rid, str) and 0 < len(rid) <= MAX_REQUEST_ID) and not (isinstance(rid, int) and not isinstance(rid, bool)):
        raise ProtocolError(f"every message needs an id: a string of 1..{MAX_REQUEST_ID} characters or an integer")
    if raw.get("type") not in _KNOWN_TYPES:
        raise UnknownType(f"unknown message type {raw.get('type')!r}", request_id=rid)
    try:
        return rid, _CLIENT.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ProtocolError(f"{where}: {first['msg']}", request_id=rid) from None


# --- server messages --------------------------------------------------------------


def event_message(entry: Entry, event: Event) -> dict[str, Any]:
    """The wire form of one event: its fields plus type, seq and ts of its entry."""
    return {"type": event.type, "seq": entry.seq, "ts": entry.ts, **dataclasses.asdict(event)}


def reply_ok(rid: str | int | None, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "reply", "id": rid, "ok": True, "result": result or {}}


def reply_error(rid: str | int | None, code: str, message: str, retry_after_ms: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if retry_after_ms is not None:
        error["retry_after_ms"] = retry_after_ms
    return {"type": "reply", "id": rid, "ok": False, "error": error}


# --- log entries on the bus and in SQL (JSON-compatible, never pickle) ---------------


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    return cast(dict[str, Any], _ENTRY.dump_python(entry, mode="json"))


def entry_from_dict(data: dict[str, Any]) -> Entry:
    return _ENTRY.validate_python(data)


def entry_body(actor: c.Actor, command: c.Command, origin: str | None) -> bytes:
    """An entry without its seq and ts (the log assigns those), as JSON."""
    return orjson.dumps({"actor": _ACTOR.dump_python(actor, mode="json"), "command": _COMMAND.dump_python(command, mode="json"), "origin": origin})


def state_to_json(state: RoomState) -> bytes:
    """The whole folded state as JSON, for snapshots a node can open a room from.

    orjson, not pydantic: a busy room's state (a thousand recent messages) is written
    every few seconds on the event loop, and this is some fifty times faster.
    """
    return orjson.dumps(state, default=_plain, option=orjson.OPT_NON_STR_KEYS)


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def state_to_dict(state: RoomState) -> dict[str, Any]:
    return cast(dict[str, Any], orjson.loads(state_to_json(state)))


def state_from_dict(data: dict[str, Any]) -> RoomState:
    return _STATE.validate_python(data)
