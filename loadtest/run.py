"""Load generator: viewers in one or many rooms on one or many nodes, a steady publisher.

    python -m loadtest.run --viewers 5000 --rate 100 --duration 20            # one node, one room
    python -m loadtest.run --viewers 5000 --rate 100 --nodes 2                # two nodes on a redis-server
    python -m loadtest.run --viewers 5000 --rooms 500 --rate 1 --nodes 2      # 500 rooms x 10 viewers
    python -m loadtest.run --viewers 5000 --rate 100 --nodes 2 --redis-cluster 3   # on a three-master Redis Cluster
    python -m loadtest.run --viewers 5000 --idle                              # RSS per idle connection
    python -m loadtest.run --viewers 2000 --rate 100 --workers 2              # one node of two processes (Redis)

It starts its own redis-server (for --nodes > 1 or --redis; a Redis Cluster of N masters
with --redis-cluster N) and ``live serve`` processes
unless --port names a running node, spreads viewers over several processes (one process
holds at most ~20,000 sockets here, and the client must cost less than the server), and
reports delivered vs expected, p50/p99/max publish-to-receive latency, deliveries/s,
server CPU seconds summed over nodes and µs per delivery. Bounded: it stops by itself.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from live import auth
from live.client import LiveClient, LiveError
from loadtest import viewer
from rooms.roles import Role

SECRET = "loadtest-secret-loadtest-secret-loadtest-secret-64-bytes-long!!"
ROOT = Path(__file__).resolve().parent.parent
CLK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_http(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def tree(pid: int) -> list[int]:
    """A process and its children (``live serve --workers N``: the supervisor and its workers)."""
    try:
        return [pid, *(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    except OSError:
        return [pid]


def start_node(port: int, tmp: str, env: dict[str, str], workers: int = 1) -> subprocess.Popen[bytes]:
    full = (
        os.environ
        | {
            "LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/load.db",
            "LIVE_TOKEN_SECRET": SECRET,
            "LIVE_COMMANDS_PER_SECOND": "100000",
            "LIVE_COMMAND_BURST": "100000",
            "LIVE_ROOMS_PER_HOST_PER_HOUR": "100000",
            "LIVE_MAX_CONNECTIONS_PER_USER": "100000",  # the publisher is one user in every room
            # The viewers connect from 127.0.0.1..9: a load generator, not thousands of abusers.
            "LIVE_UNLIMITED_ADDRESSES": json.dumps([f"127.0.0.{i}" for i in range(1, 10)]),
        }
        | env
    )
    log = open(f"{tmp}/node-{port}.log", "wb")  # noqa: SIM115 - the node process writes to it for as long as it runs
    proc = subprocess.Popen([sys.executable, "-m", "live.cli", "serve", "--port", str(port), "--workers", str(workers)], cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    deadline = time.monotonic() + 60
    while len(tree(proc.pid)) <= workers and workers > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    if workers > 1:  # every worker has bound the port once its /healthz answers; ask until each node has
        nodes: set[str] = set()
        while len(nodes) < workers and time.monotonic() < deadline:
            with httpx.Client() as client:  # a new connection each time: the kernel picks a worker by port
                nodes.add(client.get(f"http://127.0.0.1:{port}/healthz").json()["node"])
    return proc


async def publishers(ports: list[int], rooms: list[str]) -> list[LiveClient]:
    """The host's socket in every room, opened before the measured phase (a join is not a delivery)."""
    conns = []
    for i, room in enumerate(rooms):
        url = f"ws://127.0.0.1:{ports[i % len(ports)]}/v1/rooms/{room}/ws"
        conns.append(await LiveClient.connect(url, auth.mint(SECRET, user_id="publisher", name="Host", room=room, role=Role.HOST)))
    return conns


async def publish(conns: list[LiveClient], rate: float, duration: float, text_bytes: int) -> tuple[int, int]:
    """Post ``rate`` messages/s into every room for ``duration`` s; returns (sent, acknowledged)."""

    async def post(client: LiveClient, text: str) -> bool:
        try:
            await client.request("chat.post", text=text)
            return True
        except LiveError:
            return False

    posts: list[asyncio.Task[bool]] = []
    total = int(rate * duration * len(conns))
    pace = rate * len(conns)
    start = time.monotonic()
    for k in range(total):  # requests are pipelined: the pace never waits on a reply
        delay = start + k / pace - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        head = f"{k} {time.time() * 1000:.3f} "
        posts.append(asyncio.create_task(post(conns[k % len(conns)], head + "x" * max(0, text_bytes - len(head)))))
    return total, sum(await asyncio.gather(*posts))


