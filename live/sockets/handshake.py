"""What every WebSocket of this server checks before it accepts: the Origin and the encoding."""

from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from live.errors import CloseCode
from live.wire.codec import Format, negotiate


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Browsers always send Origin; other clients don't, and still need a token to write."""
    if origin is None:
        return True
    if "*" in allowed or origin in allowed:
        return True
    return urlsplit(origin).netloc == host


async def accept(ws: WebSocket, allowed_origins: list[str], node_id: str | None = None) -> Format | None:
    """Accept with the negotiated subprotocol; None when the Origin is refused (HTTP 403).

    The handshake answer names the node (``X-Live-Node``), so an operator running
    several workers or nodes behind one address can tell where a socket landed.
    """
    headers = dict(ws.scope["headers"])  # not ws.headers: that would keep a copy per connection
    origin, host = headers.get(b"origin"), headers.get(b"host")
    if not origin_allowed(origin and origin.decode("latin-1"), host and host.decode("latin-1"), allowed_origins):
        await ws.close(CloseCode.POLICY)  # before accept: the handshake gets HTTP 403
        return None
    chosen, fmt = negotiate(ws.scope.get("subprotocols", []))
    await ws.accept(subprotocol=chosen, headers=[(b"x-live-node", node_id.encode())] if node_id else None)
    return fmt


def client_address(ws: WebSocket) -> str:
    """The peer's address, which per-address limits count (room and replay sockets alike)."""
    client = ws.scope.get("client")
    return str(client[0]) if client else "unknown"
