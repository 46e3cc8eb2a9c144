"""What operators see: /metrics after real traffic, JSON log lines, and the dashboard.

A real ``live serve`` (debug logs, a persist interval long enough to watch the lag) on
each log backend, with real clients: a chat post, a flash-offer claim, refusals by the
abuse limits; then the metrics an operator would graph and the log lines they would grep.
"""

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
from prometheus_client import Counter, Gauge, Histogram, Info

from live import metrics
from live.settings import Settings
from tests.harness import ROOT, Api, Client, LiveServer, bearer, eventually, free_port, scrape, token, value

BRAND = bearer(token("acme", "*", "brand"))
CATALOG = [{"id": "tee", "sku": "TEE-1", "title": "Tee", "price": 1000, "currency": "USD", "stock": 10}]
DASHBOARD = ROOT / "deploy" / "grafana-dashboard.json"


@pytest.fixture(scope="module", params=["memory", "redis"])
def observed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {
        "LIVE_LOG_LEVEL": "debug",
        "LIVE_PERSIST_INTERVAL_MS": "60000",  # the lag stays up until the room's end persists it
        "LIVE_COMMAND_BURST": "5",
        "LIVE_COMMANDS_PER_SECOND": "0.2",  # a token every 5 s: a busy machine cannot refill the bucket mid-test
        "LIVE_MAX_CONNECTIONS_PER_USER": "1",
        "LIVE_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/checkout",  # nobody listens: network errors
        "LIVE_WEBHOOK_SECRET": "a merchant's webhook key of at least 32 bytes",
    }
    if request.param == "redis":
        env["LIVE_REDIS_URL"] = request.getfixturevalue("redis_server").url
    srv = LiveServer(tmp_path_factory.mktemp("observed"), **env).start()
    yield srv
    srv.stop()


@pytest.fixture
async def oapi(observed: LiveServer) -> AsyncIterator[Api]:
    client = Api(observed)
    yield client
    await client.http.aclose()


async def test_metrics_follow_commands_deliveries_persistence_and_limits(observed: LiveServer, oapi: Api, room_id: str) -> None:
    before = await scrape(oapi)
    assert (await oapi.http.put("/v1/catalog/acme/products", json=CATALOG, headers=BRAND)).status_code == 200
    created = await oapi.http.post("/v1/rooms", json={"id": room_id, "title": "Drop", "brand_id": "acme", "host_id": "host1"}, headers=BRAND)
    assert created.status_code == 201, created.text
    assert (await oapi.http.post(f"/v1/rooms/{room_id}/live", headers=bearer(token("host1", room_id, "host")))).status_code == 200
    url = observed.ws_url(room_id)
    host = await Client.join(url, token("host1", room_id, "host"))
    ana = await Client.join(url, token("ana", room_id))
    offer = await host.request("offer.create", product_id="tee", units=3, price=900, duration_seconds=60)
    assert offer["ok"], offer
    assert (await ana.request("offer.claim", offer_id=offer["result"]["offer_id"], units=1, key="k1"))["ok"]
    assert (await ana.request("chat.post", text="got one!"))["ok"]
    await host.wait_for(lambda: host.events("chat.message"))

    # Refusals: a connection past its own bucket (burst 5), a second connection of one user.
    pings = [await ana.request("ping") for _ in range(4)]
    assert "error" not in pings[2] and pings[3]["error"]["code"] == "rate_limited", "claim, chat and 3 pings: the burst"
    assert (await ana.request("chat.post", text="spam"))["error"]["code"] == "rate_limited"
    second = await Client.open(url)
    await second.send_raw(second.encode({"type": "hello", "id": "h", "token": token("ana", room_id)}))
    assert (await second.wait_for(lambda: second.replies.get("h")))["error"]["code"] == "rate_limited"

    during = await scrape(oapi)
    assert value(during, "live_command_seconds_count", outcome="accepted") - value(before, "live_command_seconds_count", outcome="accepted") >= 3
    assert value(during, "live_command_seconds_count", outcome="error") > value(before, "live_command_seconds_count", outcome="error"), "the refused chat.post"
    assert value(during, "live_delivery_seconds_count") > value(before, "live_delivery_seconds_count")
    assert value(during, "live_fanout_flush_seconds_count") > value(before, "live_fanout_flush_seconds_count")
    assert value(during, "live_frames_written_total") > value(before, "live_frames_written_total")
    assert value(during, "live_rate_limited_total", kind="connection") > value(before, "live_rate_limited_total", kind="connection")
    assert value(during, "live_rate_limited_total", kind="user_connections") > value(before, "live_rate_limited_total", kind="user_connections")
    assert value(during, "live_connections") >= 2 and value(during, "live_rooms_open") >= 1
    assert value(during, "live_persist_lag_entries") >= 3, "the offer, the claim and the chat are not persisted yet"
    assert value(during, "live_persist_lag_seconds") > 0
    if "LIVE_REDIS_URL" in observed.env:
        assert value(during, "live_redis_append_seconds_count") >= 4

    # Ending the room persists its log before the answer: the lag is back at 0.
    assert (await oapi.http.post(f"/v1/rooms/{room_id}/end", headers=bearer(token("host1", room_id, "host")))).status_code == 200
    after = await eventually(lambda: scrape(oapi), lambda s: value(s, "live_persist_lag_entries") == 0)
    assert value(after, "live_persist_lag_seconds") == 0
    assert value(after, "live_persist_write_seconds_count") > value(before, "live_persist_write_seconds_count")
    # The claim's order.reserved, now persisted, goes to a checkout that does not answer.
    failed = await eventually(
        lambda: scrape(oapi), lambda s: value(s, "live_webhook_deliveries_total", outcome="network_error") > value(before, "live_webhook_deliveries_total", outcome="network_error")
    )
    assert value(failed, "live_webhook_seconds_count") > value(before, "live_webhook_seconds_count")
    for c in (host, ana, second):
        await c.close()


