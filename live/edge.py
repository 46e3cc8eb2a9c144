"""What every request meets before any adapter: the Host check, body caps, security headers.

Plain ASGI, no framework frames: a room socket's task lives as long as the connection,
so nothing here stays on its stack (``host_trusted`` is a function the app calls, not
a middleware around the sockets).

- **Trusted hosts**: a request whose ``Host`` is not one of ``trusted_hosts`` gets 400
  (HTTP) or a refused handshake (WebSocket). Same-origin WebSockets are judged only
  after this, so a DNS name rebound to this server cannot pass as its own origin.
- **Body caps**: a body over ``max_body_bytes`` (``max_import_bytes`` for catalog
  imports) is answered 413 ``too_large`` from its ``Content-Length`` before anything is
  read, or as soon as the streamed bytes pass the cap — never buffered whole.
- **Security headers** on every HTTP response: a Content-Security-Policy without
  inline script, ``frame-ancestors`` from ``frame_ancestors``, ``nosniff``, a referrer
  policy. A response that brings its own policy keeps it (the embed page: framed by its
  brand's sites, ``live/http/embed.py``).
"""

from collections.abc import MutableMapping
from typing import Any

from live.errors import TooLarge
from live.http.common import error_response
from live.settings import Settings

Scope = dict[str, Any]
CATALOG_PREFIX = "/v1/catalog/"


def host_trusted(scope: Scope, trusted: list[str]) -> bool:
    """Whether the request's Host names this server (``*`` trusts any; ``*.example.com`` subdomains)."""
    if "*" in trusted:
        return True
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
    name = host[1 : host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
    return any(name == t or (t.startswith("*.") and name.endswith(t[1:])) for t in trusted)


def csp(settings: Settings, frame_ancestors: list[str] | None = None) -> bytes:
    """The pages' policy: only this server's scripts and styles; framed by ``frame_ancestors`` (default the setting's) or nobody."""
    ancestors = " ".join(settings.frame_ancestors if frame_ancestors is None else frame_ancestors) or "'none'"
    media = "".join(f" {origin}" for origin in settings.media_origins)  # e.g. plain-http images and streams in development; https: always passes (hls.js fetches its segments)
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
        f"img-src 'self' https: data:{media}; media-src 'self' https: blob:{media}; connect-src 'self' ws: wss: https:{media}; "
        f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    ).encode()


class HttpEdge:
    """Wraps the HTTP app: host check, body cap, security headers."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.headers = [
            (b"content-security-policy", csp(settings)),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY" if not settings.frame_ancestors else b"SAMEORIGIN"),
        ]
        if settings.frame_ancestors:
            self.headers.pop()  # frame-ancestors says who may embed; X-Frame-Options cannot

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                own = message.get("headers", [])
                framing = any(k == b"content-security-policy" for k, _ in own)  # it says who may frame it: no X-Frame-Options either
                message["headers"] = [*own, *(self.headers[1:3] if framing else self.headers)]
            await send(message)

        if not host_trusted(scope, self.settings.trusted_hosts):
            await error_response(400, "bad_request", "this server does not answer to that Host")(scope, receive, send_with_headers)
            return
        limit = self.settings.max_import_bytes if scope["path"].startswith(CATALOG_PREFIX) else self.settings.max_body_bytes
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status, code = (413, "too_large") if declared.isdigit() else (400, "bad_request")
            await error_response(status, code, f"bodies here are at most {limit} bytes")(scope, receive, send_with_headers)
            return
        seen = 0

        async def capped_receive() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(f"bodies here are at most {limit} bytes")  # answered 413 by the app's error handler
            return message

        await self.app(scope, capped_receive, send_with_headers)
