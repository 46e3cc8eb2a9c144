"""Reconnect with the last seq: exactly the missed events, or a fresh snapshot."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import COALESCED, Api, Client, LiveServer, token


@pytest.fixture(scope="module")
def small_buffer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("small"), LIVE_RECENT_EVENTS="10", LIVE_COMMANDS_PER_SECOND="1000", LIVE_COMMAND_BURST="1000").start()
    yield srv
    srv.stop()


async def test_resume_gets_exactly_the_missed_events(server: LiveServer, api: Api, room_id: str, fmt: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"), fmt)
    ana = await Client.join(url, token("ana", room_id), fmt)
    for i in range(3):
        await host.request("chat.post", text=f"before {i}")
    await ana.wait_for(lambda: len(ana.chat_texts()) == 3)
    last_seq, epoch = ana.events()[-1]["seq"], ana.welcome["epoch"]  # type: ignore[index]
    await ana.close()

    for i in range(4):
        await host.request("chat.post", text=f"missed {i}")
    deleted = await host.request("chat.post", text="soon gone")
    await host.request("chat.delete", message_id=deleted["result"]["message_id"])

    again = await Client.join(url, token("ana", room_id), fmt, since=last_seq, epoch=epoch)
    assert again.welcome is not None and again.welcome["resumed"] is True and "room" not in again.welcome
    await again.wait_for(lambda: again.events("chat.deleted"))
    assert again.chat_texts() == [f"missed {i}" for i in range(4)] + ["soon gone"]
    host_tail = [m for m in host.events() if m["seq"] > last_seq and m["type"] not in COALESCED]
    assert [m for m in again.events() if m["type"] not in COALESCED] == host_tail, "the same events, in the same order, nothing doubled"
    await again.close()
    await host.close()


async def test_resume_from_current_seq_sends_nothing_old(server: LiveServer, api: Api, room_id: str) -> None:
    await api.live_room(room_id)
    url = server.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    await host.request("chat.post", text="one")
    await host.wait_for(lambda: host.chat_texts() == ["one"])
    seq, epoch = host.events()[-1]["seq"], host.welcome["epoch"]  # type: ignore[index]
    again = await Client.join(url, token("host1", room_id, "host"), since=seq, epoch=epoch)
    await again.request("chat.post", text="two")
    await again.wait_for(lambda: again.chat_texts() == ["two"])
    assert again.welcome["resumed"] is True  # type: ignore[index]
    await again.close()
    await host.close()


async def test_gap_older_than_buffer_or_other_epoch_reloads_snapshot(small_buffer_server: LiveServer, room_id: str) -> None:
    srv = small_buffer_server
    api = Api(srv)
    await api.live_room(room_id)
    url = srv.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana = await Client.join(url, token("ana", room_id))
    await host.request("chat.post", text="seen")
    await ana.wait_for(lambda: ana.chat_texts() == ["seen"])
    last_seq, epoch = ana.events()[-1]["seq"], ana.welcome["epoch"]  # type: ignore[index]
    await ana.close()
    for i in range(25):
        assert (await host.request("chat.post", text=f"m{i}"))["ok"]

    stale = await Client.join(url, token("ana", room_id), since=last_seq, epoch=epoch)
    w = stale.welcome
    assert w is not None and w["resumed"] is False, "too old for the buffer: reload"
    assert [m["text"] for m in w["room"]["messages"]][-3:] == ["m22", "m23", "m24"]
    assert w["room"]["seq"] == w["seq"] == host.events()[-1]["seq"]

    other = await Client.join(url, token("ana", room_id), since=w["seq"], epoch="some-other-epoch")
    assert other.welcome["resumed"] is False and "room" in other.welcome  # type: ignore[index]
    await host.request("chat.post", text="live again")
    await stale.wait_for(lambda: stale.chat_texts() == ["live again"])
    for c in (host, stale, other):
        await c.close()
    await api.http.aclose()


async def test_restart_keeps_the_room_and_tells_clients_to_reload(tmp_path: Path) -> None:
    """Embedded default: the memory log is seeded back from SQL after a restart."""
    srv = LiveServer(tmp_path).start()
    api = Api(srv)
    await api.live_room("shop")
    host = await Client.join(srv.ws_url("shop"), token("host1", "shop", "host"))
    for text in ("one", "two"):
        await host.request("chat.post", text=text)
    await host.wait_for(lambda: host.chat_texts() == ["one", "two"])
    old_epoch = host.welcome["epoch"]  # type: ignore[index]
    old_seq = host.events()[-1]["seq"]
    srv.stop()  # SIGTERM: viewers are told to reconnect, the persister writes what is pending
    assert await host.wait_closed() in (1001, 1012)
    await api.http.aclose()

    srv2 = LiveServer(tmp_path)
    srv2.port = srv.port
    srv2.start()
    try:
        back = await Client.join(srv2.ws_url("shop"), token("host1", "shop", "host"), since=old_seq, epoch=old_epoch)
        assert back.welcome["resumed"] is False  # type: ignore[index]
        assert [m["text"] for m in back.welcome["room"]["messages"]] == ["one", "two"]  # type: ignore[index]
        assert back.welcome["room"]["status"] == "live"  # type: ignore[index]
        posted = await back.request("chat.post", text="three")
        assert posted["result"]["message_id"] == old_seq + 1
        await back.close()
    finally:
        srv2.stop()