def log_lines(server: LiveServer) -> list[dict[str, Any]]:
    text = server.log_path.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    for line in parsed:
        assert {"ts", "level", "logger", "msg", "node"} <= set(line), line
    return parsed


async def test_logs_are_json_lines_naming_room_connection_and_request(observed: LiveServer, oapi: Api, room_id: str) -> None:
    await oapi.live_room(room_id)
    secret = token("cy", room_id)
    cy = await Client.join(observed.ws_url(room_id), secret)
    conn = await eventually(lambda: asyncio.sleep(0, log_lines(observed)), lambda lines: any(line["msg"].startswith("socket open") and line.get("room") == room_id for line in lines))
    conn_id = next(line["conn"] for line in conn if line["msg"].startswith("socket open") and line.get("room") == room_id)
    await cy.close()
    await eventually(lambda: asyncio.sleep(0, log_lines(observed)), lambda lines: any(line["msg"].startswith("socket closed") and line.get("conn") == conn_id for line in lines))

    # A request id given is echoed and logged with the request's lines; a silly one is replaced.
    missing = await oapi.http.get(f"/v1/rooms/nope?token={secret}", headers={"x-request-id": "obs-req-42"})
    assert missing.status_code == 404 and missing.headers["x-request-id"] == "obs-req-42"
    silly = await oapi.http.get(f"/v1/rooms/{room_id}", headers={"x-request-id": "x" * 65})
    assert silly.status_code == 200 and re.fullmatch("[0-9a-f]{32}", silly.headers["x-request-id"])
    lines = await eventually(lambda: asyncio.sleep(0, log_lines(observed)), lambda lines: any(line.get("request_id") == "obs-req-42" for line in lines))
    mine = [line for line in lines if line.get("request_id") == "obs-req-42"]
    assert all(line["room"] == "nope" for line in mine) and any("404" in line["msg"] for line in mine)
    errors = [line for line in lines if line["level"] in ("warning", "error") and line["logger"] == "live.http"]
    assert all(line.get("request_id") for line in errors), "an HTTP request's error line names its request"

    # The node in the lines is the node /metrics names; no token anywhere.
    nodes = {line["node"] for line in lines}
    samples = await scrape(oapi)
    assert [dict(labels)["node"] for (name, labels) in samples if name == "live_node_info"] == [*nodes]
    text = observed.log_path.read_text()
    assert secret.split(".")[2] not in text and secret not in text


def test_log_format_is_text_in_development_and_json_otherwise() -> None:
    assert Settings().log_json and not Settings(dev=True).log_json
    assert Settings(dev=True, log_format="json").log_json and not Settings(log_format="text").log_json


# --- the dashboard ---------------------------------------------------------------------


def exported_names() -> dict[str, set[str]]:
    """Each metric in live/metrics.py -> the series names Prometheus sees for it."""
    suffixes = {Counter: ("_total",), Histogram: ("_bucket", "_count", "_sum"), Info: ("_info",), Gauge: ("",)}
    out: dict[str, set[str]] = {}
    for obj in vars(metrics).values():
        if isinstance(obj, Counter | Histogram | Info | Gauge):
            name = next(iter(obj.describe())).name  # without the suffixes
            out[name] = {name + suffix for suffix in suffixes[type(obj)]}
    return out


def dashboard_exprs(path: Path) -> list[str]:
    board = json.loads(path.read_text())
    assert board["title"] and board["uid"] and isinstance(board["schemaVersion"], int)
    exprs = []
    for panel in board["panels"]:
        assert {"id", "type", "title", "gridPos"} <= set(panel), panel
        for target in panel.get("targets", []):
            exprs.append(target["expr"])
    return exprs


def test_the_dashboard_graphs_every_metric_and_only_metrics_that_exist() -> None:
    names = exported_names()
    assert len(names) >= 20
    series = set().union(*names.values())
    used: set[str] = set()
    for expr in dashboard_exprs(DASHBOARD):
        # Grafana's variables stand in for values: the rest must be PromQL.
        promql_parser.parse(expr.replace("$__rate_interval", "5m").replace("$instance", ".*"))
        referenced = set(re.findall(r"\blive_[a-z_]+", expr))
        assert referenced <= series, f"{expr} names {referenced - series}, not in live/metrics.py"
        used |= referenced
    unused = sorted(name for name, exported in names.items() if not exported & used)
    assert not unused, f"metrics no panel uses: {unused}"
