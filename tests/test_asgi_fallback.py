"""Under an ASGI server other than uvicorn's websockets-sansio, sockets use AsgiSink.

Starlette's TestClient is such a server (in-process, real ASGI messages): the same room,
chat and replies must work through the portable path.
"""

from pathlib import Path

import orjson
from starlette.testclient import TestClient

from live.app import create_app
from live.settings import Settings
from tests.harness import SECRET, bearer, token


def test_room_works_through_the_portable_sink(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/asgi.db", token_secret=SECRET, trusted_hosts=["testserver"])  # the test client's Host
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/rooms", json={"id": "asgi", "title": "Portable"}, headers=bearer(token("host1", "*", "host"))).status_code == 201
        assert client.post("/v1/rooms/asgi/live", headers=bearer(token("host1", "asgi", "host"))).status_code == 200
        with client.websocket_connect("/v1/rooms/asgi/ws", subprotocols=["live.v1.json"]) as ws:
            ws.send_text(orjson.dumps({"type": "hello", "id": "h", "token": token("ana", "asgi")}).decode())
            welcome = orjson.loads(ws.receive_text())[0]
            assert welcome["type"] == "welcome" and welcome["room"]["status"] == "live"
            ws.send_text(orjson.dumps({"type": "chat.post", "id": "p", "text": "through AsgiSink"}).decode())
            seen: list[dict] = []  # type: ignore[type-arg]
            while not (any(m.get("type") == "chat.message" for m in seen) and any(m.get("id") == "p" for m in seen)):
                seen += orjson.loads(ws.receive_text())
            reply = next(m for m in seen if m.get("id") == "p")
            message = next(m for m in seen if m.get("type") == "chat.message")
            assert reply["ok"] and message["message"]["text"] == "through AsgiSink"
