"""The review queue, reports and shadow-mutes end to end: a real server on Redis, real
WebSocket clients. Automatic moderation's verdict is put into the ``chat.post`` by the
edge; here the test is that edge, appending the scored post to the room's Redis log as
the gateway would, so what the fold and fan-out do with it is what is tested."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest

from live.backends import redis_backends
from rooms import commands as c
from rooms.moderation import MAX_BRAND_MODERATORS
from rooms.roles import Role
from rooms.types import RoomId, UserId
from rooms.verdicts import Outcome, Verdict
from tests.harness import ROOT, SECRET, Api, Client, Cluster, LiveServer, RedisServer, bearer, eventually, token

BRAND = bearer(token("acme-staff", "*", "brand", brand="acme"))
# A brand token that may see real user ids (the claim the platform grants for that).
PII = bearer(jwt.encode(jwt.decode(token("acme-staff", "*", "brand", brand="acme"), options={"verify_signature": False}) | {"pii": True}, SECRET, algorithm="HS256"))
LINK = Verdict(outcome=Outcome.HOLD, reasons=("link",), score=0.05)


@pytest.fixture(scope="module")
def live(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("review"), LIVE_REDIS_URL=redis_server.url).start()
    yield srv
    srv.stop()


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[Api]:
    client = Api(live)
    yield client
    await client.http.aclose()


async def _room(api: Api, room_id: str, **body: object) -> None:
    assert (await api.http.post("/v1/rooms", json={"id": room_id, "title": "Batik", "host_id": "host1", **body}, headers=BRAND)).status_code == 201
    assert (await api.http.post(f"/v1/rooms/{room_id}/live", headers=BRAND)).status_code == 200


class Edge:
    """Appends a post with automatic moderation's verdict, as the gateway does after scoring it."""

    def __init__(self, redis_url: str) -> None:
        self.backends = redis_backends(redis_url, "test-edge")

    async def post(self, room: str, epoch: str, user: str, text: str, verdict: Verdict) -> int:
        actor = c.Actor(user_id=UserId(user), name=user.title(), role=Role.VIEWER)
        return int(await self.backends.log.append(RoomId(room), epoch, actor, c.ChatPost(text=text, verdict=verdict)))


async def test_a_held_message_reaches_only_staff_and_appears_for_everyone_once_approved(live: LiveServer, api: Api, redis_server: RedisServer, room_id: str) -> None:
    await _room(api, room_id)
    url = live.ws_url(room_id)
    host, ana, ben = await Client.join(url, token("host1", room_id, "host")), await Client.join(url, token("ana", room_id)), await Client.join(url, token("ben", room_id))
    epoch = host.welcome["epoch"]  # type: ignore[index]
    edge = Edge(redis_server.url)
    try:
        first = await edge.post(room_id, epoch, "ana", "CHEAP BATIK at www.fake-deals.example", LINK)
        held = await host.wait_for(lambda: host.events("chat.held"))
        assert held[0]["message"]["text"] == "CHEAP BATIK at www.fake-deals.example" and held[0]["reasons"] == ["link"] and held[0]["message"]["user"]["id"] == "ana"
        mine = await ana.wait_for(lambda: ana.events("chat.held"))
        assert mine[0]["message"]["id"] == first and mine[0]["reasons"] == ["link"], "the author is told, privately, why"
        assert (await ben.request("chat.post", text="hello all"))["ok"]
        second = await edge.post(room_id, epoch, "ana", "see www.other.example", LINK)
        await host.wait_for(lambda: len(host.events("chat.held")) == 2)
        queue = (await Client.join(url, token("host1", room_id, "host"))).welcome["moderation"]["queue"]  # type: ignore[index]
        assert [item["message"]["id"] for item in queue] == [first, second], "the queue is in the staff welcome"
        assert (await ben.request("mod.approve", message_id=first))["error"]["code"] == "forbidden"
        assert (await host.request("mod.approve", message_id=second))["ok"]
        assert (await host.request("mod.approve", message_id=first))["ok"]
        for viewer in (ana, ben, host):
            await viewer.wait_for(lambda v=viewer: len(v.events("chat.message")) == 3)  # type: ignore[misc]
            assert viewer.chat_texts() == ["hello all", "see www.other.example", "CHEAP BATIK at www.fake-deals.example"], "in order of approval"
        assert [m["message"]["user"]["id"] for m in ben.events("chat.message")][1:] == ["ana", "ana"], "with the original author"
        assert ben.events("chat.held") == [], "a viewer never saw the held message"
        assert ana.events("chat.held")[0]["seq"] < ana.events("chat.message")[1]["seq"]
        late = await Client.join(url, token("cy", room_id))
        assert [m["text"] for m in late.welcome["room"]["messages"]] == ["hello all", "see www.other.example", "CHEAP BATIK at www.fake-deals.example"]  # type: ignore[index]
        await late.close()
    finally:
        await edge.backends.close()
    for client in (host, ana, ben):
        await client.close()


