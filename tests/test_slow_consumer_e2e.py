"""A viewer that stops reading is cut off with 4008; the room never waits for it."""

import asyncio
import socket
from collections.abc import Iterator

import orjson
import pytest
from websockets.asyncio.client import connect

from tests.harness import Api, Client, LiveServer, bearer, token

N_BEHIND = 6000


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(
        tmp_path_factory.mktemp("tight"),
        LIVE_OUTBOUND_BUFFER_BYTES="65536",
        LIVE_COMMANDS_PER_SECOND="100000",
        LIVE_COMMAND_BURST="100000",
    ).start()
    yield srv
    srv.stop()


async def test_slow_reader_is_closed_while_others_keep_receiving(tight_server: LiveServer, room_id: str) -> None:
    api = Api(tight_server)
    assert (await api.create_room(room_id, max_message_length=4000)).status_code == 201
    await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", room_id, "host")))
    url = tight_server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    fast = await Client.join(url, token("fast", room_id))

    # The slow viewer: a tiny receive buffer, and a client that stops reading after the welcome.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", tight_server.port))
    slow = await connect(url, sock=sock, subprotocols=["live.v1.json"], compression=None, max_queue=1)  # type: ignore[list-item]
    await slow.send(orjson.dumps({"type": "hello", "id": "h", "token": token("slow", room_id)}).decode())
    welcome = orjson.loads(await slow.recv())
    assert welcome[0]["type"] == "welcome"

    text = "x" * 3900
    sent = 0
    closed_at = None
    for i in range(4000):
        r = await host.request("chat.post", text=f"{i} {text}")
        assert r["ok"], r
        sent += 1
        if i % 50 == 0 and closed_at is None:
            health = (await api.http.get("/healthz")).json()
            if health["connections"] == 2:  # the slow one is gone
                closed_at = i
                break
    assert closed_at is not None, "the slow reader was never cut off"
    await fast.wait_for(lambda: len(fast.chat_texts()) == sent)
    assert fast.chat_texts() == [f"{i} {text}" for i in range(sent)]

    # Once the slow client reads again, it finds its backlog and then the close code. The
    # host's messages are never thinned, so thinning could not save this one.
    notices = []
    async with asyncio.timeout(10):
        try:
            async for frame in slow:
                notices += [m for m in orjson.loads(frame) if m["type"] == "chat.thinned"]
        except Exception:
            pass
    assert slow.close_code == 4008, slow.close_code
    assert all(n["thinned"] for n in notices)
    assert slow.close_reason.startswith("outbound buffer full")
    for c in (host, fast):
        await c.close()
    await api.http.aclose()


async def test_a_viewer_who_falls_behind_gets_thinned_chat_instead_of_being_cut(tight_server: LiveServer, room_id: str) -> None:
    api = Api(tight_server)
    assert (await api.create_room(room_id, max_message_length=4000)).status_code == 201
    await api.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", room_id, "host")))
    url = tight_server.ws_url(room_id)
    talker = await Client.join(url, token("talker", room_id))
    fast = await Client.join(url, token("fast", room_id))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", tight_server.port))
    behind = await connect(url, sock=sock, subprotocols=["live.v1.json"], compression=None, max_queue=1)  # type: ignore[list-item]
    await behind.send(orjson.dumps({"type": "hello", "id": "h", "token": token("behind", room_id)}).decode())
    assert orjson.loads(await behind.recv())[0]["type"] == "welcome"

    text = "y" * 300  # frames stay well under the bound, as 200-byte chat under 1 MiB does
    for i in range(N_BEHIND):
        assert (await talker.request("chat.post", text=f"{i} {text}"))["ok"]
    await fast.wait_for(lambda: len(fast.chat_texts()) == N_BEHIND)
    health = (await api.http.get("/healthz")).json()
    assert health["connections"] == 3, "the viewer who fell behind is still connected"

    # Reading again, it was told its chat got thinned; it got fewer messages, in order,
    # and once it caught up it is told chat is whole again, and gets the next message.
    seen: list[dict] = []  # type: ignore[type-arg]
    async with asyncio.timeout(20):
        while not any(m == {"type": "chat.thinned", "thinned": False} for m in seen):
            seen += orjson.loads(await behind.recv())
            if len(seen) % 50 == 0:
                await talker.request("ping")
        assert (await talker.request("chat.post", text="after catching up"))["ok"]
        while not any(m.get("type") == "chat.message" and m["message"]["text"] == "after catching up" for m in seen):
            seen += orjson.loads(await behind.recv())
    got = [int(m["message"]["text"].split(" ", 1)[0]) for m in seen if m["type"] == "chat.message" and m["message"]["text"] != "after catching up"]
    assert got == sorted(got) and 0 < len(got) < N_BEHIND
    assert [m["thinned"] for m in seen if m["type"] == "chat.thinned"] == [True, False]
    await behind.close()
    for c in (talker, fast):
        await c.close()
    await api.http.aclose()
