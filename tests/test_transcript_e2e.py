"""The transcript in SQL: every public chat event once, in order, during and after the session."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import Api, Client, LiveServer, eventually, token


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp: Path = tmp_path_factory.mktemp("db")
    env = {"LIVE_COMMANDS_PER_SECOND": "1000", "LIVE_COMMAND_BURST": "1000", "LIVE_PERSIST_BATCH": "7"}
    if request.param == "postgresql":
        env["LIVE_DATABASE_URL"] = request.getfixturevalue("pg_url")
    srv = LiveServer(tmp, **env).start()
    yield srv
    srv.stop()


async def test_transcript_has_every_message_once_in_order(db_server: LiveServer, room_id: str) -> None:
    api = Api(db_server)
    await api.live_room(room_id)
    url = db_server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"), "msgpack")
    ana = await Client.join(url, token("ana", room_id))
    texts = []
    for i in range(40):
        who = host if i % 3 else ana
        texts.append(f"message {i} from {'host' if i % 3 else 'ana'} ✓")
        assert (await who.request("chat.post", text=texts[-1]))["ok"]
    gone = await ana.request("chat.post", text="oops, wrong room")
    await ana.request("chat.delete", message_id=gone["result"]["message_id"])
    pinned = await ana.request("chat.post", text="pin me")
    await host.request("chat.pin", message_id=pinned["result"]["message_id"])
    texts.append("pin me")

    # During the session: it shows up within a persist interval, paged.
    chat = await eventually(lambda: api.transcript(room_id, type="chat.message", limit=7), lambda c: len(c) == 42)
    assert [m["message"]["text"] for m in chat if not m["message"].get("deleted")] == texts

    assert (await api.end_room(room_id)).status_code == 200
    assert await ana.wait_closed() == 4009
    after = await api.transcript(room_id, limit=5)
    seqs = [(e["seq"], e["type"]) for e in after]
    assert len(seqs) == len(set(seqs)), "no event twice"
    assert [e["seq"] for e in after] == sorted(e["seq"] for e in after)
    chat = [e for e in after if e["type"] == "chat.message"]
    assert [m["message"]["text"] for m in chat if not m["message"].get("deleted")] == texts
    redacted = [m for m in chat if m["message"].get("deleted")]
    assert len(redacted) == 1 and redacted[0]["message"]["text"] is None
    assert [e["type"] for e in after if e["type"] not in ("chat.message", "points.awarded")] == ["room.status", "room.status", "chat.deleted", "chat.pinned", "room.status"]
    room = (await api.http.get(f"/v1/rooms/{room_id}")).json()
    assert room["status"] == "ended" and room["message_count"] == 42

    # An ended room takes no more commands and no more viewers.
    late = await Client.open(url)
    await late.send_raw('{"type":"hello","id":"h","token":null}')
    assert await late.wait_closed() == 4009
    assert (await api.http.post(f"/v1/rooms/{room_id}/live", headers={"authorization": "Bearer " + token("host1", room_id, "host")})).status_code == 409
    await host.close()
    await api.http.aclose()
