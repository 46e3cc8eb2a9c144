"""A viewer that stops reading is cut off with 4008; the room never waits for it."""

import asyncio
import socket
from collections.abc import Iterator

import orjson
import pytest
from websockets.asyncio.client import connect

from tests.harness import Api, Client, LiveServer, bearer, token


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

    # Once the slow client reads again, it finds its backlog and then the close code.
    async with asyncio.timeout(10):
        try:
            async for _ in slow:
                pass
        except Exception:  # noqa: BLE001 - the close is what we look at
            pass
    assert slow.close_code == 4008, slow.close_code
    assert slow.close_reason.startswith("outbound buffer full")
    for c in (host, fast):
        await c.close()
    await api.http.aclose()
