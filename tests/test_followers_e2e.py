"""Scheduled shows and followers end to end: viewers follow a brand or a host (idempotent),
the platform gets a signed reminder before the show and a go-live message listing the
followers to notify, and a scheduled room's viewer learns their follow state on joining."""

import base64
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.harness import Api, Client, LiveServer, bearer, eventually, free_port, token

SECRET = "whsec_" + base64.b64encode(b"the platform's notification key").decode()


class Platform:
    """The platform's webhook endpoint: keeps every verified message."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                platform.messages.append(Webhook(SECRET).verify(body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def platform() -> Iterator[Platform]:
    p = Platform()
    yield p
    p.server.shutdown()
    p.server.server_close()


@pytest.fixture
def server(tmp_path: Path, platform: Platform) -> Iterator[LiveServer]:
    hooks = {"LIVE_WEBHOOK_URL": f"http://127.0.0.1:{platform.port}/notify", "LIVE_WEBHOOK_SECRET": SECRET, "LIVE_REMINDER_LEAD_SECONDS": "[900, 60]"}
    srv = LiveServer(tmp_path, **hooks).start()
    yield srv
    srv.stop()


async def test_followers_get_a_reminder_and_a_go_live_notice(server: LiveServer, platform: Platform) -> None:
    api = Api(server)
    ana, ben, cy = (bearer(token(u, "*")) for u in ("ana", "ben", "cy"))
    for _ in range(2):  # following twice is following once
        r = await api.http.put("/v1/me/follows/brand/acme", headers=ana)
        assert r.status_code == 200 and r.json() == {"kind": "brand", "target": "acme", "following": True}
    assert (await api.http.put("/v1/me/follows/host/host1", headers=ben)).status_code == 200
    assert (await api.http.put("/v1/me/follows/host/host1", headers=ana)).status_code == 200
    assert (await api.http.put("/v1/me/follows/brand/acme", headers=cy)).status_code == 200
    for _ in range(2):
        assert (await api.http.delete("/v1/me/follows/brand/acme", headers=cy)).json()["following"] is False
    assert [(f["kind"], f["target"]) for f in (await api.http.get("/v1/me/follows", headers=ana)).json()["following"]] == [("brand", "acme"), ("host", "host1")]
    assert (await api.http.put("/v1/me/follows/shop/acme", headers=ana)).status_code == 404
    assert (await api.http.put("/v1/me/follows/brand/acme")).status_code == 401

    starts = datetime.fromtimestamp(time.time() + 600, UTC)  # ten minutes away: within the 900 s lead, not the 60 s one
    body = {"id": "soon", "title": "Spring drop", "brand_id": "acme", "host_id": "host1", "starts_at": starts.isoformat()}
    assert (await api.http.post("/v1/rooms", json=body, headers=bearer(token("acme", "*", "brand")))).status_code == 201

    reminder = (await eventually(lambda: _sent(platform, "room.reminder"), bool))[0]["data"]
    assert (reminder["room_id"], reminder["lead_seconds"], reminder["title"]) == ("soon", 900, "Spring drop")
    assert reminder["starts_at"] == int(starts.timestamp() * 1000)
    assert reminder["followers"] == ["ana", "ben"] and reminder["followers_total"] == 2, "each follower once, brand's and host's"

    # The scheduled room's viewer page: the countdown's end, and the follow button's state.
    viewer = await Client.join(server.ws_url("soon"), token("ana", "soon"))
    assert viewer.welcome is not None and viewer.welcome["room"]["status"] == "scheduled" and viewer.welcome["room"]["starts_at"] == reminder["starts_at"]
    me = await viewer.wait_for(lambda: next((m for m in viewer.messages if m["type"] == "me"), None))
    assert me["following"] == {"brand": True, "host": True}
    stranger = await Client.join(server.ws_url("soon"), token("dan", "soon"))
    assert (await stranger.wait_for(lambda: next((m for m in stranger.messages if m["type"] == "me"), None)))["following"] == {"brand": False, "host": False}
    guest = await Client.join(server.ws_url("soon"), None)
    await guest.request("ping")
    assert not [m for m in guest.messages if m["type"] == "me"], "a guest has nothing of their own"

    assert (await api.http.post("/v1/rooms/soon/live", headers=bearer(token("host1", "soon", "host")))).status_code == 200
    live = (await eventually(lambda: _sent(platform, "room.live"), bool))[0]["data"]
    assert live["room_id"] == "soon" and live["followers"] == ["ana", "ben"] and live["followers_total"] == 2
    log = (await api.http.get("/v1/rooms/soon/webhooks", headers=bearer(token("acme", "*", "brand")))).json()["webhooks"]
    assert sorted(m["type"] for m in log) == ["room.live", "room.reminder"], "one reminder per lead time, once"
    assert len(await _sent(platform, "room.reminder")) == 1
    for c in (viewer, stranger, guest):
        await c.close()
    await api.http.aclose()


async def _sent(platform: Platform, kind: str) -> list[dict[str, Any]]:
    return [m for m in platform.messages if m["type"] == kind]
