"""The ``live`` command: ``live serve`` runs a node, ``live token`` mints a dev token."""

import argparse
import logging
import os
import re
import sys
from typing import TYPE_CHECKING, Any

from live import __version__
from live.settings import DEV_SECRET, Settings
from rooms.roles import Role

if TYPE_CHECKING:
    import uvicorn

WS_MAX_SIZE = 1 << 20  # frames between max_frame_bytes and this get a too_large reply; above it, close 1009


def _serve(args: argparse.Namespace) -> None:
    import uvicorn  # noqa: F401 - imported before logging is set up (their import-time lines are noise), and once for every forked worker

    import live.app  # noqa: F401
    from live import workers

    flags = {
        "host": args.host,
        "port": args.port,
        "log": args.log,
        "redis_url": args.redis_url,
        "database_url": args.database_url,
        "token_secret": args.token_secret,
        "allowed_origins": args.allowed_origin,
        "dev": args.dev or args.demo or None,
        "demo": args.demo or None,
    }
    flags = {k: v for k, v in flags.items() if v is not None}
    settings = Settings(**flags)
    _configure_logging(settings)
    if refusal := workers.refusal(settings, args.workers):
        sys.exit(f"live serve: {refusal}")
    if settings.uses_dev_secret:
        print(
            "WARNING: development mode, with the published development token secret: anyone can mint tokens.\n"
            "         In production set LIVE_TOKEN_SECRET (32+ random characters) or LIVE_JWKS, without --dev.",
            file=sys.stderr,
            flush=True,
        )
    if args.workers == 1:
        serve_node(flags, reuse_port=False)
        return
    if settings.refusals():  # each worker would refuse alike; say it once
        sys.exit("live: refusing to start: " + "; ".join(settings.refusals()))
    workers.migrate_once(settings)
    sys.exit(workers.Supervisor(serve_node, flags, args.workers, settings.shutdown_grace_seconds).run())


def serve_node(flags: dict[str, Any], reuse_port: bool = True) -> None:
    """One node on this process (also each ``--workers`` process's entry: it binds with SO_REUSEPORT)."""
    import uvicorn

    from live import workers
    from live.app import create_app

    settings = Settings(**flags)
    if reuse_port:
        _configure_logging(settings)  # its own handler (and stream) in this process
    server = uvicorn.Server(uvicorn_config(create_app(settings), settings))
    server.run(sockets=[workers.reuse_port_socket(settings.host, settings.port)] if reuse_port else None)


def uvicorn_config(app: Any, settings: Settings) -> "uvicorn.Config":
    """How a node serves: HTTP on uvicorn, room sockets on our own WebSocket protocol."""
    import uvicorn

    from live.sockets.wsserver import LiveWebSocketProtocol

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws=LiveWebSocketProtocol,  # room sockets on our lean connection; other WebSockets on uvicorn's websockets-sansio
        ws_per_message_deflate=False,  # compression costs ~3x per delivery on the fan-out
        ws_max_size=WS_MAX_SIZE,
        ws_ping_interval=settings.ws_ping_seconds,
        ws_ping_timeout=settings.ws_ping_seconds,
        lifespan="on",
        # X-Forwarded-For/-Proto only from the configured proxies; none: the headers are ignored
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        log_level="info",
        log_config=None,  # uvicorn's loggers propagate to ours (and its filters)
        access_log=False,
    )


