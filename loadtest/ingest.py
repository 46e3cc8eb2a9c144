"""The server's own cost per message, without the kernel: socket → decode → log → fold →
encode → fan-out → persist, in one process, with members whose sink only counts bytes.

    python -m loadtest.ingest                      # 500 rooms × 10 members, 20,000 posts by the host
    python -m loadtest.ingest --members 2000 --rooms 1 --posters 400 --posts 20000   # a chatty room
    python -m loadtest.ingest --profile out.prof   # cProfile of the measured phase

The loopback benchmarks (``loadtest.run``) measure the same path plus one ``write`` per
delivery, which on this machine costs 12–19 µs of kernel time each (``docs/benchmarks.md``);
this one isolates what is ours, so a change to the ingest path shows in seconds, not in
a minute of noisy runs. Reported: CPU µs per message (main thread) and per delivery, and
the persister's lag (every post must reach SQL before it stops).
"""

import argparse
import asyncio
import cProfile
import json
import os
import tempfile
import time
from typing import Any

import httpx
import orjson
import uvloop
from sqlalchemy import text

from live import auth
from live.app import create_app
from live.node import Node
from live.room.fanout import Member
from live.settings import Settings
from live.sockets.session import Session
from live.wire.codec import Format
from rooms.commands import Actor
from rooms.roles import Role
from rooms.types import RoomId, UserId

SECRET = "ingest-benchmark-secret-0123456789abcdef"


class CountingSink:
    """A member's transport that keeps nothing: counts frames and bytes written."""

    def __init__(self) -> None:
        self.fmt = Format.JSON
        self.frames = self.bytes = 0

    def write(self, frame: bytes) -> int:
        self.frames += 1
        self.bytes += len(frame)
        return 0

    def buffered(self) -> int:
        return 0

    def limit_send_buffer(self, nbytes: int) -> None:
        pass

    def close(self, code: Any, reason: str) -> None:
        pass


async def bench(args: argparse.Namespace, db: str) -> dict[str, Any]:
    os.environ.update(
        {
            "LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "LIVE_TOKEN_SECRET": SECRET,
            "LIVE_COMMANDS_PER_SECOND": "1000000",
            "LIVE_COMMAND_BURST": "1000000",
            "LIVE_ROOMS_PER_HOST_PER_HOUR": "1000000",
            "LIVE_UNLIMITED_ADDRESSES": '["127.0.0.1"]',
        }
    )
    app = create_app(Settings())
    node, starlette = app.node, app.http.app
    async with starlette.router.lifespan_context(starlette):
        await open_live_rooms(app, [f"r{i}" for i in range(args.rooms)])
        sinks: list[CountingSink] = []
        posters: list[Session] = []
        for i in range(args.rooms):
            rt = await node.runtime(RoomId(f"r{i}"))
            assert rt is not None
            for j in range(args.members + args.posters):
                role = Role.HOST if j == 0 else Role.VIEWER
                actor = Actor(user_id=UserId("host" if j == 0 else f"u{i}-{j}"), name=f"User {j}", role=role)
                sink = CountingSink()
                member = Member(f"c{i}-{j}", actor, sink)
                rt.join(member, None, None, None)
                if j < args.posters:
                    posters.append(Session(node, rt, member, "127.0.0.1", None))
                else:
                    sinks.append(sink)
        await asyncio.sleep(0.5)
        for sink in sinks:
            sink.frames = sink.bytes = 0
        frames = [orjson.dumps({"type": "chat.post", "id": k, "text": f"message {k} " + "x" * 40}) for k in range(args.posts)]
        profiler = cProfile.Profile() if args.profile else None
        cpu0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        pace = args.rate
        for k, data in enumerate(frames):
            posters[k % len(posters)].message(data)
            if k % 20 == 19:  # the loop runs between arrivals, as with sockets
                delay = wall0 + (k + 1) / pace - time.perf_counter()
                await asyncio.sleep(max(0.0, delay))
        await asyncio.sleep(0.1)
        while await _persisted(node) < args.posts:  # noqa: ASYNC110 - polling SQL, which has no event to wait on
            await asyncio.sleep(0.05)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        cpu, thread, wall = time.process_time() - cpu0, time.thread_time() - thread0, time.perf_counter() - wall0
        deliveries = sum(s.frames for s in sinks)
        return {
            "rooms": args.rooms,
            "members_per_room": args.members,
            "posters_per_room": args.posters,
            "posts": args.posts,
            "rate": args.rate,
            "wall_s": round(wall, 2),
            "frames_to_members": deliveries,
            "cpu_us_per_post": round(1e6 * cpu / args.posts, 1),
            "main_thread_us_per_post": round(1e6 * thread / args.posts, 1),
            "cpu_us_per_delivery": round(1e6 * cpu / max(1, args.posts * args.members), 2),
        }


async def open_live_rooms(app: Any, room_ids: list[str]) -> None:
    """Create each room and take it live through the HTTP API, in process (inside the app's lifespan)."""
    token = auth.mint(SECRET, user_id="host", name="Host", room="*", role=Role.HOST)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers={"authorization": f"Bearer {token}"}) as http:
        for room in room_ids:
            (await http.post("/v1/rooms", json={"id": room, "title": "Bench"})).raise_for_status()
            (await http.post(f"/v1/rooms/{room}/live")).raise_for_status()


async def _persisted(node: Node) -> int:
    """Chat messages in the transcript: every post accepted, folded and written to SQL."""
    async with node.store.engine.connect() as conn:
        return int((await conn.execute(text("select count(*) from events where type = 'chat.message'"))).scalar_one())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", type=int, default=500)
    ap.add_argument("--members", type=int, default=10, help="members per room besides the posters")
    ap.add_argument("--posters", type=int, default=1, help="posting members per room (the first is the host)")
    ap.add_argument("--posts", type=int, default=20_000, help="posts in all, round robin over rooms and posters")
    ap.add_argument("--rate", type=float, default=2000, help="posts per second (all rooms)")
    ap.add_argument("--profile", help="cProfile of the measured phase to this file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(uvloop.run(bench(args, os.path.join(tmp, "ingest.db"))), indent=2))  # the server's loop


if __name__ == "__main__":
    main()
