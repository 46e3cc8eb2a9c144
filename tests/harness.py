"""Real server processes and real WebSocket clients for end-to-end tests."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgpack
import orjson
import redis
import redis.cluster
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from live import auth, workers
from live.settings import Settings
from rooms.events import COALESCED_TYPES as COALESCED
from rooms.roles import Role

__all__ = ["COALESCED"]  # running totals: a viewer may skip steps of these within one frame

T = TypeVar("T")
SECRET = "test-secret-that-is-long-enough-for-hs256-and-even-for-hs512-ok!"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(user: str, room: str, role: str = "viewer", name: str | None = None, tier: str | None = None, ttl: int = 3600, ref: str | None = None, brand: str | None = None) -> str:
    return auth.mint(SECRET, user_id=user, name=name or user.title(), room=room, role=Role(role), tier=tier, ref=ref, brand=brand, ttl_seconds=ttl)


class LiveServer:
    """A ``live serve`` process on a free port, stopped by its PID."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.args: tuple[str, ...] = ()  # more ``live serve`` flags (e.g. --workers 2), set before start()
        self.port = free_port()
        self.tmp = tmp
        self.env = {"LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/live.db", "LIVE_TOKEN_SECRET": SECRET} | env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = tmp / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, room: str) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/rooms/{room}/ws"

    def start(self) -> "LiveServer":
        return self.launch().wait_ready()

    def launch(self) -> "LiveServer":
        """The process started; ``wait_ready`` waits until it serves."""
        env = os.environ | self.env
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - the server writes to it until stop() closes it
        self.proc = subprocess.Popen([sys.executable, "-m", "live.cli", "serve", "--port", str(self.port), *self.args], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self) -> "LiveServer":
        assert self.proc is not None
        deadline = time.monotonic() + 60  # a busy shared machine has taken over 20 s to import and migrate
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def logs(self) -> str:
        return self.log_path.read_text()


class Api:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.http = httpx.AsyncClient(base_url=server.url, timeout=10)

    async def create_room(self, room: str, host: str = "host1", **body: Any) -> httpx.Response:
        return await self.http.post("/v1/rooms", json={"id": room, "title": f"Room {room}", **body}, headers=bearer(token(host, "*", "host")))

    async def live_room(self, room: str, host: str = "host1") -> str:
        r = await self.create_room(room, host)
        assert r.status_code == 201, r.text
        r = await self.http.post(f"/v1/rooms/{room}/live", headers=bearer(token(host, room, "host")))
        assert r.status_code == 200, r.text
        return room

    async def end_room(self, room: str, host: str = "host1") -> httpx.Response:
        return await self.http.post(f"/v1/rooms/{room}/end", headers=bearer(token(host, room, "host")))

    async def transcript(self, room: str, **params: Any) -> list[dict[str, Any]]:
        """Every page of the transcript, following next_after."""
        out: list[dict[str, Any]] = []
        after = 0
        while True:
            r = await self.http.get(f"/v1/rooms/{room}/transcript", params={"after": after, **params})
            assert r.status_code == 200, r.text
            body = r.json()
            out += body["events"]
            if body["next_after"] is None:
                return out
            after = body["next_after"]


async def rejoin(url: str, tok: str, since: int | None = None, epoch: str | None = None, attempts: int = 40) -> "Client":
    """Join as a client does after a fault: a refusal with ``unavailable`` (the room's log
    out of reach for a moment, close 1012) is answered by trying again after a short backoff."""
    for _ in range(attempts):
        client = await Client.open(url)
        await client.send_raw(client.encode({"type": "hello", "id": "h", "token": tok, "since": since, "epoch": epoch}))
        with contextlib.suppress(AssertionError):  # refused before the hello was read: the reply has no id
            await client.wait_for(lambda c=client: c.welcome)
            return client
        assert await client.wait_closed() == 1012
        assert [m["error"]["code"] for m in client.messages if m["type"] == "reply"] == ["unavailable"]
        await asyncio.sleep(0.25)
    raise AssertionError(f"still unavailable after {attempts} tries")


