from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.harness import Api, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real ``live serve`` (memory log, SQLite) shared by a test module."""
    srv = LiveServer(tmp_path_factory.mktemp("live")).start()
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