async def test_a_viewer_appointed_mid_show_gets_the_held_messages_at_once_and_stops_when_dismissed(
    live: LiveServer, api: Api, redis_server: RedisServer, room_id: str
) -> None:
    """No reconnect: from the appointment the new moderator's connection gets what staff get
    (the review queue as it stands, then held messages as they come); from the dismissal it does not."""
    await _room(api, room_id)
    url = live.ws_url(room_id)
    host, mia = await Client.join(url, token("host1", room_id, "host")), await Client.join(url, token("mia", room_id))
    epoch = host.welcome["epoch"]  # type: ignore[index]
    edge = Edge(redis_server.url)
    try:
        waiting = await edge.post(room_id, epoch, "ana", "cheap at www.before.example", LINK)
        await host.wait_for(lambda: host.events("chat.held"))
        assert (await host.request("mod.appoint", user_id="mia"))["ok"]
        await mia.wait_for(lambda: mia.events("mod.appointed"))
        briefed = await mia.wait_for(lambda: [m for m in mia.messages if m["type"] == "staff"])
        assert [q["message"]["id"] for q in briefed[0]["moderation"]["queue"]] == [waiting], "held before her appointment: in her queue at once"
        assert [m["type"] for m in mia.messages].index("mod.appointed") < [m["type"] for m in mia.messages].index("staff")
        assert not mia.events("chat.held"), "a viewer was never sent held messages"
        assert (await mia.request("mod.approve", message_id=waiting))["ok"]
        held = await edge.post(room_id, epoch, "ana", "deals at www.fake.example", LINK)
        got = await mia.wait_for(lambda: mia.events("chat.held"))
        assert got[0]["message"]["id"] == held, "the held message reached the new moderator's open connection"
        assert (await mia.request("mod.reject", message_id=held, reason="spam"))["ok"]
        assert (await host.request("mod.dismiss", user_id="mia"))["ok"]
        await mia.wait_for(lambda: mia.events("mod.dismissed"))
        await edge.post(room_id, epoch, "ana", "more deals at www.fake.example", LINK)
        await host.wait_for(lambda: len(host.events("chat.held")) == 3)
        assert (await host.request("chat.post", text="after that"))["ok"]
        await mia.wait_for(lambda: "after that" in mia.chat_texts())  # what came before it reached her, in order
        assert len(mia.events("chat.held")) == 1, "dismissed: no more held messages"
    finally:
        await edge.backends.close()
    for client in (host, mia):
        await client.close()


