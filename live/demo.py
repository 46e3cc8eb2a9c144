"""The demo (``live demo``): a brand, a catalog, a live show and a simulated audience.

A newcomer runs one command and sees a real show in the browser within a minute: the
host console with chat moving, an offer selling, an auction and a poll, and the viewer
page as a shopper sees it. Everything goes through the same commands and log as a real
show; only the audience is simulated (``live.simulator``).
"""

import time

from live import auth
from live.enrich import catalog_command
from live.node import Node
from live.simulator import Rates
from live.wire.client import CreateOffer, PinProduct, StartAuction
from rooms import commands as c
from rooms.roles import Role
from rooms.types import RoomId, UserId

BRAND, HOST = "demo", "demo-host"
PRODUCTS = [
    {"id": "batik", "sku": "BTK-01", "title": "Batik shirt, Parang motif", "price": 289_000, "currency": "IDR", "description": "Hand-stamped cotton, sizes S–XL"},
    {"id": "tumbler", "sku": "TMB-02", "title": "Insulated tumbler 500 ml", "price": 149_000, "currency": "IDR", "description": "Keeps es kopi cold for 12 hours"},
    {"id": "sneakers", "sku": "SNK-03", "title": "Canvas sneakers", "price": 399_000, "currency": "IDR", "description": "Made in Bandung"},
    {"id": "serum", "sku": "SRM-04", "title": "Vitamin C serum 20 ml", "price": 119_000, "currency": "IDR", "description": "BPOM registered"},
]


async def seed(node: Node, base_url: str, secret: str) -> dict[str, str]:
    """A live room with a pinned product, an offer, an auction, a poll and an audience; its URLs."""
    room = RoomId(f"demo-{time.strftime('%H%M%S')}")
    await node.store.upsert_products(BRAND, PRODUCTS)
    rt = await node.runtime(room, create=True)
    assert rt is not None
    host = c.Actor(user_id=UserId(HOST), name="Sari (host)", role=Role.HOST)
    await rt.submit(host, c.RoomCreate(title="Batik Friday: new arrivals", host_id=UserId(HOST), brand_id=BRAND))
    await rt.submit(host, c.RoomGoLive())
    for request in (
        PinProduct(product_id="batik", highlight="Today only"),
        CreateOffer(product_id="tumbler", units=60, price=99_000, per_buyer_limit=2, duration_seconds=1800),
        StartAuction(product_id="sneakers", start_price=150_000, increment=10_000, duration_seconds=600),
    ):
        await rt.submit(host, await catalog_command(node.store, rt.state, request))
    await rt.submit(host, c.PollCreate(question="Which colour next week?", options=["Indigo", "Sogan brown", "Hijau"], duration_seconds=900))
    node.start_audience(rt, Rates(viewers=60, chat_per_minute=40, claims_per_minute=3, bids_per_minute=4))
    await node.persister.flush_soon()

    def token(user: str, name: str, role: Role) -> str:
        return auth.mint(secret, user_id=user, name=name, room=room, role=role, brand=BRAND if role is Role.BRAND else None, ttl_seconds=8 * 3600)

    return {
        "viewer": f"{base_url}/viewer.html?room={room}#token={token('demo-viewer', 'Ana', Role.VIEWER)}",
        "host console": f"{base_url}/host.html?room={room}#token={token(HOST, 'Sari (host)', Role.HOST)}",
        "brand page": f"{base_url}/replay.html?brand={BRAND}#token={auth.mint(secret, user_id='demo-brand', name='Demo brand', room='*', role=Role.BRAND, brand=BRAND, ttl_seconds=8 * 3600)}",
    }
