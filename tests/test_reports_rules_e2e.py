"""Reports, shadow-mutes and community rules end to end: a real server, on each log
backend, real WebSocket clients."""

from tests.harness import Api, Client, LiveServer, bearer, eventually, token

BRAND = bearer(token("acme-staff", "*", "brand", brand="acme"))


async def _room(api: Api, room_id: str, **body: object) -> None:
    assert (await api.http.post("/v1/rooms", json={"id": room_id, "title": "Batik", "host_id": "host1", **body}, headers=BRAND)).status_code == 201
    assert (await api.http.post(f"/v1/rooms/{room_id}/live", headers=BRAND)).status_code == 200


async def test_reports_hide_a_message_until_staff_review_it(server: LiveServer, api: Api, room_id: str) -> None:
    await _room(api, room_id, report_threshold=2)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana, ben, cy = [await Client.join(url, token(u, room_id)) for u in ("ana", "ben", "cy")]
    rude = (await ana.request("chat.post", text="my cat is cute, off topic sorry"))["result"]["message_id"]
    assert (await ben.request("chat.report", message_id=rude, reason="insult"))["result"] == {"hidden": False}
    assert (await ben.request("chat.report", message_id=rude))["error"]["code"] == "conflict", "once per viewer"
    assert (await ana.request("chat.report", message_id=rude))["error"]["code"] == "invalid"
    assert (await cy.request("chat.report", message_id=rude))["result"] == {"hidden": True}
    for viewer in (ana, ben, cy, host):
        hidden = await viewer.wait_for(lambda v=viewer: v.events("chat.hidden"))  # type: ignore[misc]
        assert hidden[0]["message_id"] == rude and hidden[0]["reason"] == "reports"
    item = (await host.wait_for(lambda: [h for h in host.events("chat.held") if h["kind"] == "reported"]))[0]
    assert item["reports"] == 2 and item["message"]["text"] == "my cat is cute, off topic sorry"
    assert [r["reports"] for r in host.events("chat.reported")] == [1, 2] and ben.events("chat.reported") == []
    late = await Client.join(url, token("dee", room_id))
    assert late.welcome["room"]["messages"] == [], "hidden for whoever joins"  # type: ignore[index]
    assert (await host.request("mod.approve", message_id=rude))["ok"]
    restored = await late.wait_for(lambda: late.events("chat.restored"))
    assert restored[0]["message"]["id"] == rude
    again = (await ana.request("chat.post", text="still about my cat, sorry"))["result"]["message_id"]
    await ben.request("chat.report", message_id=again)
    await cy.request("chat.report", message_id=again)
    await host.wait_for(lambda: len([h for h in host.events("chat.held") if h["kind"] == "reported"]) == 2)
    assert (await host.request("mod.reject", message_id=again, reason="insults"))["ok"]
    deleted = await late.wait_for(lambda: late.events("chat.deleted"))
    assert deleted[0]["message_id"] == again
    assert (await ana.wait_for(lambda: ana.events("chat.rejected")))[0]["reason"] == "insults"

    def texts(rows: list[dict[str, object]]) -> list[object]:
        return [r["message"]["text"] for r in rows if r["type"] == "chat.message"]  # type: ignore[index]

    rows = await eventually(lambda: api.transcript(room_id), lambda rows: len(texts(rows)) == 2 and any(r["type"] == "chat.deleted" for r in rows))
    assert texts(rows) == ["my cat is cute, off topic sorry", None], "the rejected message is deleted from the transcript"
    for client in (host, ana, ben, cy, late):
        await client.close()


async def test_a_shadow_muted_author_sees_their_own_messages_and_nobody_else_does(server: LiveServer, api: Api, room_id: str) -> None:
    await _room(api, room_id)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana, ben = await Client.join(url, token("ana", room_id)), await Client.join(url, token("ben", room_id))
    assert (await host.request("mod.shadow_mute", user_id="ben", reason="flooding"))["ok"]
    sent = await ben.request("chat.post", text="follow me for free followers")
    assert sent["ok"] and set(sent["result"]) == {"message_id"}
    mine = await ben.wait_for(lambda: ben.events("chat.message"))
    assert mine[0]["message"]["text"] == "follow me for free followers", "shown to its author as sent"
    assert ben.events("mod.shadow_mute") == [] and not [m for m in ben.messages if m["type"] == "chat.shadowed"], "the author is not told"
    assert (await host.wait_for(lambda: host.events("chat.shadowed")))[0]["message"]["text"] == "follow me for free followers"
    assert (await ana.request("chat.post", text="anyone here?"))["ok"]
    await ana.wait_for(lambda: ana.chat_texts() == ["anyone here?"])
    assert "follow me for free followers" not in host.chat_texts()
    assert (await host.request("mod.shadow_unmute", user_id="ben"))["ok"]
    assert (await ben.request("chat.post", text="sorry"))["ok"]
    await ana.wait_for(lambda: ana.chat_texts() == ["anyone here?", "sorry"])
    for client in (host, ana, ben):
        await client.close()


