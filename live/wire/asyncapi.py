"""The AsyncAPI 3.0 document of the WebSocket protocol, generated from the wire's own types.

- **Client messages**: the JSON Schema pydantic derives from the very ``TypeAdapter`` the
  codec decodes with (``codec.CLIENT``), each with the ``id`` every frame carries (the
  codec takes it off before validating) and its ``type`` required. A client frame is one.
- **Server messages**: every dataclass of ``live.wire.server`` and every event class of
  ``rooms.events``, as the codec writes them: ``type`` (a ClassVar, never a field) as a
  const, events with their entry's ``seq`` and ``ts`` (and ``offset_ms`` on the replay
  socket), every field present except those a class leaves out when None (``omit_none``).
  A server frame is an array of them.

Which server messages each socket sends is declared here (``ROOM`` and ``REPLAY``; events
by their ``audience``); tests/test_api_docs.py checks that every message of the unions has
a place. ``live api-docs`` writes the document to docs/asyncapi.json.
"""

import dataclasses
import typing
from typing import Any

from pydantic import ConfigDict, TypeAdapter

from live.sockets.replay import MAX_SPEED
from live.wire import server as s
from live.wire.client import ClientMessage
from live.wire.codec import CLIENT, MAX_REQUEST_ID, SUBPROTOCOLS
from rooms.events import EVENT_CLASSES

VERSION = "1.0"  # the protocol's version (its subprotocols say v1), not the package's
REF = "#/components/schemas/{model}"
ROOM: tuple[type, ...] = (s.Welcome, s.Mine, s.Reply, s.Presence, s.Reactions, s.ChatThinned, s.StaffView)  # besides events
REPLAY: tuple[type, ...] = (s.ReplayStart, s.ReplayEnd)
ROOM_EVENTS = tuple(cls for cls in EVENT_CLASSES if cls.audience != "internal")  # staff ones to staff only
REPLAY_EVENTS = tuple(cls for cls in EVENT_CLASSES if cls.audience == "public")
_SERIALIZED = ConfigDict(json_schema_serialization_defaults_required=True)  # the codec writes every field


def document() -> dict[str, Any]:
    schemas = _client_schemas()
    for name, schema in _server_schemas().items():
        _keep(schemas, name, schema)
    schemas["ClientMessage"] = {"oneOf": [_ref(c) for c in _client_classes()], "discriminator": "type"}
    schemas["RoomFrame"] = _frame([*ROOM, *ROOM_EVENTS], "What the room socket sends: one or more messages, in order.")
    schemas["ReplayFrame"] = _frame([*REPLAY, *REPLAY_EVENTS], "What the replay socket sends: replay.start, the session's public events, replay.end.")
    client_messages = {_type(c): {"name": _type(c), "title": c.__name__, "summary": _summary(c), "payload": _ref(c)} for c in _client_classes()}
    messages = client_messages | {
        "roomFrame": {"name": "roomFrame", "title": "Server frame", "payload": {"$ref": REF.format(model="RoomFrame")}},
        "replayFrame": {"name": "replayFrame", "title": "Replay frame", "payload": {"$ref": REF.format(model="ReplayFrame")}},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "live WebSocket protocol",
            "version": VERSION,
            "description": "The room socket and the replay socket (docs/protocol.md). Subprotocol `live.v1.json` carries JSON in text "
            "frames, `live.v1.msgpack` the same messages in MessagePack binary frames. Client frames hold one message; "
            "server frames an array of one or more.",
        },
        "defaultContentType": "application/json",
        "servers": {"live": {"host": "localhost:8000", "protocol": "ws", "description": "A `live serve` node (wss behind TLS)."}},
        "channels": {"room": _room_channel(client_messages), "replay": _replay_channel()},
        "operations": _operations(client_messages),
        "components": {"schemas": schemas, "messages": messages},
    }


def _room_channel(client_messages: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": "/v1/rooms/{room_id}/ws",
        "title": "Room",
        "description": "One connection per viewer per room. The first message is `hello`, answered by `welcome`; every client message gets exactly one `reply` (or the `welcome`) with its `id`.",
        "parameters": {"room_id": {"description": "The room's id."}},
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in [*client_messages, "roomFrame"]},
        "bindings": {"ws": {"method": "GET", "headers": _subprotocol_header(), "bindingVersion": "0.1.0"}},
    }


def _replay_channel() -> dict[str, Any]:
    query = {
        "type": "object",
        "properties": {
            "from_ms": {"type": "integer", "minimum": 0, "default": 0, "description": "Where to start, in ms from go-live."},
            "speed": {"type": "number", "minimum": 0.1, "maximum": MAX_SPEED, "default": 1, "description": "Playback speed."},
        },
    }
    return {
        "address": "/v1/rooms/{room_id}/replay/ws",
        "title": "Replay",
        "description": "A finished session re-emitted at its original pace; seek by reconnecting with another `from_ms`.",
        "parameters": {"room_id": {"description": "The finished room's id."}},
        "messages": {"replayFrame": {"$ref": "#/components/messages/replayFrame"}},
        "bindings": {"ws": {"method": "GET", "query": query, "headers": _subprotocol_header(), "bindingVersion": "0.1.0"}},
    }


