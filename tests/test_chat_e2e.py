"""A live room on one real server process, over real WebSockets, in both encodings."""

import time

from tests.harness import Api, Client, LiveServer, token


async def test_host_and_two_viewers_chat_in_order(server: LiveServer, api: Api, room_id: str, fmt: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"), fmt)
    ana = await Client.join(url, token("ana", room_id, "viewer", name="Ana"), fmt)
    ben = await Client.join(url, token("ben", room_id, "viewer", name="Ben"), "json")  # mixed encodings in one room
    assert host.welcome and host.welcome["room"]["status"] == "live"

    r1 = await host.request("chat.post", text="Welcome to the show!")
    assert r1["ok"], r1
    r2 = await ana.request("chat.post", text="Hi all", reply_to=r1["result"]["message_id"])
    assert r2["ok"], r2
    r3 = await ben.request("chat.post", text="Hello")
    assert r3["ok"], r3

    expected = ["Welcome to the show!", "Hi all", "Hello"]
    for client in (host, ana, ben):
        await client.wait_for(lambda c=client: len(c.chat_texts()) == 3)
        assert client.chat_texts() == expected
        seqs = [m["seq"] for m in client.events()]
        chat_seqs = [m["seq"] for m in client.events("chat.message")]
        assert seqs == sorted(seqs) and len(chat_seqs) == len(set(chat_seqs))
    reply = ben.events("chat.message")[1]["message"]
    assert reply["reply_to"] == r1["result"]["message_id"]
    assert reply["user"] == {"id": "ana", "name": "Ana", "role": "viewer", "tier": None, "badges": []}
    for c in (host, ana, ben):
        await c.close()


async def test_viewer_cannot_delete_others_or_moderate(server: LiveServer, api: Api, room_id: str, fmt: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"), fmt)
    ana = await Client.join(url, token("ana", room_id), fmt)
    ben = await Client.join(url, token("ben", room_id), fmt)
    posted = await ana.request("chat.post", text="mine")
    mid = posted["result"]["message_id"]

    denied = await ben.request("chat.delete", message_id=mid)
    assert denied["ok"] is False and denied["error"]["code"] == "forbidden"
    for cmd, fields in [("mod.ban", {"user_id": "ana"}), ("mod.timeout", {"user_id": "ana", "seconds": 60}), ("mod.slow_mode", {"seconds": 5}), ("chat.pin", {"message_id": mid})]:
        r = await ben.request(cmd, **fields)
        assert r["ok"] is False and r["error"]["code"] == "forbidden", (cmd, r)
    # the connection carries on
    assert (await ben.request("chat.post", text="still here"))["ok"]
    # the author and the host may delete
    assert (await ana.request("chat.delete", message_id=mid))["ok"]
    await host.wait_for(lambda: host.events("chat.deleted"))
    assert host.events("chat.deleted")[0]["message_id"] == mid
    for c in (host, ana, ben):
        await c.close()


async def test_slow_mode_ban_and_timeout_hold(server: LiveServer, api: Api, room_id: str, fmt: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"), fmt)
    mod = await Client.join(url, token("mo", room_id, "moderator"), fmt)
    ana = await Client.join(url, token("ana", room_id), fmt)
    ben = await Client.join(url, token("ben", room_id), fmt)

    assert (await mod.request("mod.slow_mode", seconds=30))["ok"]
    assert (await ana.request("chat.post", text="one"))["ok"]
    slow = await ana.request("chat.post", text="two")
    assert slow["error"]["code"] == "slow_mode" and 0 < slow["error"]["retry_after_ms"] <= 30_000
    assert (await host.request("chat.post", text="host is exempt"))["ok"]
    assert (await host.request("chat.post", text="still exempt"))["ok"]

    assert (await mod.request("mod.ban", user_id="ben"))["ok"]
    banned = await ben.request("chat.post", text="let me in")
    assert banned["error"]["code"] == "banned"
    assert (await mod.request("mod.timeout", user_id="ana", seconds=60))["ok"]
    timed = await ana.request("chat.post", text="three")
    assert timed["error"]["code"] == "timed_out"
    # a moderator cannot ban the host
    assert (await mod.request("mod.ban", user_id="host1"))["error"]["code"] == "forbidden"
    await ana.wait_for(lambda: ana.events("mod.ban") and ana.events("room.slow_mode"))
    assert "let me in" not in host.chat_texts()
    for c in (host, mod, ana, ben):
        await c.close()


async def test_bad_frames_get_errors_and_nothing_breaks(server: LiveServer, api: Api, room_id: str, fmt: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    ana = await Client.join(url, token("ana", room_id), fmt)
    watcher = await Client.join(url, token("wat", room_id), fmt)

    await ana.send_raw(b"\xff\x00 not a message" if fmt == "msgpack" else "{not json")
    await ana.send_raw(ana.encode({"type": "chat.post", "id": "x1"}))  # missing text
    await ana.send_raw(ana.encode({"type": "teleport", "id": "x2"}))
    await ana.send_raw(ana.encode({"type": "chat.post", "id": "x3", "text": "y" * 20_000}))
    await ana.send_raw(ana.encode([1, 2, 3]))  # type: ignore[arg-type]
    await ana.wait_for(lambda: len([m for m in ana.messages if m.get("ok") is False]) == 5)
    assert ana.replies["x1"]["error"]["code"] == "bad_request"
    assert ana.replies["x2"]["error"]["code"] == "unknown_type"
    # an oversized frame is not parsed, so its reply cannot name its id
    anonymous = [m for m in ana.messages if m["type"] == "reply" and m["id"] is None]
    assert [m["error"]["code"] for m in anonymous] == ["bad_request", "too_large", "bad_request"]

    too_long = await ana.request("chat.post", text="z" * 501)
    assert too_long["error"]["code"] == "too_long"
    assert (await ana.request("chat.post", text="after all that"))["ok"]
    await watcher.wait_for(lambda: watcher.chat_texts() == ["after all that"])
    assert (await ana.request("ping"))["result"] == {"pong": True}
    for c in (ana, watcher):
        await c.close()


async def test_guests_watch_but_never_write(server: LiveServer, api: Api, room_id: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    guest = await Client.join(url, None)
    assert guest.welcome and guest.welcome["you"]["role"] == "guest"
    r = await guest.request("chat.post", text="hello?")
    assert r["error"]["code"] == "forbidden"
    assert (await guest.request("reaction", kind="heart"))["error"]["code"] == "forbidden"
    host = await Client.join(url, token("host1", room_id, "host"))
    await host.request("chat.post", text="guests can read this")
    await guest.wait_for(lambda: guest.chat_texts() == ["guests can read this"])
    await guest.close()
    await host.close()


async def test_presence_and_reaction_bursts(server: LiveServer, api: Api, room_id: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    ana = await Client.join(url, token("ana", room_id))
    ben = await Client.join(url, token("ben", room_id))
    await ana.wait_for(lambda: any(m["type"] == "presence" and m["viewers"] == 2 for m in ana.messages))
    for _ in range(5):
        assert (await ben.request("reaction", kind="heart"))["ok"]
    assert (await ana.request("reaction", kind="fire"))["ok"]

    def total(kind: str) -> int:
        return sum(m["counts"].get(kind, 0) for m in ana.messages if m["type"] == "reactions")

    await ana.wait_for(lambda: total("heart") == 5 and total("fire") == 1)
    bursts = [m for m in ana.messages if m["type"] == "reactions"]
    assert len(bursts) < 6, "reactions are aggregated into bursts, not sent one by one"
    assert all("seq" not in m for m in bursts), "edge signals are not logged"
    await ben.close()
    counts = lambda: [m["viewers"] for m in ana.messages if m["type"] == "presence"]  # noqa: E731
    await ana.wait_for(lambda: 1 in counts()[counts().index(2) :], timeout=5)  # it drops after it was 2
    await ana.close()


async def test_a_timed_poll_in_a_quiet_room_closes_on_time(server: LiveServer, api: Api, room_id: str) -> None:
    """Nobody acts after the poll opens: the node's signal loop finds its deadline (the poll's
    entry stirred the room) and ticks the room, so viewers see it close at its time."""
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana = await Client.join(url, token("ana", room_id))
    await ana.wait_for(lambda: any(m["type"] == "presence" and m["viewers"] == 2 for m in ana.messages))
    created = await host.request("poll.create", question="Red or blue?", options=["Red", "Blue"], duration_seconds=2)
    assert created["ok"], created
    opened = time.monotonic()
    [closed] = await ana.wait_for(lambda: ana.events("poll.closed"), timeout=6)
    assert closed["reason"] == "time" and closed["poll_id"] == created["result"]["poll_id"]
    assert 1.9 <= time.monotonic() - opened <= 4.0, "closed at its time, not at a later heartbeat or command"
    await ana.close()
    await host.close()