async def test_brand_rules_in_the_welcome_accepted_once_per_brand(server: LiveServer, api: Api, room_id: str) -> None:
    rules = {"text": "Be kind. No links. Bahasa atau English.", "require_acceptance": True}
    assert (await api.http.put("/v1/brands/acme/rules", json=rules, headers=bearer(token("evil-staff", "*", "brand", brand="evil")))).status_code == 403
    await _room(api, room_id, brand_id="acme")
    assert (await api.http.put("/v1/brands/acme/rules", json=rules, headers=BRAND)).json()["rooms"][-1] == room_id, "sent to the brand's open rooms"
    assert (await api.http.get("/v1/brands/acme/rules")).json()["rules"] == rules
    url = server.ws_url(room_id)
    ana = await Client.join(url, token("ana", room_id))
    assert ana.welcome["room"]["rules"] == rules  # type: ignore[index]
    refused = await ana.request("chat.post", text="hello")
    assert refused["error"]["code"] == "rules_not_accepted"
    host = await Client.join(url, token("host1", room_id, "host", brand="acme"))
    assert (await host.request("chat.post", text="welcome!"))["ok"], "staff need not accept"
    assert (await ana.request("rules.accept"))["ok"]
    assert (await ana.request("chat.post", text="hello"))["ok"]
    second = room_id[:50] + "-2"
    await _room(api, second, brand_id="acme")
    again = await Client.join(server.ws_url(second), token("ana", second))
    assert again.welcome["room"]["rules"] == rules, "a new room of the brand starts with its rules"  # type: ignore[index]
    assert (await again.request("chat.post", text="hi again"))["ok"], "accepted once per brand"
    ben = await Client.join(server.ws_url(second), token("ben", second))
    assert (await ben.request("chat.post", text="hi"))["error"]["code"] == "rules_not_accepted"
    own = {"text": "This room: questions about sizes only.", "require_acceptance": False}
    assert (await api.http.put(f"/v1/rooms/{second}/rules", json=own, headers=bearer(token("ana", second)))).status_code == 403
    assert (await api.http.put(f"/v1/rooms/{second}/rules", json=own, headers=BRAND)).json()["rules"] == own
    changed = await ben.wait_for(lambda: ben.events("rules.changed"))
    assert changed[-1]["rules"] == own and (await ben.request("chat.post", text="hi"))["ok"]
    assert (await api.http.delete(f"/v1/rooms/{second}/rules", headers=BRAND)).json()["rules"] == rules, "back to the brand's"
    assert (await api.http.delete("/v1/brands/acme/rules", headers=BRAND)).status_code == 200
    await ben.wait_for(lambda: ben.events("rules.changed")[-1]["rules"] is None)
    ana_http = bearer(token("ana", "*"))
    mine = (await api.http.get("/v1/me/data", headers=ana_http)).json()
    assert mine["community"]["acme"]["rules_accepted_at"] is not None, "the export says when she accepted the brand's rules"
    assert (await api.http.delete("/v1/me/data", headers=ana_http)).status_code in (200, 202)
    assert "acme" not in (await api.http.get("/v1/me/data", headers=ana_http)).json()["community"], "and the erasure forgets it"
    for client in (ana, host, again, ben):
        await client.close()


async def test_new_words_in_the_rules_are_accepted_anew(server: LiveServer, api: Api, room_id: str) -> None:
    """A viewer who accepted the brand's rules is asked again once the brand changes their words,
    in the room she is in and in its next rooms; the same words saved again ask nothing."""
    rules = {"text": "Be kind. No links.", "require_acceptance": True}
    await _room(api, room_id, brand_id="acme")
    assert (await api.http.put("/v1/brands/acme/rules", json=rules, headers=BRAND)).status_code == 200
    url = server.ws_url(room_id)
    ana = await Client.join(url, token("ana", room_id))
    assert (await ana.request("rules.accept"))["ok"]
    assert (await ana.request("chat.post", text="hello"))["ok"]
    phone = await Client.join(url, token("ana", room_id))  # her other phone: the server vouches for her acceptance
    assert (await phone.request("chat.post", text="from my phone"))["ok"]
    assert (await api.http.put("/v1/brands/acme/rules", json=rules, headers=BRAND)).status_code == 200
    await ana.wait_for(lambda: len(ana.events("rules.changed")) == 1)
    assert (await ana.request("chat.post", text="same words, still fine"))["ok"]
    assert (await phone.request("chat.post", text="same words, phone"))["ok"]
    stricter = {"text": "Be kind. No links. No selling in chat.", "require_acceptance": True}
    assert (await api.http.put("/v1/brands/acme/rules", json=stricter, headers=BRAND)).status_code == 200
    await ana.wait_for(lambda: ana.events("rules.changed")[-1]["rules"] == stricter)
    refused = await ana.request("chat.post", text="selling batik here")
    assert refused["error"]["code"] == "rules_not_accepted", "new words: accepted anew, in the room she is in"
    assert (await phone.request("chat.post", text="hi"))["error"]["code"] == "rules_not_accepted", "what the server vouched for was the old words"
    again = await Client.join(url, token("ana", room_id))  # joined since: the server does not vouch either
    assert (await again.request("chat.post", text="hi"))["error"]["code"] == "rules_not_accepted"
    assert (await ana.request("rules.accept"))["ok"]
    assert (await ana.request("chat.post", text="ok, no selling"))["ok"]
    nxt = room_id[:50] + "-n"
    await _room(api, nxt, brand_id="acme")
    later = await Client.join(server.ws_url(nxt), token("ana", nxt))
    assert (await later.request("chat.post", text="hi from the next show"))["ok"], "the new words, accepted once for the brand"
    for client in (ana, phone, again, later):
        await client.close()
