"""A host rehearses a scheduled show with a simulated audience; `live demo` shows a running show.

The rehearsal's simulated viewers chat and claim through the log like anyone, but the
rehearsal is private (the room's team only) and its claims never become orders or
count in the brand's sessions. `live demo` prints URLs that open a live show in Chromium.
"""

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.harness import ROOT, Api, Client, LiveServer, bearer, free_port, token

CATALOG = [{"id": "tee", "sku": "TEE", "title": "Tee", "price": 150_000, "currency": "IDR"}]
BUSY = {"viewers": 12, "chat_per_minute": 600, "claims_per_minute": 120, "reactions_per_minute": 600, "questions_per_minute": 0}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    s = LiveServer(tmp_path).start()
    yield s
    s.stop()


async def test_a_rehearsal_is_private_busy_and_counts_nowhere(server: LiveServer) -> None:
    api = Api(server)
    brand = bearer(token("acme-staff", "*", "brand", brand="acme"))
    assert (await api.http.put("/v1/catalog/acme/products", json=CATALOG, headers=brand)).status_code == 200
    created = await api.http.post("/v1/rooms", json={"id": "launch", "title": "Launch", "brand_id": "acme", "host_id": "h1"}, headers=brand)
    assert created.status_code == 201, created.text
    host_http = bearer(token("h1", "launch", "host", brand="acme"))
    # The show's own set-up: its rules (to be accepted), a moderator, slow mode, a comment word.
    rules = await api.http.put("/v1/rooms/launch/rules", json={"text": "Be kind. No links.", "require_acceptance": True}, headers=brand)
    assert rules.status_code == 200, rules.text
    planner = await Client.join(server.ws_url("launch"), token("h1", "launch", "host", brand="acme"))
    for command, args in (("mod.appoint", {"user_id": "m1"}), ("mod.slow_mode", {"seconds": 5}), ("comments.claims", {"enabled": True, "claim_words": ["ambil"]})):
        reply = await planner.request(command, **args)
        assert reply["ok"], reply
    await planner.close()
    refused_http = await api.http.post("/v1/rooms/launch/rehearsal", json=BUSY, headers=bearer(token("v1", "launch")))
    assert refused_http.status_code == 403, refused_http.text
    opened = await api.http.post("/v1/rooms/launch/rehearsal", json=BUSY, headers=host_http)
    assert opened.status_code == 201, opened.text
    rehearsal = opened.json()["room_id"]
    assert opened.json()["rehearsal_of"] == "launch" and rehearsal.startswith("launch-rehearsal-")

    viewer = await Client.open(server.ws_url(rehearsal))
    refused = await viewer.request("hello", token=token("v1", rehearsal))
    assert not refused["ok"] and refused["error"]["code"] == "forbidden", refused

    host = await Client.join(server.ws_url(rehearsal), token("h1", rehearsal, "host", brand="acme"))
    room = host.welcome["room"]
    assert room["rehearsal_of"] == "launch"
    # ...is the rehearsal's: the host rehearses the show as viewers will see it, with its moderator.
    assert room["rules"] == {"text": "Be kind. No links.", "require_acceptance": True}
    assert room["slow_mode_seconds"] == 5
    assert room["comment_claims"]["claim_words"] == ["ambil"]
    assert host.welcome["moderation"]["moderators"] == ["m1"]
    moderator = await Client.join(server.ws_url(rehearsal), token("m1", rehearsal))
    assert moderator.welcome["moderation"] is not None, "the appointed moderator gets the staff view of the rehearsal"
    live = await api.http.post(f"/v1/rooms/{rehearsal}/live", headers=bearer(token("h1", rehearsal, "host", brand="acme")))
    assert live.status_code == 200, live.text
    offer = await host.request("offer.create", product_id="tee", units=5, duration_seconds=120)
    assert offer["ok"], offer
    # The simulated audience: their chat, their claims (through the fold: never past stock).
    await host.wait_for(lambda: len([e for e in host.events("chat.message") if e["message"]["user"]["id"].startswith("sim-")]) >= 5, timeout=30)
    await host.wait_for(lambda: any(e["reserved"] > 0 for e in host.events("offer.stock")), timeout=30)
    assert all(e["reserved"] + e["paid"] <= 5 for e in host.events("offer.stock"))
    presence = await host.wait_for(lambda: [m for m in host.messages if m["type"] == "presence" and m["viewers"] >= 12], timeout=15)
    assert presence, "simulated viewers count in the viewer number"
    # Private to the outside too: not listed, and its words, ranking and auctions are not public.
    listed = (await api.http.get("/v1/rooms", params={"status": "live"})).json()["rooms"]
    assert rehearsal not in [r["id"] for r in listed]
    for path in ("transcript", "leaderboard", "auctions"):
        assert (await api.http.get(f"/v1/rooms/{rehearsal}/{path}")).status_code == 404, path

    assert (await api.http.post(f"/v1/rooms/{rehearsal}/end", headers=bearer(token("h1", rehearsal, "host", brand="acme")))).status_code == 200
    orders = await api.http.get(f"/v1/rooms/{rehearsal}/orders", headers=brand)
    assert orders.status_code == 200 and orders.json()["orders"] == [], orders.text
    async with connect(server.ws_url(rehearsal).replace("/ws", "/replay/ws")) as replay:
        with pytest.raises(ConnectionClosed):
            await replay.recv()
    assert replay.close_code == 4004, "an ended rehearsal is not replayed to the public"
    sessions = await api.http.get("/v1/brands/acme/sessions", headers=brand)
    assert [s["room_id"] for s in sessions.json()["sessions"]] == ["launch"], "a rehearsal is not one of the brand's sessions"
    original = await api.http.get("/v1/rooms/launch")
    assert original.json()["status"] == "scheduled" and original.json()["message_count"] == 0
    await host.close()
    await moderator.close()
    await viewer.close()
    await api.http.aclose()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[dict[str, str], subprocess.Popen[bytes]]]:
    port = free_port()
    log = tmp_path / "demo.log"
    (ROOT / "test-artifacts" / "demo").mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "live.cli", "demo", "--port", str(port), "--database-url", f"sqlite+aiosqlite:///{tmp_path}/demo.db"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        urls: dict[str, str] = {}
        for _ in range(600):
            urls = dict(re.findall(r"^  ([a-z ]+): (http://\S+)$", log.read_text(errors="replace"), re.M))
            if len(urls) == 3 or proc.poll() is not None:
                break
            time.sleep(0.1)  # the server prints its URLs once seeded: poll its log
        assert len(urls) == 3, log.read_text()
        yield urls, proc
    finally:
        proc.terminate()
        proc.wait(15)


async def test_live_demo_prints_urls_that_open_a_running_show(demo: tuple[dict[str, str], subprocess.Popen[bytes]], browser: Browser) -> None:
    urls, _ = demo
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    await page.goto(urls["viewer"])
    await page.wait_for_function("() => document.body.innerText.includes('(sim)')", timeout=30_000)  # the audience chats
    watching = re.search(r"(\d+) watching", await page.inner_text("body"))
    assert watching and int(watching.group(1)) >= 60, "the simulated audience counts in the viewer number"
    await page.screenshot(path="test-artifacts/demo/viewer-phone.png")
    host = await browser.new_page(viewport={"width": 1366, "height": 850})
    await host.goto(urls["host console"])
    await host.wait_for_function("() => document.body.innerText.includes('(sim)')", timeout=30_000)
    await host.screenshot(path="test-artifacts/demo/host-laptop.png")
    await page.close()
    await host.close()