async def eventually(fetch: Callable[[], Awaitable[T]], ok: Callable[[T], bool], timeout: float = 10) -> T:
    """Poll ``fetch`` until ``ok`` holds for what it returns; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            value = await fetch()
            if ok(value):
                return value
            await asyncio.sleep(0.05)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(api: Api) -> Samples:
    """A node's /metrics, parsed: (name, labels) -> value."""
    r = await api.http.get("/metrics")
    assert r.status_code == 200
    return {(s.name, frozenset(s.labels.items())): s.value for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def bearer(tok: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tok}"}


class Client:
    """A viewer: one WebSocket, every server message kept in arrival order."""

    def __init__(self, ws: ClientConnection, fmt: str) -> None:
        self.ws = ws
        self.fmt = fmt
        self.messages: list[dict[str, Any]] = []
        self.frames: list[tuple[float, set[str]]] = []  # when each frame arrived (monotonic), and its messages' types
        self.replies: dict[Any, dict[str, Any]] = {}
        self.welcome: dict[str, Any] | None = None
        self._changed = asyncio.Event()
        self._ids = 0
        self.closed_code: int | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, url: str, fmt: str = "json", **kw: Any) -> "Client":
        ws = await connect(url, subprotocols=[f"live.v1.{fmt}"], compression=None, max_size=None, **kw)  # type: ignore[list-item]
        return cls(ws, fmt)

    @classmethod
    async def join(cls, url: str, tok: str | None, fmt: str = "json", since: int | None = None, epoch: str | None = None, **kw: Any) -> "Client":
        client = await cls.open(url, fmt, **kw)
        reply = await client.request("hello", token=tok, since=since, epoch=epoch)
        assert reply["type"] == "welcome", reply
        return client

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                batch = orjson.loads(frame) if self.fmt == "json" else msgpack.unpackb(frame)
                assert isinstance(batch, list), batch
                self.frames.append((time.monotonic(), {m["type"] for m in batch}))
                for m in batch:
                    self.messages.append(m)
                    if m["type"] in ("reply", "welcome"):
                        self.replies[m["id"]] = m
                    if m["type"] == "welcome":
                        self.welcome = m
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.closed_code = self.ws.close_code
            self._changed.set()

    async def send_raw(self, data: bytes | str) -> None:
        await self.ws.send(data)

    def encode(self, obj: dict[str, Any]) -> bytes | str:
        return orjson.dumps(obj).decode() if self.fmt == "json" else msgpack.packb(obj)

    async def request(self, type_: str, **fields: Any) -> dict[str, Any]:
        self._ids += 1
        rid = f"r{self._ids}"
        await self.ws.send(self.encode({"type": type_, "id": rid, **fields}))
        return await self.wait_for(lambda: self.replies.get(rid))

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10) -> Any:
        """Until predicate() is truthy; fails the test after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                value = predicate()
                if value:
                    return value
                if self._reader.done():
                    raise AssertionError(f"connection closed ({self.closed_code}) while waiting")
                self._changed.clear()
                await self._changed.wait()

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages if "seq" in m and m["type"] != "welcome" and (type_ is None or m["type"] == type_)]

    def chat_texts(self) -> list[str]:
        return [m["message"]["text"] for m in self.events("chat.message")]

    async def wait_closed(self, timeout: float = 10) -> int:
        async with asyncio.timeout(timeout):
            await self._reader
        assert self.closed_code is not None
        return self.closed_code

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(Exception):
            await self._reader


class RedisServer:
    """A private ``redis-server`` on a free port, stopped (or killed) by its PID; with
    ``cluster`` a Redis Cluster node (its bus on a free port too), for ``RedisClusterServer``."""

    def __init__(self, tmp: Path, *, aof: bool = True, cluster: bool = False) -> None:
        self.port = free_port()
        self.dir = tmp / f"redis-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.aof = aof
        self.cluster_args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", str(free_port()), "--cluster-node-timeout", "2000"] if cluster else []
        self.cluster_args += ["--repl-diskless-sync-delay", "0"] if cluster else []  # a replica syncs at once, not 5 s later
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def env(self) -> dict[str, str]:
        """What a ``live serve`` on this Redis is configured with."""
        return {"LIVE_REDIS_URL": self.url}

    def client(self) -> Any:
        """A synchronous client for the test's own look at the data."""
        return redis.Redis(port=self.port)

    def start(self) -> "RedisServer":
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", str(self.dir), *self.cluster_args]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)

    def wipe(self) -> None:
        """Forget every key on disk, as a Redis that comes back empty (a cluster node keeps its place)."""
        for f in self.dir.rglob("*"):
            if f.is_file() and f.name != "nodes.conf":
                f.unlink()


