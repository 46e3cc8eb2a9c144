"""Rooms over HTTP: create, schedule, go live, end, get, list, with clear JSON errors."""

from tests.harness import Api, LiveServer, bearer, token


async def test_room_lifecycle(api: Api, room_id: str) -> None:
    r = await api.http.post(
        "/v1/rooms",
        json={"id": room_id, "title": "Spring drop", "brand_id": "acme", "host_id": "hana", "starts_at": "2026-12-01T12:00:00Z"},
        headers=bearer(token("acme-backend", "*", "brand", brand="acme")),
    )
    assert r.status_code == 201, r.text
    room = r.json()
    assert room["status"] == "scheduled" and room["host_id"] == "hana" and room["starts_at"] == 1796126400000

    listed = (await api.http.get("/v1/rooms", params={"status": "scheduled", "brand_id": "acme"})).json()["rooms"]
    assert [x["id"] for x in listed] == [room_id]

    live = await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("hana", room_id, "host")))
    assert live.status_code == 200 and live.json()["status"] == "live"
    again = await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("hana", room_id, "host")))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert (await api.http.get(f"/v1/rooms/{room_id}")).json()["status"] == "live"

    ended = await api.end_room(room_id, host="hana")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    end_again = await api.end_room(room_id, host="hana")
    assert end_again.status_code == 409 and end_again.json()["error"]["code"] == "room_ended"
    assert [x["id"] for x in (await api.http.get("/v1/rooms", params={"status": "ended", "brand_id": "acme"})).json()["rooms"]] == [room_id]


async def test_bad_requests_get_clear_errors(api: Api, room_id: str) -> None:
    host = bearer(token("host1", "*", "host"))
    no_auth = await api.http.post("/v1/rooms", json={"id": room_id, "title": "x"})
    assert no_auth.status_code == 401 and no_auth.json()["error"]["code"] == "unauthorized"
    viewer = await api.http.post("/v1/rooms", json={"id": room_id, "title": "x"}, headers=bearer(token("v", "*", "viewer")))
    assert viewer.status_code == 403 and viewer.json()["error"]["code"] == "forbidden"
    bad = await api.http.post("/v1/rooms", json={"id": "no spaces!", "title": ""}, headers=host)
    assert bad.status_code == 422 and {d["loc"][0] for d in bad.json()["error"]["details"]} == {"id", "title"}
    extra = await api.http.post("/v1/rooms", json={"title": "x", "colour": "red"}, headers=host)
    assert extra.status_code == 422
    assert (await api.http.post("/v1/rooms", content=b"{nope", headers=host)).status_code == 422
    assert (await api.create_room(room_id)).status_code == 201
    dup = await api.create_room(room_id)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "conflict"

    other_room = await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", "elsewhere", "host")))
    assert other_room.status_code == 403
    viewer_live = await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("v", room_id, "viewer")))
    assert viewer_live.status_code == 403
    missing = await api.http.post("/v1/rooms/nope-not-here/live", headers=bearer(token("host1", "nope-not-here", "host")))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert (await api.http.get("/v1/rooms/nope-not-here")).status_code == 404
    assert (await api.http.get("/v1/rooms/nope-not-here/transcript")).status_code == 404
    assert (await api.http.get("/v1/rooms", params={"limit": "0"})).status_code == 422
    assert (await api.http.get("/v1/rooms", params={"status": "bogus"})).status_code == 422
    expired = await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", room_id, "host", ttl=-60)))
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]


async def test_health_and_metrics(server: LiveServer, api: Api) -> None:
    health = (await api.http.get("/healthz")).json()
    assert health["ok"] is True and health["log"] == ("redis" if "LIVE_REDIS_URL" in server.env else "memory")
    metrics = (await api.http.get("/metrics/")).text
    assert "live_connections" in metrics and "live_commands_total" in metrics