async def close_all(conns: list[LiveClient]) -> None:
    for client in conns:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", type=int, default=1000, help="viewers in all (spread evenly over the rooms)")
    ap.add_argument("--rooms", type=int, default=1)
    ap.add_argument("--rate", type=float, default=100, help="messages per second per room")
    ap.add_argument("--duration", type=float, default=15, help="seconds of publishing")
    ap.add_argument("--settle", type=float, default=5, help="seconds to wait for stragglers after publishing")
    ap.add_argument("--nodes", type=int, default=1, help="server processes (more than one share a redis-server)")
    ap.add_argument("--redis", action="store_true", help="use the Redis backend even with one node")
    ap.add_argument("--redis-cluster", type=int, default=0, metavar="MASTERS", help="the Redis backend on a Redis Cluster of this many masters")
    ap.add_argument("--workers", type=int, default=1, help="processes per node (live serve --workers; more than one uses Redis)")
    ap.add_argument("--procs", type=int, default=4, help="viewer processes")
    ap.add_argument("--fmt", choices=["json", "msgpack"], default="json")
    ap.add_argument("--text-bytes", type=int, default=200)
    ap.add_argument("--idle", action="store_true", help="only open the viewers and measure memory")
    ap.add_argument("--port", type=int, help="use a running node (its token secret must be the loadtest one)")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the nodes it starts")
    ap.add_argument("--chatters", type=int, default=0, help="distinct viewers who post (in turn) instead of the host")
    ap.add_argument("--profile", help="py-spy record node 0 while publishing, collapsed stacks to this file")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="live-load-")
    procs: list[subprocess.Popen[bytes]] = []
    redis_procs: list[subprocess.Popen[bytes]] = []
    try:
        if args.port is not None:
            ports, pids = [args.port], []
        else:
            env = dict(kv.split("=", 1) for kv in args.env)
            if args.redis_cluster:
                redis_procs, env["LIVE_REDIS_URL"] = start_redis_cluster(tmp, args.redis_cluster)
                env["LIVE_REDIS_CLUSTER"] = "1"
            elif args.nodes > 1 or args.redis or args.workers > 1:
                rport = free_port()
                redis_procs = [subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)]
                time.sleep(0.3)
                env["LIVE_REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
            procs += redis_procs
            ports = [free_port() for _ in range(args.nodes)]
            nodes = [start_node(port, tmp, env, args.workers) for port in ports]
            procs += nodes
            pids = [pid for n in nodes for pid in tree(n.pid)]  # CPU and memory: the supervisor and its workers too
        report = run(args, ports, pids, [p.pid for p in redis_procs])
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(40)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=2))


def profile(pid: int, seconds: float, path: str) -> subprocess.Popen[bytes]:
    """py-spy (100 Hz, on-CPU only) over the publishing phase: where the server's time goes."""
    spy = Path(sys.executable).with_name("py-spy")
    cmd = [str(spy), "record", "-p", str(pid), "-r", "100", "-d", str(max(1, int(seconds) - 2)), "-f", "raw", "-o", path] + (["--native"] if os.environ.get("PYSPY_NATIVE") else [])
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_redis_cluster(tmp: str, masters: int) -> tuple[list[subprocess.Popen[bytes]], str]:
    """``masters`` cluster-enabled redis-servers (no persistence) joined by ``redis-cli --cluster create``."""
    ports = [free_port() for _ in range(masters)]
    procs = []
    for port in ports:
        workdir = Path(tmp) / f"redis-{port}"
        workdir.mkdir()
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)]
        args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", str(free_port())]
        procs.append(subprocess.Popen(["redis-server", *args], stdout=subprocess.DEVNULL))
    time.sleep(0.5)
    subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports], "--cluster-yes"], check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while "cluster_state:ok" not in subprocess.run(["redis-cli", "-p", str(ports[0]), "cluster", "info"], capture_output=True, text=True).stdout:
        if time.monotonic() > deadline:
            raise SystemExit("redis cluster did not come up")
        time.sleep(0.1)
    return procs, ",".join(f"redis://127.0.0.1:{p}" for p in ports)


