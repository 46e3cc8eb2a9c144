"""What open rooms cost a node while nothing happens in them: the node's own loops only.

    python -m loadtest.idle_rooms                       # 500 rooms × 10 members, embedded backends
    python -m loadtest.idle_rooms --rooms 5000          # many small rooms
    python -m loadtest.idle_rooms --redis redis://127.0.0.1:6379/0   # presence on Redis

Members are in-process (their sink keeps nothing), so the figure leaves out sockets,
keepalive pings and the kernel, which ``loadtest.run --rate 0.0001`` measures with them.
What is left is the node's periodic work for its open rooms: the signal loop (viewer
counts, reactions, deadlines, presence heartbeats), the sampler and the collector.
Reported: CPU ms per second for the node, and µs per room per second.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from typing import Any

import uvloop

from live.app import create_app
from live.room.fanout import Member
from live.settings import Settings
from loadtest.ingest import SECRET, CountingSink, open_live_rooms
from rooms.commands import Actor
from rooms.roles import Role
from rooms.types import RoomId, UserId


async def bench(args: argparse.Namespace, db: str) -> dict[str, Any]:
    os.environ.update(
        {
            "LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "LIVE_TOKEN_SECRET": SECRET,
            "LIVE_ROOMS_PER_HOST_PER_HOUR": "1000000",
            "LIVE_UNLIMITED_ADDRESSES": '["127.0.0.1"]',
        }
    )
    if args.redis:
        os.environ.update({"LIVE_LOG": "redis", "LIVE_REDIS_URL": args.redis})
    app = create_app(Settings())
    node, starlette = app.node, app.http.app
    rooms = [f"idle-{int(time.time())}-{i}" for i in range(args.rooms)]  # new ids: a Redis may hold an earlier run's
    async with starlette.router.lifespan_context(starlette):
        await open_live_rooms(app, rooms)
        for i, room in enumerate(rooms):
            rt = await node.runtime(RoomId(room))
            assert rt is not None
            for j in range(args.members):
                actor = Actor(user_id=UserId(f"u{i}-{j}"), name=f"User {j}", role=Role.VIEWER)
                rt.join(Member(f"c{i}-{j}", actor, CountingSink()), None, None, None)
        await asyncio.sleep(3)  # the joins' counts reported, the persister caught up
        print(f"measuring for {args.seconds} s (pid {os.getpid()})", file=sys.stderr, flush=True)  # a profiler may attach now
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(args.seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        return {
            "rooms": args.rooms,
            "members_per_room": args.members,
            "backend": "redis" if args.redis else "memory",
            "seconds": round(wall, 1),
            "cpu_ms_per_second": round(1e3 * cpu / wall, 2),
            "cpu_us_per_room_per_second": round(1e6 * cpu / wall / args.rooms, 2),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", type=int, default=500)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--redis", help="a Redis URL: the log and presence on Redis instead of the embedded backends")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(uvloop.run(bench(args, os.path.join(tmp, "idle.db"))), indent=2))


if __name__ == "__main__":
    main()
