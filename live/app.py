"""The ASGI application: HTTP API, WebSocket gateway, pages and metrics."""

import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from live import __version__, auth, demo, logs, metrics, tenants
from live.backends import make_backends
from live.edge import HttpEdge, host_trusted
from live.errors import CloseCode, ServerError
from live.http.common import server_error
from live.http.embed import embed_page
from live.http.routes import routes as http_routes
from live.node import Node
from live.persister import Persister
from live.settings import Settings
from live.sockets.gateway import room_socket
from live.sockets.replay import replay_socket
from live.store import Store
from live.webhooks import Webhooks
from rooms.checkout import template_problem
from rooms.shop_commands import OrderCheckout
from rooms.types import RoomId

logger = logging.getLogger("live")
STATIC = Path(__file__).resolve().parent / "static"  # package data: served from an installed wheel too
ROOM_SOCKET = re.compile(r"^/v1/rooms/([A-Za-z0-9_-]{1,64})/ws$")
REPLAY_SOCKET = re.compile(r"^/v1/rooms/([A-Za-z0-9_-]{1,64})/replay/ws$")


class LiveApp:
    """Plain ASGI entry. Room sockets go straight to the gateway with the server's own
    ``send`` (the fan-out writes to its transport), and without the middleware and
    router frames every idle connection's task would otherwise hold; the rest is Starlette.
    """

    def __init__(self, http: Any, node: Node) -> None:
        self.http = http
        self.node = node

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and not host_trusted(scope, self.node.settings.trusted_hosts):
            await WebSocket(scope, receive, send).close(CloseCode.POLICY)  # before accept: HTTP 403
        elif scope["type"] == "websocket" and (match := ROOM_SOCKET.match(scope["path"])):
            await room_socket(self.node, WebSocket(scope, receive, send), send, RoomId(match.group(1)))
        elif scope["type"] == "websocket" and (match := REPLAY_SOCKET.match(scope["path"])):
            await replay_socket(self.node, WebSocket(scope, receive, send), RoomId(match.group(1)))
        else:
            await self.http(scope, receive, send)


async def _hand_over(node: Node, room: RoomId, reservation_id: int, url: str) -> None:
    """The merchant's checkout link (its webhook answer) into the room's log, for the buyer."""
    rt = await node.runtime(room)
    if rt is not None:
        outcome = await rt.submit(auth.SYSTEM, OrderCheckout(reservation_id=reservation_id, checkout_url=url))
        logger.debug("checkout link for %s/%s: %s", room, reservation_id, outcome)


async def _metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings) -> Any:
    if refusals := settings.refusals():
        raise SystemExit("live: refusing to start: " + "; ".join(refusals))
    if problems := [p for t in settings.checkout_url_templates.values() if (p := template_problem(t))]:
        raise SystemExit("live: refusing to start: " + "; ".join(problems))
    if persons := [b for b in settings.brand_api_keys.values() if b.startswith(tenants.PERSON)]:
        raise SystemExit(f"live: refusing to start: LIVE_BRAND_API_KEYS names {persons[0]!r}, but a brand id may not start with {tenants.PERSON!r}")
    store = Store(settings.database_url)
    backends = make_backends(settings)
    persister = Persister(store, backends.log, backends.leases, interval_ms=settings.persist_interval_ms, batch=settings.persist_batch, webhooks=settings.webhook_url is not None)
    node = Node(settings, backends, store, persister)
    webhooks = None
    if settings.webhook_url:
        if not settings.webhook_secret:
            raise SystemExit("LIVE_WEBHOOK_URL needs LIVE_WEBHOOK_SECRET to sign deliveries")
        public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
        webhooks = Webhooks(
            store, backends.leases, url=settings.webhook_url, secret=settings.webhook_secret, public_url=public_url,
            on_checkout=lambda room, rid, url: _hand_over(node, room, rid, url), reminder_leads=settings.reminder_lead_seconds,
        )  # fmt: skip

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Startup: 1. schema up to date, 2. persister running, 3. serve.
        await store.migrate()
        persister.start()
        node.start()
        if webhooks is not None:
            webhooks.start()
        logger.info("node %s ready (log=%s)", node.id, type(backends.log).__name__)
        if settings.demo and settings.hs_secret:
            urls = await demo.seed(node, settings.public_url or f"http://{settings.host}:{settings.port}", settings.hs_secret)
            print("\nDemo: a live show with a simulated audience. Open:\n" + "".join(f"  {k}: {v}\n" for k, v in urls.items()), flush=True)
        yield
        # Shutdown: 1. tell every viewer to go away and resume elsewhere (1001),
        # 2. write what is still pending, 3. close the log and the database.
        if webhooks is not None:
            await webhooks.stop()
        await node.close()
        await persister.stop()
        await backends.close()
        await store.close()

    routes = [
        *http_routes(node),
        Route("/metrics", _metrics),
        Route("/metrics/", _metrics),  # the old path
        Route("/embed/{room_id}", functools.partial(embed_page, node)),
        Route("/favicon.ico", lambda request: FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")),
        Mount("/", GZipMiddleware(StaticFiles(directory=STATIC, html=True, check_dir=False), minimum_size=1024)),  # pages on a phone's link: a quarter of the bytes
    ]
    metrics.ROOMS.set_function(lambda: len(node.runtimes))
    metrics.NODE.info({"node": node.id, "version": __version__})
    logs.set_node(node.id)  # every log line names it
    http = Starlette(routes=routes, lifespan=lifespan, exception_handlers={ServerError: server_error})
    return LiveApp(HttpEdge(http, settings), node)
