"""Automatic moderation end to end: a brand sets its policy over HTTP, viewers post, and
the room's log — what re-folds, audits and the fold's reaction read — carries the
server's verdict on every post, never one a client sent.

The fold's reaction to a verdict (held for review, blocked with a reason) is the review
queue's; here we read the verdicts where an auditor would, in the persisted log.
"""

from typing import Any

from live.store import Store
from tests.harness import Api, Client, LiveServer, bearer, eventually, token

BRAND = bearer(token("acme-staff", "*", "brand", brand="acme"))


async def _verdicts(server: LiveServer, room_id: str) -> dict[str, dict[str, Any]]:
    """Each persisted post's verdict, by its text."""
    store = Store(server.env["LIVE_DATABASE_URL"])
    try:
        entries = await store.load_entries(room_id)
    finally:
        await store.close()
    return {e["command"]["text"]: e["command"].get("verdict", {}) for e in entries if e["command"]["type"] == "chat.post"}


async def test_a_brand_reads_and_sets_its_policy_and_no_one_else_can(api: Api) -> None:
    got = await api.http.get("/v1/brands/acme/automod", headers=BRAND)
    assert got.status_code == 200 and got.json()["custom"] is False
    assert got.json()["policy"]["actions"]["link"] == "hold" and got.json()["policy"]["toxicity_threshold"] == 0.9

    body = {"blocked_words": ["batik palsu"], "allowed_words": ["anjing"], "allowed_domains": ["ACME.example"], "actions": {"link": "block"}}
    put = await api.http.put("/v1/brands/acme/automod", json=body, headers=BRAND)
    assert put.status_code == 200, put.text
    policy = (await api.http.get("/v1/brands/acme/automod", headers=BRAND)).json()
    assert policy["custom"] is True
    assert policy["policy"]["allowed_domains"] == ["acme.example"] and policy["policy"]["actions"]["link"] == "block"
    assert policy["policy"]["actions"]["scam"] == "hold", "fields left out keep their defaults"

    other = bearer(token("rival-staff", "*", "brand", brand="rival"))
    assert (await api.http.get("/v1/brands/acme/automod", headers=other)).status_code == 403
    assert (await api.http.put("/v1/brands/acme/automod", json={}, headers=bearer(token("ana", "*")))).status_code == 403
    assert (await api.http.get("/v1/brands/acme/automod")).status_code == 401
    bad = await api.http.put("/v1/brands/acme/automod", json={"toxicity_threshold": 2, "actions": {"link": "maybe"}}, headers=BRAND)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    assert (await api.http.put("/v1/brands/acme/automod", json={"colour": "red"}, headers=BRAND)).status_code == 422
    for wrong in ({"emoji_max": True}, {"enabled": 1}, {"repeat_max": "3"}, {"caps_ratio": False}):  # what the schema's types say, not lookalikes
        assert (await api.http.put("/v1/brands/acme/automod", json=wrong, headers=BRAND)).status_code == 422, wrong
    assert (await api.http.put("/v1/brands/acme/automod", json={}, headers=BRAND)).json()["custom"] is True  # back to the defaults


async def test_every_post_carries_the_servers_verdict(server: LiveServer, api: Api, room_id: str) -> None:
    brand = bearer(token("acme-staff", "*", "brand", brand="acme"))
    assert (await api.http.put("/v1/brands/acme/automod", json={"held_words": ["kw super"], "allowed_domains": ["acme.example"]}, headers=brand)).status_code == 200
    assert (await api.http.post("/v1/rooms", json={"id": room_id, "title": "Batik", "host_id": "host1"}, headers=brand)).status_code == 201
    assert (await api.http.post(f"/v1/rooms/{room_id}/live", headers=brand)).status_code == 200
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana = await Client.join(url, token("ana", room_id, brand="acme"))
    spam = "CHEAP BATIK at www.fake-deals.example click now!!!"
    posts = {
        "berapa harganya kak?": ("allow", []),
        spam: ("hold", ["link", "new_user_link", "scam"]),
        "kamu b.o.d.o.h": ("hold", ["word_list"]),
        "dasar 4nj1ng": ("block", ["word_list"]),
        "ada KW SUPER gak": ("hold", ["word_list"]),
        "the sale is at shop.acme.example/batik": ("allow", []),
        "wa aku 0812-3456-7890": ("hold", ["phone", "scam"]),
    }
    for text in posts:
        await ana.request("chat.post", text=text)
    smuggled = await ana.request("chat.post", text="see fake-deals dot com", verdict={"outcome": "allow", "reasons": [], "score": 0})
    for _ in range(3):
        await ana.request("chat.post", text="size L ready?")
    await host.request("chat.post", text="our shop: www.fake-deals.example")

    assert (await api.http.post(f"/v1/rooms/{room_id}/end", headers=brand)).status_code == 200  # persisted before the answer
    verdicts = await eventually(lambda: _verdicts(server, room_id), lambda v: "our shop: www.fake-deals.example" in v)
    for text, (outcome, reasons) in posts.items():
        assert (verdicts[text]["outcome"], sorted(verdicts[text]["reasons"])) == (outcome, reasons), text
    assert verdicts[spam]["score"] == 0.0, "the model did not run where the lists had decided"
    assert verdicts["berapa harganya kak?"]["score"] > 0, "the model's score is kept for audits"
    assert verdicts["see fake-deals dot com"]["outcome"] == "hold", f"a client cannot set its own verdict ({smuggled})"
    assert verdicts["size L ready?"] == {"outcome": "block", "reasons": ["spam_repeat"], "score": verdicts["size L ready?"]["score"]}, "the third copy"
    assert verdicts["our shop: www.fake-deals.example"]["outcome"] == "allow", "staff may post links"
    metrics = (await api.http.get("/metrics")).text
    counted = {o: float(line.split()[-1]) for line in metrics.splitlines() for o in ("allow", "hold", "block") if line.startswith(f'live_automod_verdicts_total{{outcome="{o}"}}')}
    assert counted["hold"] >= 5 and counted["block"] >= 2 and counted["allow"] >= 3, counted
