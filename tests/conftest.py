import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import IO

import pytest
from playwright.async_api import Browser, async_playwright

from tests.harness import ROOT, Api, LiveServer, RedisClusterServer, RedisServer
from tests.pages import CHROMIUM_ARGS, Site, two_nodes
from tests.worlds import World, make_world


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server for the tests that share one."""
    srv = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module", params=["memory", "redis"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real ``live serve`` (SQLite) per test module, on each log backend in turn."""
    env = {"LIVE_REDIS_URL": request.getfixturevalue("redis_server").url} if request.param == "redis" else {}
    srv = LiveServer(tmp_path_factory.mktemp("live"), **env).start()
    yield srv
    srv.stop()


@pytest.fixture
async def api(server: LiveServer) -> AsyncIterator[Api]:
    client = Api(server)
    yield client
    await client.http.aclose()


@pytest.fixture(params=["json", "msgpack"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def room_id(request: pytest.FixtureRequest) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:60]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL (127.0.0.1:5432, user postgres, trust) for one
    test module: no module sees another's rows (a privacy export counts every room naming a
    person, so another module's "ana" would be in it)."""
    import os
    import subprocess
    import uuid

    name = f"live_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True)
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)


@pytest.fixture(scope="module")
def module_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server without persistence for one test module (the contract suites)."""
    srv = RedisServer(tmp_path_factory.mktemp("redis"), aof=False).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def module_redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServer]:
    """A private Redis Cluster (three masters, no persistence) for one test module (the contract suites)."""
    srv = RedisClusterServer(tmp_path_factory.mktemp("redis-cluster"), aof=False).start()
    yield srv
    srv.stop()


@pytest.fixture(params=["memory", "redis", "redis-cluster"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    """Backends of one kind, one set per node (tests/worlds.py); the suites run on each."""
    made = make_world(request)
    yield made
    await made.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Two nodes on Redis with a media/merchant origin beside them, for the page tests of one module."""
    with two_nodes(tmp_path_factory.mktemp("pages")) as made:
        yield made


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (Playwright drives it; no browser download)."""
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        await b.close()


MYPY_TEST = "tests/test_house.py::test_mypy_strict_is_clean"
MYPY_RUN = pytest.StashKey[tuple[subprocess.Popen[bytes], IO[bytes]]]()


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: mypy starts only when its test runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The house rules first: they are quick, and CPython 3.11.7's ``ast.parse`` can fail
    with "AST constructor recursion depth mismatch" late in a long run (after a deep
    recursion elsewhere in the process), which is that interpreter's bug, not the code's.

    mypy (25 s of CPU on a fresh checkout) starts now in a process of its own at a lower
    priority and is judged last: the suite leaves about half of this machine's two cores idle."""
    items.sort(key=lambda item: 2 if item.nodeid == MYPY_TEST else 0 if item.nodeid.startswith("tests/test_house.py") else 1)
    if any(item.nodeid == MYPY_TEST for item in items):
        out = tempfile.TemporaryFile()  # noqa: SIM115 - read and closed by the test
        config.stash[MYPY_RUN] = (subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "mypy"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT), out)


def pytest_unconfigure(config: pytest.Config) -> None:
    if (run := config.stash.get(MYPY_RUN, None)) is not None and run[0].poll() is None:
        run[0].kill()  # the run stopped before its test


@pytest.fixture
def mypy_run(request: pytest.FixtureRequest) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """The mypy process started at collection, and the file its output goes to."""
    return request.config.stash[MYPY_RUN]
