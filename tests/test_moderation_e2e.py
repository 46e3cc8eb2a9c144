"""The host's moderator team end to end: appointed from the room, powers on the next
command with the same token, a staff view of who moderates and who is banned, and a
moderation log the brand can read."""

from tests.harness import Api, Client, LiveServer, bearer, eventually, token


async def test_the_host_appoints_a_moderator_who_acts_at_once(server: LiveServer, api: Api, room_id: str) -> None:
    brand = bearer(token("acme", "*", "brand"))
    assert (await api.http.post("/v1/rooms", json={"id": room_id, "title": "Team", "host_id": "host1"}, headers=brand)).status_code == 201
    assert (await api.http.post(f"/v1/rooms/{room_id}/live", headers=brand)).status_code == 200
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana = await Client.join(url, token("ana", room_id))  # a viewer's token, and it stays one
    ben = await Client.join(url, token("ben", room_id))
    assert (await ben.request("chat.post", text="spam spam"))["ok"]

    assert (await ana.request("mod.ban", user_id="ben"))["error"]["code"] == "forbidden"
    assert (await host.request("mod.appoint", user_id="ana"))["ok"]
    await ana.wait_for(lambda: ana.events("mod.appointed"))
    assert (await ana.request("mod.ban", user_id="ben", reason="x" * 201))["error"]["code"] == "too_long"
    assert (await ana.request("mod.ban", user_id="ben", reason="spam links"))["ok"], "powers on the next command, no new token"
    assert (await ben.request("chat.post", text="again"))["error"]["code"] == "banned"

    staff = await Client.join(url, token("host1", room_id, "host"))
    assert staff.welcome["moderation"] == {"moderators": ["ana"], "brand_moderators": [], "banned": ["ben"], "timed_out": {}, "shadow_muted": [], "report_threshold": 3, "queue": []}  # type: ignore[index]
    assert "moderation" not in ben.welcome  # type: ignore[operator]
    again = await Client.join(url, token("ana", room_id))
    assert "moderation" in again.welcome, "an appointed moderator joins with the staff view"  # type: ignore[operator]

    assert (await host.request("mod.dismiss", user_id="ana"))["ok"]
    assert (await ana.request("mod.unban", user_id="ben"))["error"]["code"] == "forbidden"
    assert (await host.request("mod.unban", user_id="ben"))["ok"]

    log = await eventually(lambda: api.http.get(f"/v1/rooms/{room_id}/moderation", headers=brand), lambda r: len(r.json().get("actions", [])) >= 4)
    actions = [(a["action"], a["user"]["name"], a["user"]["role"]) for a in log.json()["actions"]]
    assert actions == [("mod.appoint", "Host1", "host"), ("mod.ban", "Ana", "moderator"), ("mod.dismiss", "Host1", "host"), ("mod.unban", "Host1", "host")]
    body = log.json()
    assert body["actions"][1]["reason"] == "spam links"
    assert body["now"]["moderators"] == [] and body["now"]["banned"] == []
    assert all(a["user"]["id"].startswith("u_") for a in body["actions"]), "the brand sees pseudonyms unless it asks with pii"
    assert (await api.http.get(f"/v1/rooms/{room_id}/moderation", headers=bearer(token("other", "*", "brand")))).status_code == 403
    for c in (host, ana, ben, staff, again):
        await c.close()
