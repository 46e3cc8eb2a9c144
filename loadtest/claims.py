"""Claim race: B distinct buyers claim one unit each of a flash offer at the same moment.

    python -m loadtest.claims --buyers 10000 --units 5000              # one node
    python -m loadtest.claims --buyers 10000 --units 5000 --nodes 3    # three nodes on a redis-server

Every buyer holds a connection (spread over viewer processes and, with --nodes, over the
nodes); on a signal each sends one ``offer.claim`` with its own idempotency key. It
reports claims/s (buyers over the time from the signal to the last reply), how many
were accepted (exactly ``units`` must be: never oversold) and the servers' CPU.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import shutil
import subprocess
import tempfile
import time
from typing import Any

import httpx

from live import auth
from live.client import LiveClient
from loadtest import viewer
from loadtest.run import SECRET, cpu_seconds, free_port, profile, start_node
from rooms.roles import Role


async def open_offer(port: int, room: str, units: int) -> int:
    host = auth.mint(SECRET, user_id="publisher", name="Host", room="*", role=Role.HOST)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"authorization": f"Bearer {host}"}, timeout=30) as http:
        product = [{"id": "tee", "sku": "TEE", "title": "Tee", "price": 150000, "currency": "IDR"}]
        (await http.put("/v1/catalog/@publisher/products", json=product)).raise_for_status()
        (await http.post("/v1/rooms", json={"id": room, "title": "Claim race"})).raise_for_status()
        (await http.post(f"/v1/rooms/{room}/live")).raise_for_status()
    client = await LiveClient.connect(f"ws://127.0.0.1:{port}/v1/rooms/{room}/ws", host)
    offer = await client.request("offer.create", product_id="tee", units=units, per_buyer_limit=1, duration_seconds=600)
    await client.close()
    return int(offer["offer_id"])


def race(args: argparse.Namespace, ports: list[int], pids: list[int]) -> dict[str, Any]:
    room = f"race-{int(time.time())}"
    offer_id = asyncio.run(open_offer(ports[0], room, args.units))
    buyers = [(room, auth.mint(SECRET, user_id=f"b{j}", name=f"Buyer {j}", room=room, role=Role.VIEWER, ttl_seconds=7200), False) for j in range(args.buyers)]
    ctx = mp.get_context("spawn")
    pipes, workers = [], []
    for i in range(args.procs):
        parent, child = ctx.Pipe()
        worker = ctx.Process(target=viewer.main, args=(child, "127.0.0.1", ports[i % len(ports)], buyers[i :: args.procs], "json", f"127.0.0.{2 + i % 8}"), daemon=True)
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    for parent in pipes:
        if (got := parent.recv())[0] != "ready":
            raise SystemExit(f"buyer process failed: {got[1]}")
    time.sleep(1)
    spy = profile(pids[0], args.wait, args.profile) if args.profile else None
    cpu0, t0 = sum(cpu_seconds(p) for p in pids), time.time()
    for parent in pipes:
        parent.send(("burst", {"type": "offer.claim", "id": "claim", "offer_id": offer_id, "units": 1, "key": "k-{i}"}))
    time.sleep(args.wait)
    if spy is not None:
        spy.wait()
    cpu = sum(cpu_seconds(p) for p in pids) - cpu0
    stats = []
    for parent in pipes:
        parent.send("report")
        stats.append(parent.recv()[1])
    for worker in workers:
        worker.join(10)
    replies, accepted = sum(s["replies"] for s in stats), sum(s["acked"] for s in stats)
    took = max(s["last_reply"] for s in stats) - t0
    return {
        "nodes": len(ports),
        "buyers": args.buyers,
        "units": args.units,
        "replies": replies,
        "accepted": accepted,
        "oversold": accepted > args.units,
        "seconds_to_last_reply": round(took, 3),
        "claims_per_s": round(replies / took) if took > 0 else None,
        "server_cpu_s": round(cpu, 2),
        "server_cpu_us_per_claim": round(cpu * 1e6 / replies, 1) if replies else None,
        "frames_per_buyer": round(sum(s["frames_measured"] for s in stats) / args.buyers, 2),  # in the race: the reply, stock counters, the sold-out notice
        "closed_during_run": {str(k): v for s in stats for k, v in s["closed"].items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--buyers", type=int, default=10_000)
    ap.add_argument("--units", type=int, default=5_000)
    ap.add_argument("--nodes", type=int, default=1)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--profile", help="py-spy record node 0 during the race, collapsed stacks to this file")
    ap.add_argument("--wait", type=float, default=15, help="seconds to wait for the replies")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="live-claims-")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        env: dict[str, str] = {}
        if args.nodes > 1:
            rport = free_port()
            procs.append(subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL))
            time.sleep(0.3)
            env["LIVE_REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
        ports = [free_port() for _ in range(args.nodes)]
        nodes = [start_node(port, tmp, env) for port in ports]
        procs += nodes
        report = race(args, ports, [n.pid for n in nodes])
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(15)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