class _SafeLines(logging.Filter):
    """No per-socket open/close lines (a flood at scale) and no tokens in any line."""

    SOCKET_LINES = ("connection open", "connection closed")
    SECRET = re.compile(r"((?:token|access_token|api_key)=)[^&\s\"']+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        if "WebSocket %s" in msg or msg in self.SOCKET_LINES:
            return False
        text = record.getMessage()
        if self.SECRET.search(text):
            record.msg, record.args = self.SECRET.sub(r"\1[redacted]", text), None
        return True


def _configure_logging(settings: Settings) -> None:
    """JSON lines (text in development) on stderr, for our loggers and uvicorn's (``live.logs``)."""
    from live import logs

    logs.configure(settings.log_level, json=settings.log_json).addFilter(_SafeLines())


def _audit(args: argparse.Namespace) -> None:
    import asyncio

    from live.audit import audit
    from live.store import Store

    async def run() -> int:
        store = Store(args.database_url or Settings().database_url)
        found = 0
        try:
            for room in args.rooms:
                count, differences = await audit(store, room)
                for line in differences:
                    print(line)
                print(f"room {room}: {count} entries re-folded, {len(differences) or 'no'} difference{'s' if len(differences) != 1 else ''}")
                found += len(differences)
        finally:
            await store.close()
        return 1 if found else 0

    raise SystemExit(asyncio.run(run()))


def _purge(args: argparse.Namespace) -> None:
    import asyncio

    from live.node import purge_expired
    from live.store import Store

    async def run() -> None:
        settings = Settings()
        store = Store(settings.database_url)
        try:
            for brand, purged in (await purge_expired(store, settings.retention_days)).items():
                print(f"brand {brand}: purged {len(purged)} session(s) {' '.join(purged)}".rstrip())
        finally:
            await store.close()

    asyncio.run(run())


def _token(args: argparse.Namespace) -> None:
    from live import auth

    secret = args.secret or Settings().token_secret or DEV_SECRET
    print(auth.mint(secret, user_id=args.user, name=args.name or args.user, room=args.room, role=Role(args.role), tier=args.tier, ref=args.ref, brand=args.brand, ttl_seconds=args.ttl))


def _say(args: argparse.Namespace) -> None:
    """Join a room, send each message in turn, print each reply's result as one JSON line."""
    import asyncio

    import orjson

    from live.client import LiveClient, LiveError

    async def run() -> int:
        base = args.url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        client = await LiveClient.connect(f"{base}/v1/rooms/{args.room}/ws", args.token)
        try:
            for raw in args.messages:
                fields = orjson.loads(raw)
                try:
                    print(orjson.dumps(await client.request(fields.pop("type"), **fields)).decode(), flush=True)
                except LiveError as exc:
                    print(orjson.dumps({"error": {"code": exc.code, "message": exc.message}}).decode(), flush=True)
                    return 1
        finally:
            await client.close()
        return 0

    sys.exit(asyncio.run(run()))


def _webhook_test(args: argparse.Namespace) -> None:
    """Send one signed sample message, as the server sends them, and print the response."""
    import asyncio

    import httpx

    from live.webhooks import send, signer

    secret = args.secret or Settings().webhook_secret
    if not secret:
        sys.exit("live webhook test: give --secret or set LIVE_WEBHOOK_SECRET")
    payload = {"type": "order.reserved", "timestamp": "2026-01-01T00:00:00Z", "data": {"room_id": "sample", "seq": 1, "reservation_id": 1, "units": 1, "test": True}}

    async def run() -> int:
        async with httpx.AsyncClient(timeout=10) as client:
            try:
                response = await send(client, args.url, signer(secret), "msg_test_sample", payload)
            except httpx.HTTPError as exc:
                print(f"failed: {exc}")
                return 1
        print(f"{response.status_code} {response.reason_phrase}")
        return 0 if response.is_success else 1

    sys.exit(asyncio.run(run()))


def api_documents() -> dict[str, str]:
    """The API descriptions by file name, as ``live api-docs`` writes them into docs/ (sorted keys: stable)."""
    import json

    from live.http.routes import openapi_document
    from live.wire import asyncapi

    documents = {"openapi.json": openapi_document(), "asyncapi.json": asyncapi.document()}
    return {name: json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n" for name, doc in documents.items()}


def _api_docs(args: argparse.Namespace) -> None:
    from pathlib import Path

    stale = []
    for name, text in api_documents().items():
        path = Path(args.dir) / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        sys.exit(f"out of date (run `live api-docs`): {', '.join(stale)}")


def _demo_parser(sub: Any) -> None:
    demo = sub.add_parser("demo", help="serve a demo show with a simulated audience and print its URLs (development mode)")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--database-url", help="SQLAlchemy async URL (default sqlite+aiosqlite:///./live.db)")
    demo.set_defaults(func=_serve, demo=True, dev=True, log=None, redis_url=None, token_secret=None, allowed_origin=None, workers=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="live", description="Live-shopping and real-time discussion server.")
    parser.add_argument("--version", action="version", version=f"live {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run a server node (flags override LIVE_* environment)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log", choices=["memory", "redis"], help="room log backend (default memory)")
    serve.add_argument("--redis-url")
    serve.add_argument("--database-url", help="SQLAlchemy async URL (default sqlite+aiosqlite:///./live.db)")
    serve.add_argument("--token-secret", help="HS256 secret for tokens (prefer LIVE_TOKEN_SECRET)")
    serve.add_argument("--allowed-origin", action="append", help="browser Origin allowed to connect (repeat)")
    serve.add_argument("--dev", action="store_true", help="development mode: allows the published development token secret")
    serve.add_argument("--workers", type=int, default=1, help="processes on the port, each a node (more than one needs Redis; default 1)")
    serve.add_argument("--demo", action="store_true", help="a seeded brand, catalog and live show with a simulated audience (implies --dev)")
    serve.set_defaults(func=_serve)

    _demo_parser(sub)

    token = sub.add_parser("token", help="mint a signed token for development")
    token.add_argument("--user", required=True, help="user id (sub)")
    token.add_argument("--name", help="display name")
    token.add_argument("--room", required=True, help="room id, or * for every room")
    token.add_argument("--role", default="viewer", choices=[r.value for r in Role if r not in (Role.GUEST, Role.SYSTEM)])
    token.add_argument("--brand", help="the tenant (brand) the token acts for")
    token.add_argument("--tier", help="membership tier")
    token.add_argument("--ref", help="referral code: the affiliate this viewer came with")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.add_argument("--secret", help="defaults to LIVE_TOKEN_SECRET or the dev secret")
    token.set_defaults(func=_token)

    audit = sub.add_parser("audit", help="re-fold a room's persisted log and report any difference")
    audit.add_argument("rooms", nargs="+", metavar="room")
    audit.add_argument("--database-url", help="defaults to LIVE_DATABASE_URL")
    audit.set_defaults(func=_audit)

    purge = sub.add_parser("purge", help="apply LIVE_RETENTION_DAYS now (nodes also do it hourly)")
    purge.set_defaults(func=_purge)

    api_docs = sub.add_parser("api-docs", help="write the OpenAPI and AsyncAPI documents, generated from the code, into docs/")
    api_docs.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files differ from the generated ones")
    api_docs.add_argument("--dir", default="docs", help="where the documents live (default docs)")
    api_docs.set_defaults(func=_api_docs)

    webhook = sub.add_parser("webhook", help="webhook tools").add_subparsers(dest="webhook_command", required=True)
    test = webhook.add_parser("test", help="send a signed sample message to a URL (Standard Webhooks)")
    test.add_argument("url")
    test.add_argument("--secret", help="whsec_<base64> (default LIVE_WEBHOOK_SECRET)")
    test.set_defaults(func=_webhook_test)

    say = sub.add_parser("say", help="join a room and send messages, printing each reply (a scriptable client)")
    say.add_argument("room")
    say.add_argument("messages", nargs="+", help='JSON messages, e.g. \'{"type": "chat.post", "text": "hi"}\' (ids are added)')
    say.add_argument("--token", help="the token to join with (none: as a guest)")
    say.add_argument("--url", default=os.environ.get("LIVE_URL", "http://localhost:8000"), help="the server (default $LIVE_URL or http://localhost:8000)")
    say.set_defaults(func=_say)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