async def test_a_rejected_or_blocked_message_tells_its_author_why(live: LiveServer, api: Api, redis_server: RedisServer, room_id: str) -> None:
    await _room(api, room_id)
    url = live.ws_url(room_id)
    host, ana, ben = await Client.join(url, token("host1", room_id, "host")), await Client.join(url, token("ana", room_id)), await Client.join(url, token("ben", room_id))
    epoch = host.welcome["epoch"]  # type: ignore[index]
    edge = Edge(redis_server.url)
    try:
        held = await edge.post(room_id, epoch, "ana", "DM me for cheap deals", Verdict(outcome=Outcome.HOLD, reasons=("dm_scam",)))
        await host.wait_for(lambda: host.events("chat.held"))
        assert (await host.request("mod.reject", message_id=held, reason="scam"))["ok"]
        rejected = await ana.wait_for(lambda: ana.events("chat.rejected"))
        assert rejected == [{"type": "chat.rejected", "seq": rejected[0]["seq"], "ts": rejected[0]["ts"], "user_id": "ana", "message_id": held, "reason": "scam"}]
        await edge.post(room_id, epoch, "ana", "you are b o d o h", Verdict(outcome=Outcome.BLOCK, reasons=("word_list",), score=0.97))
        blocked = await ana.wait_for(lambda: ana.events("chat.blocked"))
        assert blocked[0]["reasons"] == ["word_list"] and blocked[0]["text"] == "you are b o d o h", "never silently dropped"
        assert (await host.wait_for(lambda: host.events("chat.blocked")))[0]["user"]["id"] == "ana"
        assert (await ben.request("chat.post", text="after"))["ok"]
        await ben.wait_for(lambda: ben.chat_texts() == ["after"])
        assert not [m for m in ben.messages if m["type"] in ("chat.held", "chat.rejected", "chat.blocked")], "nothing of it reached another viewer"
        export = (await eventually(lambda: api.http.get("/v1/users/ana/data", headers=BRAND), lambda r: any("blocked" in m for p in r.json()["rooms"] for m in p["messages"]))).json()
        part = next(p for p in export["rooms"] if p["room"]["id"] == room_id)
        assert [(m["text"], m.get("held"), m.get("blocked")) for m in part["messages"]] == [("DM me for cheap deals", ["dm_scam"], None), ("you are b o d o h", None, ["word_list"])]
        assert [(x["action"], x["reason"]) for x in part["moderation"]] == [("mod.reject", "scam")], "a person's export shows what the room did with their messages"
        sent = await ana.request("chat.post", text="hi", verdict={"outcome": "block", "reasons": ["x"]})
        assert sent["ok"] and "held" not in sent["result"], "a client's own verdict is ignored"
        await eventually(lambda: api.transcript(room_id), lambda rows: [r["message"]["text"] for r in rows if r["type"] == "chat.message"] == ["after", "hi"])
        env = {**os.environ, "LIVE_DATABASE_URL": live.env["LIVE_DATABASE_URL"]}
        audit = subprocess.run([sys.executable, "-m", "live.cli", "audit", room_id], cwd=ROOT, env=env, capture_output=True, text=True)
        assert audit.returncode == 0 and "no difference" in audit.stdout, "the persisted log re-folds to what was persisted: " + audit.stdout + audit.stderr
    finally:
        await edge.backends.close()
    for client in (host, ana, ben):
        await client.close()


async def test_a_brand_moderator_acts_on_their_next_command_and_the_log_shows_each_step(live: LiveServer, api: Api, redis_server: RedisServer, room_id: str) -> None:
    await _room(api, room_id, brand_id="acme")
    url = live.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host", brand="acme"))
    mia, spammer = await Client.join(url, token("mia", room_id)), await Client.join(url, token("spammer", room_id))
    spam = (await spammer.request("chat.post", text="buy followers"))["result"]["message_id"]
    assert (await mia.request("mod.ban", user_id="spammer"))["error"]["code"] == "forbidden"
    assert (await mia.request("chat.delete", message_id=spam))["error"]["code"] == "forbidden"
    other = bearer(token("evil-staff", "*", "brand", brand="evil"))
    assert (await api.http.put("/v1/brands/acme/moderators/mia", headers=other)).status_code == 403
    appointed = (await api.http.put("/v1/brands/acme/moderators/mia", headers=BRAND)).json()
    assert appointed["changed"] is True and room_id in appointed["rooms"], appointed  # and the brand's other open rooms
    assert [m["user_id"] for m in (await api.http.get("/v1/brands/acme/moderators", headers=BRAND)).json()["moderators"]] == ["mia"]
    await mia.wait_for(lambda: [m for m in mia.messages if m["type"] == "staff"])  # her open connection is staff's now: no reload
    assert mia.events("mod.appointed")[0]["by"] == "acme-staff"
    assert (await mia.request("chat.delete", message_id=spam, reason="spam"))["ok"], "the next command, same connection, same token"
    assert (await mia.request("mod.ban", user_id="spammer", reason="spam"))["ok"]
    assert (await spammer.request("chat.post", text="again"))["error"]["code"] == "banned"
    assert (await mia.request("mod.unban", user_id="spammer"))["ok"]
    edge = Edge(redis_server.url)
    try:
        held = await edge.post(room_id, host.welcome["epoch"], "spammer", "www.spam.example", LINK)  # type: ignore[index]
        await mia.wait_for(lambda: mia.events("chat.held"))  # held messages reach her open connection
    finally:
        await edge.backends.close()
    assert (await mia.request("mod.reject", message_id=held, reason="link spam"))["ok"]
    dismissed = (await api.http.delete("/v1/brands/acme/moderators/mia", headers=BRAND)).json()
    assert room_id in dismissed["rooms"], dismissed
    await mia.wait_for(lambda: mia.events("mod.dismissed"))
    assert (await mia.request("mod.ban", user_id="spammer"))["error"]["code"] == "forbidden", "powers end with the next command"
    assert (await api.http.delete("/v1/brands/acme/moderators/mia", headers=BRAND)).status_code == 404

    want = ["brand.appoint", "mod.appoint", "chat.delete", "mod.ban", "mod.unban", "auto.hold", "mod.reject", "brand.dismiss", "mod.dismiss"]
    def here(log: httpx.Response) -> list[dict[str, Any]]:  # the brand's own actions and this room's (its other open rooms got the appointment too)
        return [a for a in log.json()["actions"] if a["room_id"] in (None, room_id)][-9:]

    log = await eventually(lambda: api.http.get("/v1/brands/acme/moderation-log", params={"identify": "1"}, headers=PII), lambda r: [a["action"] for a in here(r)] == want)
    actions = here(log)
    assert [(a["user"]["id"], a["user"]["role"]) for a in actions] == [
        ("acme-staff", "brand"),
        ("acme-staff", "brand"),
        ("mia", "moderator"),
        ("mia", "moderator"),
        ("mia", "moderator"),
        ("automod", "system"),
        ("mia", "moderator"),
        ("acme-staff", "brand"),
        ("acme-staff", "brand"),
    ]
    assert actions[3]["reason"] == "spam" and actions[3]["user_id"] == "spammer" and actions[3]["room_id"] == room_id
    assert actions[5]["reason"] == "link" and actions[5]["user_id"] == "spammer" and actions[6]["user_id"] == "spammer" and actions[6]["reason"] == "link spam"
    assert all(isinstance(a["ts"], int) for a in actions)
    csv = await api.http.get("/v1/brands/acme/moderation-log", params={"format": "csv"}, headers=BRAND)
    lines = csv.text.splitlines()
    assert csv.headers["content-type"].startswith("text/csv") and lines[0].startswith("room_id,seq,ts,action,automatic,by_id")
    assert [row[3] for row in (line.split(",") for line in lines[1:]) if row[0] in ("", room_id)][-9:] == want and "spammer" not in csv.text, "pseudonyms unless asked with pii"
    assert (await api.http.get("/v1/brands/acme/moderation-log", headers=other)).status_code == 403
    room_log = (await api.http.get(f"/v1/rooms/{room_id}/moderation", headers=BRAND)).json()
    assert [a["action"] for a in room_log["actions"]] == ["mod.appoint", "chat.delete", "mod.ban", "mod.unban", "auto.hold", "mod.reject", "mod.dismiss"]
    theirs = (await api.http.get("/v1/users/mia/data", headers=BRAND)).json()["community"]["acme"]
    assert [a["action"] for a in theirs["actions"] if a["about_you"]][-2:] == ["brand.appoint", "brand.dismiss"], "a person's export has the brand's actions about them"
    for client in (host, mia, spammer):
        await client.close()