def run(args: argparse.Namespace, ports: list[int], pids: list[int], redis_pids: list[int]) -> dict[str, Any]:
    stamp = int(time.time())
    rooms = [f"load-{stamp}-{i}" for i in range(args.rooms)]
    host_tok = auth.mint(SECRET, user_id="publisher", name="Host", room="*", role=Role.HOST)
    with httpx.Client(base_url=f"http://127.0.0.1:{ports[0]}", headers={"authorization": f"Bearer {host_tok}"}, timeout=30) as http:
        for room in rooms:
            http.post("/v1/rooms", json={"id": room, "title": "Load test"}).raise_for_status()
            http.post(f"/v1/rooms/{room}/live").raise_for_status()

    rss_before = sum(rss_kb(pid) for pid in pids)
    chatter = set(range(0, args.viewers, args.viewers // args.chatters)[: args.chatters]) if args.chatters else set()
    all_viewers = [
        (rooms[j % len(rooms)], auth.mint(SECRET, user_id=f"v{j}", name=f"Viewer {j}", room=rooms[j % len(rooms)], role=Role.VIEWER, ttl_seconds=7200), j in chatter) for j in range(args.viewers)
    ]
    ctx = mp.get_context("spawn")
    workers, pipes = [], []
    for i in range(args.procs):
        parent, child = ctx.Pipe()
        worker = ctx.Process(target=viewer.main, args=(child, "127.0.0.1", ports[i % len(ports)], all_viewers[i :: args.procs], args.fmt, f"127.0.0.{2 + i % 8}"), daemon=True)
        worker.start()
        workers.append(worker)
        pipes.append(parent)
    t_open = time.monotonic()
    for parent in pipes:
        kind, value = parent.recv()
        if kind != "ready":
            raise SystemExit(f"viewer process failed: {value}")
    open_seconds = time.monotonic() - t_open
    time.sleep(1)
    rss_after = sum(rss_kb(pid) for pid in pids)
    report: dict[str, Any] = {
        "nodes": len(ports),
        "redis": f"cluster of {args.redis_cluster} masters" if args.redis_cluster else ("one redis-server" if redis_pids else None),
        "workers_per_node": args.workers,
        "rooms": args.rooms,
        "viewers": args.viewers,
        "format": args.fmt,
        "connect_seconds": round(open_seconds, 2),
        "load_average_1_5_15": os.getloadavg(),  # when the viewers are open: the machine may be shared
        "server_rss_mb": round(rss_after / 1024, 1),
        "rss_kb_per_idle_connection": round((rss_after - rss_before) / args.viewers, 1) if pids else None,
    }
    if not args.idle:
        loop = asyncio.new_event_loop()  # the publisher's: its joins come before the measured phase
        hosts = loop.run_until_complete(publishers(ports, rooms)) if not args.chatters else []
        cpu_each = [cpu_seconds(pid) for pid in pids]
        redis_cpu0 = sum(cpu_seconds(pid) for pid in redis_pids)
        t0 = time.monotonic()
        spy = profile(pids[0], args.duration, args.profile) if args.profile and pids else None
        if args.chatters:  # the viewer processes' chatters post; their counts come with the stats
            for parent in pipes:
                parent.send(("chat", args.duration, args.rate / args.chatters, args.text_bytes))
            time.sleep(args.duration)
            sent = acked = 0
        else:
            sent, acked = loop.run_until_complete(publish(hosts, args.rate, args.duration, args.text_bytes))
        if spy is not None:
            spy.wait()
        time.sleep(args.settle)
        wall = time.monotonic() - t0
        cpu_each = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_each, strict=True)]
        cpu = sum(cpu_each) if pids else float("nan")
        redis_cpu = sum(cpu_seconds(pid) for pid in redis_pids) - redis_cpu0
        loop.run_until_complete(close_all(hosts))
        loop.close()
    for parent in pipes:
        parent.send("report")
    stats = []
    for parent in pipes:
        kind, value = parent.recv()
        if kind != "stats":
            raise SystemExit(f"viewer process failed: {value}")
        stats.append(value)
    for worker in workers:
        worker.join(10)
    if not args.idle:
        if args.chatters:
            sent, acked = sum(s["sent"] for s in stats), sum(s["acked"] for s in stats)
        expected = sent * args.viewers // args.rooms
        report |= {"rate_per_room": args.rate, "duration": args.duration, "sent": sent, "acknowledged": acked, "expected_deliveries": expected}
        hist = viewer.merge([s["hist"] for s in stats])
        delivered = sum(s["received"] for s in stats)
        frames = sum(s["frames"] for s in stats)
        report |= {
            "delivered": delivered,
            "delivered_pct": round(100 * delivered / expected, 3) if expected else None,
            "p50_ms": viewer.percentile(hist, 0.50),
            "p99_ms": viewer.percentile(hist, 0.99),
            "max_ms": max(hist) if hist else None,
            "deliveries_per_s": round(delivered / args.duration, 0),
            "frames_per_delivery": round(frames / delivered, 3) if delivered else None,
            "server_cpu_s": round(cpu, 2),
            "server_cpu_s_by_process": [round(c, 2) for c in cpu_each],  # with --workers: the supervisor, then each worker
            "server_cpu_us_per_delivery": round(cpu * 1e6 / delivered, 3) if delivered else None,
            "server_cpu_us_per_command": round(cpu * 1e6 / acked, 1) if acked else None,
            "redis_cpu_s": round(redis_cpu, 2) if redis_pids else None,
            "wall_s": round(wall, 1),
            "viewer_procs_cpu_s": round(sum(s["cpu_s"] for s in stats), 1),
        }
    closed: dict[str, int] = {}
    for s in stats:
        for code, k in s["closed"].items():
            closed[str(code)] = closed.get(str(code), 0) + k
    report["closed_during_run"] = closed
    return report


if __name__ == "__main__":
    main()
