"""The embed page: the viewer inside a merchant's own product page (``/embed/{room_id}``),
framed only by the sites its brand lists (``LIVE_EMBED_ANCESTORS``), so one brand's
sites cannot frame another brand's show and a page with no sites listed cannot be framed
at all. The page is the viewer's own HTML; ``static/embed.js`` puts it on the merchant's
page and is the JavaScript API (docs/embed.md).
"""

import functools
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from live.edge import csp
from live.errors import NotFound
from live.http.common import error_response, room_ref
from live.http.rooms import ROOM_ID
from live.node import Node

VIEWER = Path(__file__).resolve().parent.parent / "static" / "viewer.html"


@functools.cache
def _page() -> str:
    return VIEWER.read_text()


def ancestors(node: Node, tenant: str | None) -> list[str]:
    """Who may frame this tenant's rooms: its own list, else the server-wide ``frame_ancestors``."""
    return node.settings.embed_ancestors.get(tenant or "", node.settings.frame_ancestors)


async def embed_page(node: Node, request: Request) -> Response:
    room_id = request.path_params["room_id"]
    if not ROOM_ID.fullmatch(room_id):
        return error_response(404, "not_found", "no such room")
    try:
        ref = await room_ref(node, room_id)
    except NotFound:
        return error_response(404, "not_found", "no such room")
    headers = {"content-security-policy": csp(node.settings, ancestors(node, ref.tenant)).decode(), "cache-control": "no-cache"}
    return HTMLResponse(_page(), headers=headers)