async def test_a_room_opened_after_a_brand_appointment_has_the_moderator_until_the_brand_dismisses_them(live: LiveServer, api: Api, redis_server: RedisServer, room_id: str) -> None:
    assert (await api.http.put("/v1/brands/acme/moderators/zoe", headers=BRAND)).status_code == 200
    try:
        await _room(api, room_id, brand_id="acme")  # opened after: it starts with the brand's team
        url = live.ws_url(room_id)
        host, zoe = await Client.join(url, token("host1", room_id, "host", brand="acme")), await Client.join(url, token("zoe", room_id))
        assert zoe.welcome["moderation"] is not None, zoe.welcome  # type: ignore[index]
        refused = await host.request("mod.dismiss", user_id="zoe")
        assert refused["error"]["code"] == "forbidden", "the host cannot undo the brand's appointment"
        edge = Edge(redis_server.url)
        try:
            epoch = host.welcome["epoch"]  # type: ignore[index]
            await edge.post(room_id, epoch, "spammer", "www.spam.example", LINK)
            await zoe.wait_for(lambda: zoe.events("chat.held"))
            dismissed = (await api.http.delete("/v1/brands/acme/moderators/zoe", headers=BRAND)).json()
            assert room_id in dismissed["rooms"], dismissed
            await zoe.wait_for(lambda: zoe.events("mod.dismissed"))
            await edge.post(room_id, epoch, "spammer", "www.more-spam.example", LINK)
        finally:
            await edge.backends.close()
        await host.wait_for(lambda: len(host.events("chat.held")) == 2)
        assert (await host.request("chat.post", text="still with us?"))["ok"]
        await zoe.wait_for(lambda: [m for m in zoe.events("chat.message") if m["message"]["text"] == "still with us?"])
        assert len(zoe.events("chat.held")) == 1, "her open connection is a viewer's again: no held messages after the dismissal"
        assert (await zoe.request("mod.ban", user_id="spammer"))["error"]["code"] == "forbidden"
        again = await Client.join(url, token("zoe", room_id))  # at once, from her other phone
        assert again.welcome.get("moderation") is None, "this node asks SQL again after a change to the team"  # type: ignore[union-attr]
        for client in (host, zoe, again):
            await client.close()
    finally:
        await api.http.delete("/v1/brands/acme/moderators/zoe", headers=BRAND)