class RedisClusterServer:
    """A real Redis Cluster: ``masters`` cluster-enabled redis-servers, ``replicas`` more per
    master, joined by ``redis-cli --cluster create``; each node stopped by its PID.

    It stands in for ``RedisServer`` (url, env, client, start, stop, wipe): stop and start
    are the whole cluster's; it comes back with its nodes.conf, its place in the cluster.
    """

    def __init__(self, tmp: Path, *, masters: int = 3, replicas: int = 0, aof: bool = True) -> None:
        self.nodes = [RedisServer(tmp, aof=aof, cluster=True) for _ in range(masters * (1 + replicas))]
        self.replicas = replicas
        self.created = False

    @property
    def url(self) -> str:
        return ",".join(f"redis://127.0.0.1:{n.port}" for n in self.nodes)

    @property
    def env(self) -> dict[str, str]:
        return {"LIVE_REDIS_URL": self.url, "LIVE_REDIS_CLUSTER": "1"}

    def client(self) -> Any:
        return redis.RedisCluster(startup_nodes=[redis.cluster.ClusterNode("127.0.0.1", n.port) for n in self.nodes])

    def start(self) -> "RedisClusterServer":
        for node in self.nodes:
            node.start()
        if not self.created:
            ports = [f"127.0.0.1:{n.port}" for n in self.nodes]
            subprocess.run(["redis-cli", "--cluster", "create", *ports, "--cluster-replicas", str(self.replicas), "--cluster-yes"], check=True, capture_output=True)
            self.created = True
        self.wait_ok()
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        for node in self.nodes:
            node.stop(sig)

    def wipe(self) -> None:
        for node in self.nodes:
            node.wipe()

    def info(self, node: RedisServer) -> dict[str, str]:
        raw = subprocess.run(["redis-cli", "-p", str(node.port), "cluster", "info"], capture_output=True, text=True).stdout
        return dict(line.split(":", 1) for line in raw.split() if ":" in line)

    def synced(self, node: RedisServer) -> bool:
        """A master, or a replica whose link to its master is up (a failover needs that)."""
        raw = subprocess.run(["redis-cli", "-p", str(node.port), "info", "replication"], capture_output=True, text=True).stdout
        return "role:master" in raw or "master_link_status:up" in raw

    def role(self, node: RedisServer) -> str:
        return subprocess.run(["redis-cli", "-p", str(node.port), "role"], capture_output=True, text=True).stdout.split("\n", 1)[0]

    def wait_ok(self, timeout: float = 30) -> None:
        """Until every running node sees the whole cluster up (slots covered, all nodes known)."""
        running = [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = [self.info(n) for n in running]
            if all(i.get("cluster_state") == "ok" and i.get("cluster_known_nodes") == str(len(self.nodes)) for i in infos) and all(map(self.synced, running)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis cluster not ok: {infos}")

    def failover(self, master: RedisServer, *, kill: bool = False) -> RedisServer:
        """``CLUSTER FAILOVER`` on a replica of ``master`` (or, with ``kill``, SIGKILL the
        master and let the cluster promote its replica); returns the promoted replica."""
        replica = next(n for n in self.nodes if n is not master and self.role(n) == "slave" and _replica_of(n) == master.port)
        if kill:
            master.stop(signal.SIGKILL)
        else:
            subprocess.run(["redis-cli", "-p", str(replica.port), "cluster", "failover"], check=True, capture_output=True)
        deadline = time.monotonic() + 30
        while self.role(replica) != "master" or not (kill or (self.role(master) == "slave" and self.synced(master))):
            assert time.monotonic() < deadline, "failover did not complete"
            time.sleep(0.05)
        self.wait_ok()
        return replica

    def master_of(self, key: str) -> RedisServer:
        with self.client() as r:
            port = r.get_node_from_key(key).port
        return next(n for n in self.nodes if n.port == port)


def _replica_of(node: RedisServer) -> int:
    """The port of the master this replica follows."""
    lines = subprocess.run(["redis-cli", "-p", str(node.port), "role"], capture_output=True, text=True).stdout.split("\n")
    return int(lines[2])


class Cluster:
    """Several ``live serve`` nodes on one Redis and one database."""

    def __init__(self, tmp: Path, redis: "RedisServer | RedisClusterServer", n: int, **env: str) -> None:
        self.redis = redis
        self.db = env.pop("LIVE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp}/cluster.db")
        self.nodes = [LiveServer(tmp, LIVE_DATABASE_URL=self.db, **(redis.env | env)) for _ in range(n)]

    def start(self) -> "Cluster":
        """The schema first (nodes migrating one SQLite file at once would race, as ``live serve
        --workers`` knows), then every node at once: they import side by side."""
        migrated = threading.Thread(target=workers.migrate_once, args=(Settings(database_url=self.db),))
        migrated.start()  # a thread: this may be called from a test's running event loop
        migrated.join()
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.wait_ready()
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
