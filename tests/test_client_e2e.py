"""The Python client (live.client) against a real server: requests, errors, events, resume."""

import asyncio

import pytest

from live.client import LiveClient, LiveError
from tests.harness import Api, LiveServer, token


async def _events_until(client: LiveClient, done: int) -> list[dict]:  # type: ignore[type-arg]
    seen = []
    async for m in client.events():
        if m["type"] == "chat.message":
            seen.append(m)
            if len(seen) == done:
                return seen
    return seen


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
async def test_requests_events_errors_and_an_exact_resume(server: LiveServer, api: Api, room_id: str, fmt: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    ana = await LiveClient.connect(url, token("ana", room_id), fmt=fmt)
    ben = await LiveClient.connect(url, token("ben", room_id), fmt=fmt)
    assert ana.welcome["room"]["status"] == "live"
    assert "message_id" in await ana.request("chat.post", text="one")
    assert [m["message"]["text"] for m in await asyncio.wait_for(_events_until(ben, 1), 5)] == ["one"]
    with pytest.raises(LiveError) as refused:
        await ana.request("chat.post", text="")
    assert refused.value.code == "empty"

    await ben.close()  # ben drops; ana goes on
    for text in ("two", "three"):
        await ana.request("chat.post", text=text)
    await ben.resume()
    assert ben.welcome["resumed"] is True
    assert [m["message"]["text"] for m in await asyncio.wait_for(_events_until(ben, 2), 5)] == ["two", "three"]
    await ana.close()
    await ben.close()
