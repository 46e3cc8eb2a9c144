"""Tokens at the handshake, pinned algorithm and expiry, room scope, Origin allowlist."""

from collections.abc import Iterator

import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.harness import SECRET, Api, Client, LiveServer, token


async def _hello_close(url: str, tok: str | None) -> tuple[int, dict]:  # type: ignore[type-arg]
    client = await Client.open(url)
    await client.send_raw(client.encode({"type": "hello", "id": "h", "token": tok}))
    code = await client.wait_closed()
    return code, client.replies.get("h", {})


async def test_bad_tokens_are_refused_with_clear_codes(server: LiveServer, api: Api, room_id: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    code, reply = await _hello_close(url, token("ana", room_id, ttl=-60))
    assert code == 4001 and reply["error"]["code"] == "unauthorized" and "expired" in reply["error"]["message"]
    code, reply = await _hello_close(url, token("ana", "another-room"))
    assert code == 4003 and reply["error"]["code"] == "forbidden"
    forged = jwt.encode({"sub": "ana", "room": room_id, "role": "host", "aud": "live", "exp": 2**40}, "not-the-secret-but-long-enough-32b", algorithm="HS256")
    assert (await _hello_close(url, forged))[0] == 4001
    other_alg = jwt.encode({"sub": "ana", "room": room_id, "role": "host", "aud": "live", "exp": 2**40}, SECRET, algorithm="HS512")
    assert (await _hello_close(url, other_alg))[0] == 4001, "only HS256 is accepted"
    unsigned = jwt.encode({"sub": "ana", "room": room_id, "role": "host", "aud": "live", "exp": 2**40}, None, algorithm="none")  # type: ignore[arg-type]
    assert (await _hello_close(url, unsigned))[0] == 4001
    no_aud = jwt.encode({"sub": "ana", "room": room_id, "role": "host", "exp": 2**40}, SECRET, algorithm="HS256")
    assert (await _hello_close(url, no_aud))[0] == 4001
    code, reply = await _hello_close(url, token("nul\x00ana", room_id))  # PostgreSQL refuses a NUL in text: no such id gets in
    assert code == 4001 and "control characters" in reply["error"]["message"]
    not_hello = await Client.open(url)
    await not_hello.send_raw('{"type":"chat.post","id":"p","text":"hi"}')
    assert await not_hello.wait_closed() == 4001
    missing = await Client.open(server.ws_url("no-such-room"))
    assert await missing.wait_closed() == 4004


async def test_members_only_room_refuses_guests(server: LiveServer, api: Api, room_id: str) -> None:
    assert (await api.create_room(room_id, allow_guests=False)).status_code == 201
    code, reply = await _hello_close(server.ws_url(room_id), None)
    assert code == 4003 and reply["error"]["code"] == "forbidden"


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("strict"), LIVE_ALLOWED_ORIGINS='["https://shop.example"]', LIVE_HELLO_TIMEOUT_SECONDS="0.5").start()
    yield srv
    srv.stop()


async def test_origin_allowlist(strict_server: LiveServer, room_id: str) -> None:
    api = Api(strict_server)
    await api.live_room(room_id)
    url = strict_server.ws_url(room_id)
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin="https://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    ok = await Client.join(url, token("ana", room_id), origin="https://shop.example")
    same_origin = await Client.join(url, token("ben", room_id), origin=f"http://127.0.0.1:{strict_server.port}")
    for c in (ok, same_origin):
        await c.close()
    await api.http.aclose()


async def test_silent_connection_is_closed_after_hello_timeout(strict_server: LiveServer, room_id: str) -> None:
    api = Api(strict_server)
    await api.live_room(room_id)
    silent = await Client.open(strict_server.ws_url(room_id))
    assert await silent.wait_closed(timeout=5) == 4001
    await api.http.aclose()
