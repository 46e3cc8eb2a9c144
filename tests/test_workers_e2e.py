"""``live serve --workers 2``: two processes on one port, each a node on one Redis.

One room served from both workers, every message to everyone; a killed worker is
replaced by the supervisor and its viewers resume on the other without loss.
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.harness import ROOT, Api, Client, LiveServer, RedisServer, free_port, token


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("workers"), LIVE_REDIS_URL=redis_server.url)
    srv.args = ("--workers", "2")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
async def api(workers: LiveServer) -> AsyncIterator[Api]:
    client = Api(workers)
    yield client
    await client.http.aclose()


def worker_pids(server: LiveServer) -> set[int]:
    """The supervisor's worker processes (forked: the same command line)."""
    assert server.proc is not None
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    return {int(pid) for pid in children if b"live.cli" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def node_of(client: Client) -> str:
    """The node that took this socket: the handshake answer names it."""
    assert client.ws.response is not None
    return client.ws.response.headers["X-Live-Node"]


async def join_until_both(server: LiveServer, room: str, prefix: str, at_least: int = 6) -> list[Client]:
    """Viewers until both workers hold some (the kernel spreads connections by port hash)."""
    clients: list[Client] = []
    while len(clients) < at_least or len({node_of(c) for c in clients}) < 2:
        clients.append(await Client.join(server.ws_url(room), token(f"{prefix}{len(clients)}", room)))
        assert len(clients) < 60, "every connection landed on one worker"
    return clients


def seqs(client: Client) -> list[int]:
    return [m["seq"] for m in client.events("chat.message")]


async def test_two_workers_serve_one_room_and_everyone_gets_every_message(workers: LiveServer, api: Api) -> None:
    room = await api.live_room("both")
    clients = await join_until_both(workers, room, "v")
    for i, c in enumerate(clients):
        assert (await c.request("chat.post", text=f"from {i}"))["ok"]
    expected = {f"from {i}" for i in range(len(clients))}
    for c in clients:
        await c.wait_for(lambda c=c: set(c.chat_texts()) == expected)  # type: ignore[misc]
        assert seqs(c) == sorted(set(seqs(c))), "one order for everyone, nothing twice"
    orders = {tuple(c.chat_texts()) for c in clients}
    assert len(orders) == 1, "both workers show the room's log in the same order"
    for c in clients:
        await c.close()


async def test_a_killed_worker_is_replaced_and_its_viewers_resume_without_loss(workers: LiveServer, api: Api) -> None:
    room = await api.live_room("kill-worker")
    clients = await join_until_both(workers, room, "k")
    posters = [await Client.join(workers.ws_url(room), token(user, room, role)) for user, role in (("host1", "host"), ("mod1", "moderator"))]
    while node_of(posters[0]) == node_of(posters[1]):  # one poster on each worker: one of them survives
        await posters[1].close()
        posters[1] = await Client.join(workers.ws_url(room), token("mod1", room, "moderator"))
    before = worker_pids(workers)
    assert len(before) == 2
    acked: list[str] = []

    async def post_stream(poster: Client, name: str) -> None:
        for i in range(30):
            try:
                reply = await poster.request("chat.post", text=f"{name}{i}")
            except (AssertionError, ConnectionClosed):  # its worker was killed: what it had acknowledged must survive
                return
            if reply["ok"]:
                acked.append(f"{name}{i}")
            await asyncio.sleep(0.1)

    posting = [asyncio.create_task(post_stream(p, name)) for p, name in zip(posters, "ab", strict=True)]
    await clients[0].wait_for(lambda: len(clients[0].chat_texts()) >= 6)
    os.kill(next(iter(before)), signal.SIGKILL)
    await asyncio.gather(*posting)
    survivors = [c for c in clients if c.closed_code is None]
    on_victim = [c for c in clients if c.closed_code is not None]
    victim_node = node_of(on_victim[0])
    assert on_victim and survivors and all(c.closed_code == 1006 and node_of(c) == victim_node for c in on_victim)
    resumed = []
    for i, c in enumerate(on_victim):
        again = await Client.join(workers.ws_url(room), token(f"k-again{i}", room), since=c.events()[-1]["seq"], epoch=c.welcome["epoch"])  # type: ignore[index]
        assert again.welcome["resumed"] is True  # type: ignore[index]
        resumed.append((c, again))
    for old, new in resumed:
        await new.wait_for(lambda o=old, n=new: set(acked) <= set(o.chat_texts() + n.chat_texts()))  # type: ignore[misc]
        assert seqs(old) + seqs(new) == sorted(set(seqs(old) + seqs(new))), "no gap, nothing twice"
    for c in survivors:
        await c.wait_for(lambda c=c: set(acked) <= set(c.chat_texts()))  # type: ignore[misc]
    # The supervisor starts a new worker: a second node serves the port again.
    replaced = await asyncio.to_thread(_wait_for_pids, workers, before)
    assert len(replaced) == 2 and len(replaced & before) == 1
    newcomers = await join_until_both(workers, room, "n", at_least=2)
    assert victim_node not in {node_of(c) for c in newcomers}, "the new worker is a new node"
    speaker = next(p for p in posters if p.closed_code is None)
    assert (await speaker.request("chat.post", text="after"))["ok"]
    for c in newcomers:
        await c.wait_for(lambda c=c: "after" in c.chat_texts())  # type: ignore[misc]
    for c in [*posters, *newcomers, *(n for _, n in resumed), *survivors]:
        if c.closed_code is None:
            await c.close()


def _wait_for_pids(server: LiveServer, before: set[int]) -> set[int]:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = worker_pids(server)
        if len(now) == 2 and now != before:
            return now
        time.sleep(0.1)
    return worker_pids(server)


def test_more_than_one_worker_needs_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")} | {"LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/w.db"}
    run = subprocess.run([sys.executable, "-m", "live.cli", "serve", "--workers", "2", "--port", str(free_port())], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "--workers 2 needs the Redis backend" in run.stderr
