"""Co-hosts end to end on two nodes over one Redis: invited by the host, host powers from
their accept until removed, whatever their token says; sales stay the room's and its affiliates'."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import Api, Client, Cluster, RedisServer, bearer, eventually, token

FAST = {"LIVE_COMMANDS_PER_SECOND": "1000", "LIVE_COMMAND_BURST": "1000"}
BRAND = bearer(token("acme", "*", "brand"))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    redis = RedisServer(tmp_path, aof=False).start()
    c = Cluster(tmp_path, redis, 2, **FAST).start()
    yield c
    c.stop()
    redis.stop()


async def test_a_cohost_runs_the_show_with_the_host_until_removed(cluster: Cluster) -> None:
    n0, n1 = cluster.nodes
    api = Api(n0)
    catalog = [{"id": "tee", "sku": "T", "title": "Tee", "price": 100, "currency": "USD"}]
    assert (await api.http.put("/v1/catalog/acme/products", json=catalog, headers=BRAND)).status_code == 200
    assert (await api.http.post("/v1/rooms", json={"id": "co", "title": "Duo", "brand_id": "acme", "host_id": "host1"}, headers=BRAND)).status_code == 201
    assert (await api.http.post("/v1/rooms/co/live", headers=bearer(token("host1", "co", "host")))).status_code == 200
    host = await Client.join(n0.ws_url("co"), token("host1", "co", "host"))
    # Another host of the brand (a viewer in a room she does not host), and an affiliate of the brand.
    carla = await Client.join(n1.ws_url("co"), token("carla", "*", "host", brand="acme"))
    aff = await Client.join(n1.ws_url("co"), token("aff1", "*", "affiliate", brand="acme"))
    buyer = await Client.join(n0.ws_url("co"), token("bob", "co"))
    assert carla.welcome is not None and carla.welcome["you"]["role"] == "viewer" and "sales" not in carla.welcome
    poll = {"question": "Which colour?", "options": ["Black", "Sand"]}
    assert (await carla.request("poll.create", **poll))["error"]["code"] == "forbidden"
    assert (await carla.request("cohost.accept"))["error"]["code"] == "not_found"
    assert (await buyer.request("cohost.invite", user_id="bob"))["error"]["code"] == "forbidden"

    for who in ("carla", "aff1"):
        assert (await host.request("cohost.invite", user_id=who))["ok"]
    await carla.wait_for(lambda: len(carla.events("cohost.invited")) == 2)
    assert (await carla.request("cohost.accept"))["ok"] and (await aff.request("cohost.accept"))["ok"]
    await buyer.wait_for(lambda: [e["user_id"] for e in buyer.events("cohost.joined")] == ["carla", "aff1"])

    # Host powers, on her node, from the log: polls, moderation, pins; her chat shows as the host's.
    assert (await carla.request("poll.create", **poll))["ok"]
    assert (await carla.request("product.pin", product_id="tee"))["ok"]
    assert (await carla.request("mod.timeout", user_id="bob", seconds=30))["ok"]
    said = await carla.request("chat.post", text="Welcome, I'm co-hosting!")
    msg = await host.wait_for(lambda: next((e["message"] for e in host.events("chat.message") if e["seq"] == said["result"]["message_id"]), None))
    assert msg["user"]["role"] == "host"
    assert (await buyer.request("mod.ban", user_id="carla"))["error"]["code"] == "forbidden"
    # What stays the host's: the room's end, appointing.
    assert (await api.http.post("/v1/rooms/co/end", headers=bearer(token("carla", "*", "host", brand="acme")))).status_code == 403
    assert (await carla.request("cohost.invite", user_id="bob"))["error"]["code"] == "forbidden"

    # The affiliate co-host's offer: its sales are the affiliate's, in the host's room.
    offer = await aff.request("offer.create", product_id="tee", units=5)
    assert offer["ok"], offer
    assert (await host.request("mod.untimeout", user_id="bob"))["ok"]
    assert (await buyer.request("offer.claim", offer_id=offer["result"]["offer_id"], key="k"))["ok"]
    sales = await eventually(lambda: api.http.get("/v1/rooms/co/sales", headers=BRAND), lambda r: r.json()["orders"] == 1)
    assert sales.json()["affiliates"]["aff1"]["reserved_units"] == 1

    # Back on another connection, she gets the staff view; removed, her powers end.
    again = await Client.join(n0.ws_url("co"), token("carla", "*", "host", brand="acme"))
    assert again.welcome is not None and "sales" in again.welcome and again.welcome["room"]["cohosts"] == ["aff1", "carla"]
    assert (await host.request("cohost.remove", user_id="carla"))["ok"]
    await carla.wait_for(lambda: carla.events("cohost.removed"))
    assert (await carla.request("poll.create", **poll))["error"]["code"] == "forbidden"
    assert (await aff.request("cohost.remove", user_id="aff1"))["ok"], "a co-host may step down"
    for c in (host, carla, aff, buyer, again):
        await c.close()
    await api.http.aclose()
