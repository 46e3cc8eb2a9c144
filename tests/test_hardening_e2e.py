"""Hostile input is refused cleanly: hosts, bodies, parameters, frames, CSV cells, logs.

Each refusal has a stable code, the server keeps serving, and nothing it should not
keep (a token, an oversized body) ends up in its logs or its memory.
"""

import asyncio
import csv
import io
import logging
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from live.cli import _SafeLines
from tests.harness import Api, Client, LiveServer, bearer, token

BRAND = bearer(token("acme", "*", "brand"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("hard"), LIVE_MAX_ERRORS="3", LIVE_MAX_BODY_BYTES="65536", LIVE_MAX_IMPORT_BYTES="262144", LIVE_COMMANDS_PER_SECOND="1000", LIVE_COMMAND_BURST="1000", LIVE_BRAND_API_KEYS='{"acme-key": "acme"}', LIVE_ADMIN_API_KEYS='["admin-key"]').start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
async def ended_room(server: LiveServer) -> AsyncIterator[str]:
    """A finished brand session with a chat line that looks like a spreadsheet formula."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.post("/v1/rooms", json={"id": "hard", "title": "Hard", "host_id": "host1"}, headers=BRAND)).status_code == 201
        assert (await http.post("/v1/rooms/hard/live", headers=BRAND)).status_code == 200
        ana = await Client.join(server.ws_url("hard"), token("ana", "hard"))
        # A formula without a link (automatic moderation holds a viewer's link before any export could).
        assert (await ana.request("chat.post", text="=cmd|' /C calc'!A0"))["ok"]
        assert (await ana.request("chat.post", text="hello"))["ok"]
        await ana.close()
        assert (await http.post("/v1/rooms/hard/end", headers=BRAND)).status_code == 200
    yield "hard"


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


async def test_an_untrusted_host_is_refused_on_http_and_websocket(server: LiveServer, api: Api) -> None:
    r = await api.http.get("/v1/rooms", headers={"host": "rebound.evil.example"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    await api.create_room("trust")
    # A page on a DNS name rebound to this server: same "origin" as its Host, but not a host we answer to.
    with pytest.raises(InvalidStatus) as refused:
        rebound = server.ws_url("trust").replace("127.0.0.1", "rebound.evil.example")
        await connect(rebound, host="127.0.0.1", port=server.port, origin="http://rebound.evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    ok = await Client.join(server.ws_url("trust"), token("v", "trust"))  # 127.0.0.1 is trusted
    await ok.close()


async def test_pages_carry_security_headers(api: Api) -> None:
    for path in ("/viewer.html", "/v1/rooms"):
        headers = (await api.http.get(path)).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_oversized_bodies_get_413_before_they_are_read(server: LiveServer, api: Api) -> None:
    declared = await api.http.post("/v1/rooms", content=b"x" * 100_000, headers={**BRAND, "content-type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

    async def stream(total: int) -> AsyncIterator[bytes]:
        for _ in range(total // 65536):
            yield b"y" * 65536

    before = rss_kb(server.proc.pid)  # type: ignore[union-attr]
    # Eight 50 MB bodies without a Content-Length: each is cut off once it passes the cap.
    results = await asyncio.gather(*[api.http.post("/v1/rooms", content=stream(50 << 20), headers=BRAND) for _ in range(8)], return_exceptions=True)
    statuses = [r.status_code for r in results if isinstance(r, httpx.Response)]
    assert statuses and set(statuses) == {413}, results
    assert rss_kb(server.proc.pid) - before < 30_000, "the server did not buffer the bodies"  # type: ignore[union-attr]
    # A catalog import may be bigger than other bodies (LIVE_MAX_IMPORT_BYTES).
    rows = [{"id": f"p{i}", "sku": f"S{i}", "title": "t" * 100, "price": 1, "currency": "IDR"} for i in range(600)]
    assert (await api.http.put("/v1/catalog/acme/products", json=rows, headers=BRAND)).status_code == 200


async def test_bad_parameters_and_csv_values_are_422(api: Api, ended_room: str) -> None:
    for path in (f"/v1/rooms/{ended_room}/replay?from_ms=abc", f"/v1/rooms/{ended_room}/export.csv?to_ms=1e3", f"/v1/rooms/{ended_room}/export.ndjson?from_ms=-5"):
        r = await api.http.get(path, headers=BRAND)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", (path, r.text)
    huge_field = "id,sku,title,price,currency\np1,S1," + "t" * 200_000 + ",1,IDR\n"
    r = await api.http.put("/v1/catalog/acme/products", content=huge_field, headers={**BRAND, "content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", r.text


async def test_ids_past_what_sql_holds_and_downloads_named_by_any_id_get_clean_answers(server: LiveServer, api: Api, ended_room: str) -> None:
    ana = bearer(token("ana", "*"))
    for path in ("/v1/reviews/9223372036854775808/helpful", "/v1/reviews/" + "9" * 50 + "/moderate", f"/v1/rooms/{ended_room}/orders/9223372036854775808/review"):
        r = await api.http.post(path, json={"status": "published", "stars": 5}, headers=ana)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)
    # A person whose id is not Latin text downloads their data; a brand asks for an id with quotes in it.
    mine = await api.http.get("/v1/me/data", headers=bearer(token("ルーム", "*")))
    assert mine.status_code == 200 and mine.json()["user_id"] == "ルーム"
    assert mine.headers["content-disposition"] == "attachment; filename=\"___-data.json\"; filename*=UTF-8''%E3%83%AB%E3%83%BC%E3%83%A0-data.json"
    theirs = await api.http.get('/v1/users/x"; filename="evil.html/data', headers=BRAND)
    assert theirs.status_code == 200 and theirs.headers["content-disposition"].startswith('attachment; filename="x___filename__evil.html-data.json";')
    assert server.proc is not None and server.proc.poll() is None
    assert "Traceback" not in server.log_path.read_text()


async def test_api_keys_are_no_people_and_follow_targets_are_ids(api: Api) -> None:
    for key in ("acme-key", "admin-key"):
        for method, path in (("PUT", "/v1/me/follows/brand/acme"), ("GET", "/v1/me/follows"), ("GET", "/v1/me/orders"), ("POST", "/v1/reviews/1/helpful")):
            r = await api.http.request(method, path, headers={"x-api-key": key})
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", (key, path, r.text)
    ana = bearer(token("ana", "*"))
    for target in ("x" * 129, "%00", "acme%0d%0aX:%20y", "@solo", "a%20b"):
        r = await api.http.put(f"/v1/me/follows/brand/{target}", headers=ana)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", (target, r.text)
    assert (await api.http.put("/v1/me/follows/brand/acme", headers=ana)).json()["following"] is True
    assert [(f["kind"], f["target"]) for f in (await api.http.get("/v1/me/follows", headers=ana)).json()["following"]] == [("brand", "acme")], "only the good one was kept"


async def test_csv_exports_neutralize_formulas(api: Api, ended_room: str) -> None:
    r = await api.http.get(f"/v1/rooms/{ended_room}/export.csv", headers=BRAND)
    assert r.status_code == 200
    texts = [row["text"] for row in csv.DictReader(io.StringIO(r.text)) if row["type"] == "chat.message"]
    assert texts == ["'=cmd|' /C calc'!A0", "hello"]


async def test_public_surfaces_show_pseudonyms_not_platform_ids(api: Api, ended_room: str) -> None:
    events = (await api.http.get(f"/v1/rooms/{ended_room}/transcript")).json()["events"]
    users = {e["message"]["user"]["id"] for e in events if e["type"] == "chat.message"}
    assert users and all(u.startswith("u_") for u in users) and "ana" not in users
    for path in (f"/v1/rooms/{ended_room}/leaderboard", "/v1/brands/acme/leaderboard"):
        board = (await api.http.get(path)).json()["leaderboard"]
        assert board and all(row["user_id"].startswith("u_") for row in board), (path, board)
        assert any(row["name"] == "Ana" for row in board)
    analytics = (await api.http.get(f"/v1/rooms/{ended_room}/analytics", headers=BRAND)).json()
    assert all(row["user_id"].startswith("u_") for row in analytics["top_contributors"])


async def test_giveaway_winners_and_the_moderation_state_show_pseudonyms_too(server: LiveServer, api: Api) -> None:
    """Users held in lists (giveaway winners, moderators, the banned, co-host invites) and
    maps (the timed out) were once shown with their platform ids on public and brand surfaces."""
    assert (await api.http.post("/v1/rooms", json={"id": "lists", "title": "Lists", "host_id": "host1"}, headers=BRAND)).status_code == 201
    assert (await api.http.post("/v1/rooms/lists/live", headers=BRAND)).status_code == 200
    url = server.ws_url("lists")
    host, winner = await Client.join(url, token("host1", "lists", "host")), await Client.join(url, token("uid-winner", "lists"))
    for command, user in (("mod.appoint", "uid-mod"), ("mod.ban", "uid-banned"), ("cohost.invite", "uid-guest-host"), ("mod.shadow_mute", "uid-muted")):
        assert (await host.request(command, user_id=user))["ok"], command
    assert (await host.request("mod.timeout", user_id="uid-timed", seconds=600))["ok"]
    gid = (await host.request("giveaway.start", title="A tee", winners=1))["result"]["giveaway_id"]
    assert (await winner.request("giveaway.enter", giveaway_id=gid))["ok"]
    assert (await host.request("giveaway.draw", giveaway_id=gid))["result"]["winners"] == ["uid-winner"], "the host's own answer names the winner"
    await host.close()
    await winner.close()
    assert (await api.http.post("/v1/rooms/lists/end", headers=BRAND)).status_code == 200  # its log is in SQL before this reply
    surfaces = {
        "room": await api.http.get("/v1/rooms/lists"),
        "transcript": await api.http.get("/v1/rooms/lists/transcript"),
        "moderation": await api.http.get("/v1/rooms/lists/moderation", headers=BRAND),
        "export": await api.http.get("/v1/rooms/lists/export.ndjson", headers=BRAND),
        "replay": await api.http.get("/v1/rooms/lists/replay", headers=BRAND),
    }
    for name, r in surfaces.items():
        assert r.status_code == 200 and "uid-" not in r.text, (name, r.text[:2000])
    assert surfaces["room"].json()["giveaways"][0]["drawn"][0]["id"].startswith("u_")
    now = surfaces["moderation"].json()["now"]
    held = [*now["moderators"], *now["banned"], *now["shadow_muted"], *now["timed_out"]]
    assert len(held) == 4 and all(u.startswith("u_") for u in held), now
    assert [e["winners"][0]["id"][:2] for e in surfaces["transcript"].json()["events"] if e["type"] == "giveaway.drawn"] == ["u_"]


async def test_a_text_frame_on_messagepack_gets_a_clear_error(server: LiveServer, api: Api) -> None:
    await api.live_room("mp")
    early = await Client.open(server.ws_url("mp"), "msgpack")
    await early.send_raw('{"type": "hello", "id": 1}')
    assert await early.wait_closed() == 4001
    error = next(m for m in early.messages if m["type"] == "reply")["error"]
    assert error["code"] == "bad_request" and "binary" in error["message"]

    ana = await Client.join(server.ws_url("mp"), token("ana", "mp"), "msgpack")
    await ana.send_raw('{"type": "ping", "id": "t"}')
    await ana.wait_for(lambda: any(m.get("ok") is False for m in ana.messages))
    assert (await ana.request("ping"))["ok"], "the connection carries on"
    await ana.close()


async def test_frames_of_the_wrong_shape_get_a_stable_code_and_the_connection_carries_on(server: LiveServer, api: Api) -> None:
    """A type that is no string, a binary frame on JSON, and fields of the wrong type: each
    refused with its code (never a dropped connection), and nothing is done with them."""
    await api.live_room("shape")
    bob = await Client.join(server.ws_url("shape"), token("bob", "shape"))
    ana = await Client.join(server.ws_url("shape"), token("ana", "shape"))
    carla = await Client.join(server.ws_url("shape"), token("carla", "shape"))
    cases = [
        (ana, '{"type": ["chat.post"], "id": "t1", "text": "list type"}', "unknown_type"),
        (ana, b'{"type": "chat.post", "id": "b1", "text": "binary frame"}', "bad_request"),
        (carla, '{"type": "chat.post", "id": "s1", "text": "reply to true", "reply_to": true}', "bad_request"),
        (carla, '{"type": "poll.vote", "id": "s2", "poll_id": "9", "options": [0]}', "bad_request"),
    ]
    for client, data, code in cases:
        errors = len([m for m in client.messages if m.get("ok") is False])
        await client.send_raw(data)
        got = await client.wait_for(lambda c=client, n=errors: [m for m in c.messages if m.get("ok") is False][n:])
        assert got[0]["error"]["code"] == code, data
    for client in (ana, carla):
        assert (await client.request("chat.post", text=f"still here, {client is ana}"))["ok"], "the connection carries on"
    texts = await bob.wait_for(lambda: [m["message"]["text"] for m in bob.messages if m["type"] == "chat.message"] if sum(m["type"] == "chat.message" for m in bob.messages) >= 2 else None)
    assert texts == ["still here, True", "still here, False"], "only the well-formed posts reached the room"
    for client in (ana, bob, carla):
        await client.close()


async def test_replay_viewers_who_vanish_mid_burst_leave_no_error_behind(server: LiveServer, api: Api) -> None:
    """A replay sends a burst of events back to back; viewers who drop the connection in the
    middle of it (a phone going into a tunnel) are simply gone: no traceback, and the next
    replay of the same show plays to its end."""
    await api.live_room("burst")
    host = await Client.join(server.ws_url("burst"), token("host1", "burst", "host"))
    for i in range(150):
        assert (await host.request("chat.post", text=f"line {i}"))["ok"]
    await host.close()
    assert (await api.http.post("/v1/rooms/burst/end", headers=bearer(token("host1", "*", "host")))).status_code == 200
    url = server.ws_url("burst").replace("/ws", "/replay/ws") + "?speed=64"
    for _ in range(10):
        ws = await connect(url)
        await ws.recv()  # replay.start, then the burst begins
        ws.transport.abort()  # gone without a close frame
    async with connect(url) as ws:
        got = [m for frame in [orjson.loads(f) async for f in ws] for m in frame]
    assert got[-1]["type"] == "replay.end" and sum(m["type"] == "chat.message" for m in got) == 150
    assert "Traceback" not in server.log_path.read_text()


async def test_replays_are_capped_per_address_and_bad_positions_refused(server: LiveServer, ended_room: str) -> None:
    """No token opens a replay, so one address holds at most max_connections_per_user (8) at
    once; the ninth is told to back off (4029), and a freed one can be opened again."""
    url = server.ws_url(ended_room).replace("/ws", "/replay/ws")
    held = [await connect(url + "?speed=0.1") for _ in range(8)]
    for ws in held:
        assert orjson.loads(await ws.recv())[0]["type"] == "replay.start"
    async with connect(url) as ninth:
        with pytest.raises(ConnectionClosed):
            await ninth.recv()
    assert ninth.close_code == 4029
    await held.pop().close()
    async with connect(url + "?speed=64") as again:
        assert orjson.loads(await again.recv())[0]["type"] == "replay.start"
    for ws in held:
        await ws.close()
    for query in ("from_ms=" + "9" * 30, "from_ms=-1", "speed=nan", "speed=0", "speed=inf", "from_ms=abc"):
        started = time.monotonic()
        async with connect(f"{url}?{query}") as bad:
            with pytest.raises(ConnectionClosed):
                await bad.recv()
        assert bad.close_code == 1008, query
        assert time.monotonic() - started < 5, "the close completes at once (it waited out a 10 s timeout)"
    assert "Traceback" not in server.log_path.read_text()


async def test_max_errors_closes_after_exactly_that_many_error_replies(server: LiveServer, api: Api) -> None:
    await api.live_room("errs")
    c = await Client.join(server.ws_url("errs"), token("ana", "errs"))
    for i in range(5):
        await c.send_raw(c.encode({"type": "teleport", "id": f"e{i}"}))
    assert await c.wait_closed() == 4029
    assert [m["id"] for m in c.messages if m.get("ok") is False] == ["e0", "e1", "e2"]  # LIVE_MAX_ERRORS=3


async def test_tokens_never_reach_the_logs(server: LiveServer, api: Api) -> None:
    await api.create_room("logs")
    secret_token = token("ana", "logs")
    c = await Client.open(f"{server.ws_url('logs')}?token={secret_token}")
    await c.close()
    await api.http.get(f"/v1/rooms/logs?token={secret_token}")
    text = server.log_path.read_text()
    assert "ready" in text, "this is the server's log"
    assert secret_token.split(".")[2] not in text and "WebSocket /v1/rooms/logs" not in text


def test_the_log_filter_drops_socket_lines_and_redacts_tokens() -> None:
    safe = _SafeLines()
    opened = logging.LogRecord("uvicorn.error", logging.INFO, "", 0, '%s - "WebSocket %s" [accepted]', ("127.0.0.1:5", "/v1/rooms/r/ws?token=abc.def.ghi"), None)
    assert safe.filter(opened) is False
    other = logging.LogRecord("uvicorn.error", logging.WARNING, "", 0, "bad request %s", ("/x?a=1&token=abc.def.ghi&b=2",), None)
    assert safe.filter(other) is True and other.getMessage() == "bad request /x?a=1&token=[redacted]&b=2"


async def test_absurd_numbers_from_staff_are_refused_and_the_room_carries_on(server: LiveServer, api: Api) -> None:
    assert (await api.http.put("/v1/catalog/acme/products", json=[{"id": "tee", "sku": "T", "title": "Tee", "price": 1, "currency": "IDR"}], headers=BRAND)).status_code == 200
    assert (await api.http.post("/v1/rooms", json={"id": "nums", "title": "Numbers", "host_id": "host1"}, headers=BRAND)).status_code == 201
    assert (await api.http.post("/v1/rooms/nums/live", headers=BRAND)).status_code == 200
    host = await Client.join(server.ws_url("nums"), token("host1", "nums", "host"))
    for fields in ({"starts_in_seconds": 10**17}, {"starts_in_seconds": 2**53 - 1}, {"early_access_seconds": 2**53 - 1}):
        reply = await host.request("offer.create", product_id="tee", units=1, **fields)
        assert not reply["ok"] and reply["error"]["code"] in ("bad_request", "invalid"), reply
    assert (await host.request("chat.post", text="still here"))["ok"]
    await host.close()
    assert "Traceback" not in server.log_path.read_text()