def _operations(client_messages: dict[str, Any]) -> dict[str, Any]:
    room, replay = {"$ref": "#/channels/room"}, {"$ref": "#/channels/replay"}
    return {
        "receiveClientMessage": {
            "action": "receive",
            "channel": room,
            "summary": "A client's request; the server replies to its `id`.",
            "messages": [{"$ref": f"#/channels/room/messages/{name}"} for name in client_messages],
        },
        "sendRoomFrame": {"action": "send", "channel": room, "summary": "Welcome, replies and the room's events.", "messages": [{"$ref": "#/channels/room/messages/roomFrame"}]},
        "sendReplayFrame": {"action": "send", "channel": replay, "summary": "The session, replayed.", "messages": [{"$ref": "#/channels/replay/messages/replayFrame"}]},
    }


def _subprotocol_header() -> dict[str, Any]:
    return {"type": "object", "properties": {"Sec-WebSocket-Protocol": {"type": "string", "enum": sorted(SUBPROTOCOLS), "description": "JSON when none is offered."}}}


def _client_classes() -> list[type]:
    return list(typing.get_args(ClientMessage))


def _client_schemas() -> dict[str, Any]:
    """The codec's own schema, with the request id each frame carries and ``type`` required."""
    generated = CLIENT.json_schema(ref_template=REF)
    schemas: dict[str, Any] = generated["$defs"]
    schemas["RequestId"] = {
        "oneOf": [{"type": "string", "minLength": 1, "maxLength": MAX_REQUEST_ID}, {"type": "integer"}],
        "description": "Chosen by the client; the reply carries it back.",
    }
    for cls in _client_classes():
        schema = schemas[cls.__name__]
        schema["properties"] = {"type": {"type": "string", "const": _type(cls)}, "id": {"$ref": REF.format(model="RequestId")}} | {k: v for k, v in schema["properties"].items() if k != "type"}
        schema["required"] = ["type", "id", *schema.get("required", [])]
    return schemas


def _server_schemas() -> dict[str, Any]:
    """Every server message and event as the codec writes it."""
    events, others = list(EVENT_CLASSES), list(typing.get_args(s.ServerMessage))
    classes = events + [c for c in others if c is not s.EventMessage]
    union: Any = typing.Union[tuple(classes)]  # noqa: UP007 - a union built at run time
    generated = TypeAdapter(union, config=_SERIALIZED).json_schema(mode="serialization", ref_template=REF)
    schemas: dict[str, Any] = generated["$defs"]
    for cls in _nested_dataclasses(classes):
        schema = schemas[cls.__name__]
        omitted: frozenset[str] = getattr(cls, "omit_none", frozenset())
        schema["required"] = [k for k in schema.get("required", []) if k not in omitted]
    for cls in classes:
        schema = schemas[cls.__name__]
        head: dict[str, Any] = {"type": {"type": "string", "const": _type(cls)}}
        if cls in events:
            head |= {"seq": {"type": "integer", "description": "The log entry's position."}, "ts": {"type": "integer", "description": "The entry's time, ms since the epoch."}}
            schema["x-audience"] = cls.audience
        schema["properties"] = head | schema.get("properties", {})
        schema["required"] = [*head, *schema.get("required", [])]
        if cls in events:
            schema["properties"]["offset_ms"] = {"type": "integer", "description": "Replay only: ms since the session went live."}
    return schemas


def _nested_dataclasses(roots: list[type]) -> list[type]:
    """The roots and every dataclass their fields hold, each once."""
    seen: list[type] = []
    todo = list(roots)
    while todo:
        cls = todo.pop()
        if cls in seen or not dataclasses.is_dataclass(cls):
            continue
        seen.append(cls)
        for hint in typing.get_type_hints(cls).values():
            todo += [t for t in (hint, *_args(hint)) if isinstance(t, type) and dataclasses.is_dataclass(t)]
    return seen


def _args(hint: Any) -> list[Any]:
    return [a for arg in typing.get_args(hint) for a in (arg, *_args(arg))]


def _frame(classes: list[type], description: str) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "description": description, "items": {"oneOf": [_ref(c) for c in classes], "discriminator": "type"}}


def _type(cls: type) -> str:
    tag = getattr(cls, "type", None)
    if not isinstance(tag, str):
        field = cls.__dataclass_fields__["type"]  # type: ignore[attr-defined]
        tag = field.default
    return str(tag)


def _summary(cls: type) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "(") else _type(cls)


def _ref(cls: type) -> dict[str, str]:
    return {"$ref": REF.format(model=cls.__name__)}


def _keep(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if schemas.setdefault(name, schema) != schema:
        raise ValueError(f"a client and a server schema are both called {name}")