async def test_a_brands_team_has_a_size_every_room_can_hold(api: Api) -> None:
    tiny = bearer(token("tiny-staff", "*", "brand", brand="tiny"))
    for n in range(MAX_BRAND_MODERATORS):
        assert (await api.http.put(f"/v1/brands/tiny/moderators/m{n}", headers=tiny)).status_code == 200
    over = await api.http.put("/v1/brands/tiny/moderators/one-more", headers=tiny)
    assert over.status_code == 422 and over.json()["error"]["code"] == "limit_reached", over.text
    assert (await api.http.put("/v1/brands/tiny/moderators/m0", headers=tiny)).status_code == 200, "appointing a member again is no new place"


async def test_an_authors_notices_reach_them_on_every_node_and_device(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory, room_id: str) -> None:
    cluster = Cluster(tmp_path_factory.mktemp("review-cluster"), redis_server, 2).start()
    api = Api(cluster.nodes[0])
    edge = Edge(redis_server.url)
    try:
        await _room(api, room_id)
        near, far = (node.ws_url(room_id) for node in cluster.nodes)
        host, ben = await Client.join(near, token("host1", room_id, "host")), await Client.join(near, token("ben", room_id))
        phone, laptop = await Client.join(far, token("ana", room_id)), await Client.join(far, token("ana", room_id))
        held = await edge.post(room_id, host.welcome["epoch"], "ana", "www.deal.example", LINK)  # type: ignore[index]
        for device in (phone, laptop):
            assert (await device.wait_for(lambda d=device: d.events("chat.held")))[0]["message"]["id"] == held  # type: ignore[misc]
        await host.wait_for(lambda: host.events("chat.held"))
        assert (await host.request("mod.shadow_mute", user_id="ana"))["ok"]
        assert (await phone.request("chat.post", text="only I see this"))["ok"]
        for device in (phone, laptop):
            await device.wait_for(lambda d=device: d.chat_texts() == ["only I see this"])  # type: ignore[misc]
        assert (await host.request("mod.shadow_unmute", user_id="ana"))["ok"]
        assert (await host.request("mod.approve", message_id=held))["ok"]
        for viewer in (ben, phone, laptop):
            await viewer.wait_for(lambda v=viewer: "www.deal.example" in v.chat_texts())  # type: ignore[misc]
        assert ben.chat_texts() == ["www.deal.example"] and ben.events("chat.held") == [], "the other node's viewer saw neither the held nor the muted message"
        for client in (host, ben, phone, laptop):
            await client.close()
    finally:
        await edge.backends.close()
        await api.http.aclose()
        cluster.stop()


async def test_through_the_gateway_a_spam_link_is_held_for_staff_and_an_insult_is_refused_with_why(live: LiveServer, api: Api, room_id: str) -> None:
    """The issue's own spam line, scored by the server's automatic moderation."""
    await _room(api, room_id)
    url = live.ws_url(room_id)
    host, ana, ben = await Client.join(url, token("host1", room_id, "host")), await Client.join(url, token("ana", room_id)), await Client.join(url, token("ben", room_id))
    spam = "CHEAP BATIK at www.fake-deals.example click now!!!"
    held = await ana.request("chat.post", text=spam)
    assert held["ok"] and held["result"]["held"] is True and "link" in held["result"]["reasons"]
    queued = await host.wait_for(lambda: host.events("chat.held"))
    assert queued[0]["message"]["text"] == spam and "link" in queued[0]["reasons"]
    assert (await ana.wait_for(lambda: ana.events("chat.held")))[0]["message"]["id"] == held["result"]["message_id"]
    refused = await ana.request("chat.post", text="dasar 4nj1ng")
    assert refused["error"]["code"] == "blocked" and refused["error"]["reasons"] == ["word_list"], "the author is told why"
    assert (await ben.request("chat.post", text="berapa harganya kak?"))["ok"]
    assert (await host.request("mod.approve", message_id=held["result"]["message_id"]))["ok"]
    for viewer in (host, ana, ben):
        await viewer.wait_for(lambda v=viewer: v.chat_texts() == ["berapa harganya kak?", spam])  # type: ignore[misc]
    assert not [m for m in ben.messages if m["type"] in ("chat.held", "chat.blocked")], "the viewer saw neither until approved"
    for client in (host, ana, ben):
        await client.close()
