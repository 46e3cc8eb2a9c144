"""Load generator: N viewers in one room, a publisher at R messages/s, the numbers.

    python -m loadtest.run --viewers 5000 --rate 100 --duration 20
    python -m loadtest.run --viewers 5000 --idle          # RSS per idle connection

Starts its own ``live serve`` (unless --port names a running one), spreads viewers
over several processes (one process holds at most ~20,000 sockets here, and the
client must not be the bottleneck), and reports delivered vs expected, p50/p99/max
publish-to-receive latency, deliveries/s, server CPU seconds and µs per delivery.
Bounded: it stops by itself after the run.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import connect

from live import auth
from loadtest import viewer
from rooms.roles import Role

SECRET = "loadtest-secret-loadtest-secret-loadtest-secret-64-bytes-long!!"
ROOT = Path(__file__).resolve().parent.parent
CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_server(port: int, tmp: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    full = os.environ | {
        "LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/load.db",
        "LIVE_TOKEN_SECRET": SECRET,
        "LIVE_COMMANDS_PER_SECOND": "100000",
        "LIVE_COMMAND_BURST": "100000",
    } | env
    proc = subprocess.Popen([sys.executable, "-m", "live.cli", "serve", "--port", str(port)], cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/server.log", "wb"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


async def publish(port: int, room: str, rate: float, duration: float, text_bytes: int) -> tuple[int, int]:
    """Post rate x duration messages at a steady pace; returns (sent, acknowledged)."""
    tok = auth.mint(SECRET, user_id="publisher", name="Host", room=room, role=Role.HOST)
    acked = 0
    async with connect(f"ws://127.0.0.1:{port}/v1/rooms/{room}/ws", subprotocols=["live.v1.json"], compression=None, max_size=None) as ws:  # type: ignore[list-item]
        await ws.send(orjson.dumps({"type": "hello", "id": "h", "token": tok}).decode())

        async def read() -> None:
            nonlocal acked
            async for frame in ws:
                acked += sum(1 for m in orjson.loads(frame) if m["type"] == "reply" and m.get("ok"))

        reader = asyncio.create_task(read())
        total = int(rate * duration)
        start = time.monotonic()
        for k in range(total):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            head = f"{k} {time.time() * 1000:.3f} "
            await ws.send(orjson.dumps({"type": "chat.post", "id": k, "text": head + "x" * max(0, text_bytes - len(head))}).decode())
        await asyncio.sleep(1)
        reader.cancel()
    return total, acked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100, help="messages per second")
    ap.add_argument("--duration", type=float, default=15, help="seconds of publishing")
    ap.add_argument("--settle", type=float, default=5, help="seconds to wait for stragglers after publishing")
    ap.add_argument("--procs", type=int, default=4, help="viewer processes")
    ap.add_argument("--fmt", choices=["json", "msgpack"], default="json")
    ap.add_argument("--text-bytes", type=int, default=200)
    ap.add_argument("--idle", action="store_true", help="only open the viewers and measure memory")
    ap.add_argument("--port", type=int, help="use a running server (its token secret must be the loadtest one)")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server it starts")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="live-load-")
    server = None
    port = args.port
    if port is None:
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = start_server(port, tmp, dict(kv.split("=", 1) for kv in args.env))
    pid = server.pid if server else None
    try:
        report = run(args, port, pid)
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
    print(json.dumps(report, indent=2))


def run(args: argparse.Namespace, port: int, pid: int | None) -> dict[str, Any]:
    room = f"load-{int(time.time())}"
    host_tok = auth.mint(SECRET, user_id="publisher", name="Host", room="*", role=Role.HOST)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"authorization": f"Bearer {host_tok}"}, timeout=30)
    http.post("/v1/rooms", json={"id": room, "title": "Load test"}).raise_for_status()
    http.post(f"/v1/rooms/{room}/live").raise_for_status()

    rss_before = rss_kb(pid) if pid else 0
    ctx = mp.get_context("spawn")
    procs, pipes = [], []
    per = [args.viewers // args.procs + (1 if i < args.viewers % args.procs else 0) for i in range(args.procs)]
    n = 0
    for i, count in enumerate(per):
        tokens = [auth.mint(SECRET, user_id=f"v{n + j}", name=f"Viewer {n + j}", room=room, role=Role.VIEWER, ttl_seconds=7200) for j in range(count)]
        n += count
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=viewer.main, args=(child, "127.0.0.1", port, room, tokens, args.fmt, f"127.0.0.{2 + i % 8}"), daemon=True)
        proc.start()
        procs.append(proc)
        pipes.append(parent)
    t_open = time.monotonic()
    for parent in pipes:
        kind, value = parent.recv()
        if kind != "ready":
            raise SystemExit(f"viewer process failed: {value}")
    open_seconds = time.monotonic() - t_open
    time.sleep(1)
    rss_after = rss_kb(pid) if pid else 0
    report: dict[str, Any] = {
        "viewers": args.viewers,
        "format": args.fmt,
        "connect_seconds": round(open_seconds, 2),
        "server_rss_mb": round(rss_after / 1024, 1),
        "rss_kb_per_idle_connection": round((rss_after - rss_before) / args.viewers, 1) if pid else None,
    }
    if not args.idle:
        cpu0 = cpu_seconds(pid) if pid else 0.0
        t0 = time.monotonic()
        sent, acked = asyncio.run(publish(port, room, args.rate, args.duration, args.text_bytes))
        time.sleep(args.settle)
        wall = time.monotonic() - t0
        cpu = (cpu_seconds(pid) - cpu0) if pid else float("nan")
        expected = sent * args.viewers
        report |= {"rate": args.rate, "duration": args.duration, "sent": sent, "acknowledged": acked, "expected_deliveries": expected}
    for parent in pipes:
        parent.send("report")
    stats = []
    for parent in pipes:
        kind, value = parent.recv()
        if kind != "stats":
            raise SystemExit(f"viewer process failed: {value}")
        stats.append(value)
    for proc in procs:
        proc.join(10)
    if not args.idle:
        hist = viewer.merge([s["hist"] for s in stats])
        delivered = sum(s["received"] for s in stats)
        frames = sum(s["frames"] for s in stats)
        report |= {
            "delivered": delivered,
            "delivered_pct": round(100 * delivered / expected, 3) if expected else None,
            "p50_ms": viewer.percentile(hist, 0.50),
            "p99_ms": viewer.percentile(hist, 0.99),
            "max_ms": max(hist) if hist else None,
            "deliveries_per_s": round(delivered / (args.duration), 0),
            "frames_per_delivery": round(frames / delivered, 3) if delivered else None,
            "server_cpu_s": round(cpu, 2),
            "server_cpu_us_per_delivery": round(cpu * 1e6 / delivered, 3) if delivered else None,
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
