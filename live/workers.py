"""``live serve --workers N``: N processes on one port, each a node of the shared Redis backend.

One Python process uses one core. Each worker binds the port itself with
``SO_REUSEPORT``, so the kernel spreads new connections evenly over the workers (by
a hash of the client's address and port) and a worker that dies takes only its own
listening socket with it. Each worker is a node like any other (its own node id,
room replicas, persister leases), which is why more than one needs Redis: the memory
log lives inside one process.

The supervisor (the process you started) applies the schema once, starts the
workers, starts a new one when one dies (its viewers reconnect to the others and
resume from their last ``seq``), and on SIGTERM or SIGINT passes SIGTERM on and
waits for the workers to drain.
"""

import asyncio
import logging
import multiprocessing as mp
import os
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from live.settings import Settings

logger = logging.getLogger("live.workers")

QUICK_DEATH_SECONDS = 10.0  # a worker that dies sooner after its start did not start
MAX_QUICK_DEATHS = 3  # in a row: the supervisor gives up instead of restarting in a loop
STOP_MARGIN_SECONDS = 10.0  # after the graceful shutdown time, stragglers are killed


def refusal(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot serve with these settings (None: they can)."""
    if workers < 1:
        return "--workers must be at least 1"
    if workers > 1 and settings.log != "redis" and not settings.redis_url:
        return f"--workers {workers} needs the Redis backend (--redis-url or LIVE_REDIS_URL): each worker is a node, and the memory log cannot be shared between processes"
    return None


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket that other workers bind too (the kernel balances between them)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def migrate_once(settings: Settings) -> None:
    """The schema, applied before any worker starts (workers doing it at once would race)."""
    from live.store import Store

    async def run() -> None:
        store = Store(settings.database_url)
        try:
            await store.migrate()
        finally:
            await store.close()

    asyncio.run(run())


class Supervisor:
    def __init__(self, target: Callable[[dict[str, Any]], None], flags: dict[str, Any], workers: int, grace_seconds: float) -> None:
        self.target, self.flags, self.count, self.grace = target, flags, workers, grace_seconds
        self.procs: dict[int, tuple[BaseProcess, float]] = {}  # slot -> (process, started at)
        self.stopping = False
        # Forked from a process that has imported the server but started nothing (no loop,
        # no Redis client, no thread): a worker starts in a moment and shares the code pages.
        self._context = mp.get_context("fork")

    def run(self) -> int:
        """Until a signal, or until workers keep dying at start; the exit status."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for slot in range(self.count):
            self._start(slot)
        quick_deaths, status = 0, 0
        while not self.stopping:
            wait([p.sentinel for p, _ in self.procs.values()], timeout=0.5)
            for slot, (proc, started) in list(self.procs.items()):
                if proc.is_alive() or self.stopping:
                    continue
                quick = time.monotonic() - started < QUICK_DEATH_SECONDS
                quick_deaths = quick_deaths + 1 if quick else 0
                if quick_deaths >= MAX_QUICK_DEATHS:
                    logger.error("workers keep exiting at start (last: pid %s, status %s); stopping", proc.pid, proc.exitcode)
                    self.stopping, status = True, 1
                    break
                logger.warning("worker %d (pid %s) exited with status %s; starting a new one", slot, proc.pid, proc.exitcode)
                self._start(slot)
        self._stop_all()
        return status

    def _start(self, slot: int) -> None:
        proc = self._context.Process(target=self.target, args=(self.flags,), name=f"live-worker-{slot}", daemon=False)
        proc.start()
        self.procs[slot] = (proc, time.monotonic())
        logger.info("worker %d started (pid %s)", slot, proc.pid)

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        for proc, _ in self.procs.values():
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace + STOP_MARGIN_SECONDS
        for proc, _ in self.procs.values():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                logger.error("worker pid %s did not stop in time; killing it", proc.pid)
                proc.kill()
                proc.join()
