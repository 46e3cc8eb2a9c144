"""An ended show stays ended: for every node, forever, and a probe creates nothing.

Long after the end (once every node has let the room go), a joiner gets `room_ended`
and close 4009 on both backends, and the room's log and SQL rows are exactly as the
end left them. A hello to a room that never existed gets 4004 and leaves no trace.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from websockets.exceptions import ConnectionClosed

from tests.harness import Api, Client, LiveServer, RedisServer, eventually, token


@pytest.fixture(scope="module", params=["memory", "redis"])
def idle_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"LIVE_ROOM_IDLE_SECONDS": "0.6"}
    if request.param == "redis":
        env["LIVE_REDIS_URL"] = request.getfixturevalue("redis_server").url
    srv = LiveServer(tmp_path_factory.mktemp("ended"), **env).start()
    yield srv
    srv.stop()


async def _rooms_open(srv: LiveServer) -> int:
    async with httpx.AsyncClient() as http:
        return int((await http.get(f"{srv.url}/healthz")).json()["rooms"])


def _log_state(srv: LiveServer, room: str, redis_server: RedisServer) -> Any:
    """What the log holds for the room: Redis' meta and stream length (None in memory)."""
    if "LIVE_REDIS_URL" not in srv.env:
        return None
    with redis.Redis(port=redis_server.port) as r:
        return r.hgetall(f"live:{{{room}}}:meta"), r.xlen(f"live:{{{room}}}:log")


async def _hello(url: str, tok: str | None) -> tuple[int, dict[str, Any]]:
    c = await Client.open(url)
    with contextlib.suppress(ConnectionClosed):  # an unknown room may be closed before the hello is sent
        await c.send_raw(c.encode({"type": "hello", "id": "h", "token": tok}))
    code = await c.wait_closed()
    return code, next(m for m in c.messages if m["type"] == "reply")  # an unknown room answers before reading hello


async def test_joining_an_ended_room_long_after_gets_4009_and_changes_nothing(idle_server: LiveServer, redis_server: RedisServer) -> None:
    api = Api(idle_server)
    await api.live_room("over")
    host = await Client.join(idle_server.ws_url("over"), token("host1", "over", "host"))
    assert (await host.request("chat.post", text="thanks for watching"))["ok"]
    assert (await api.end_room("over")).status_code == 200
    assert await host.wait_closed() == 4009
    await eventually(lambda: _rooms_open(idle_server), lambda n: n == 0)  # the node let it go
    before = ((await api.http.get("/v1/rooms/over")).json(), _log_state(idle_server, "over", redis_server))
    assert before[0]["status"] == "ended"

    for tok in (token("late", "over"), token("host1", "over", "host"), "not-a-token", None):
        code, reply = await _hello(idle_server.ws_url("over"), tok)
        assert code in (4009, 4001), (tok, code, reply)
        if tok != "not-a-token":
            assert code == 4009 and reply["error"]["code"] == "room_ended", reply
    await eventually(lambda: _rooms_open(idle_server), lambda n: n == 0)
    after = ((await api.http.get("/v1/rooms/over")).json(), _log_state(idle_server, "over", redis_server))
    assert after == before, "the room, its SQL row and its log are as the end left them"
    await api.http.aclose()


async def test_a_hello_to_an_unknown_room_leaves_no_trace(idle_server: LiveServer, redis_server: RedisServer) -> None:
    api = Api(idle_server)
    open_before = await _rooms_open(idle_server)
    code, reply = await _hello(idle_server.ws_url("never-was"), token("x", "never-was"))
    assert code == 4004 and reply["error"]["code"] == "not_found"
    assert (await api.http.get("/v1/rooms/never-was")).status_code == 404
    assert await _rooms_open(idle_server) == open_before
    assert _log_state(idle_server, "never-was", redis_server) in (None, ({}, 0))
    await api.http.aclose()


async def test_a_join_that_outlasts_the_rooms_idle_time_joins_the_room_open_now(idle_server: LiveServer) -> None:
    """A viewer whose hello comes late (a slow phone): the node lets the empty room go meanwhile,
    and the join lands in the room as opened again, not in the closed one nobody serves."""
    api = Api(idle_server)
    await api.live_room("slowhello")
    late = await Client.open(idle_server.ws_url("slowhello"))  # the socket is open, the hello not sent yet
    await eventually(lambda: _rooms_open(idle_server), lambda n: n == 0)  # the empty room was let go
    welcome = await late.request("hello", token=token("late", "slowhello"))
    assert welcome["type"] == "welcome", welcome
    posted = await late.request("chat.post", text="still here")
    assert posted["ok"], posted
    other = await Client.join(idle_server.ws_url("slowhello"), token("other", "slowhello"))
    assert (await other.request("chat.post", text="welcome back"))["ok"]
    await late.wait_for(lambda: [e for e in late.events("chat.message") if e["message"]["text"] == "welcome back"])  # one room, served
    assert await _rooms_open(idle_server) == 1
    await late.close()
    await other.close()
    await api.http.aclose()
