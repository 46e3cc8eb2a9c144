"""Tokens a platform can sign without sharing a secret (JWKS), lifetime caps, and a
server that will not start unsafely configured outside development mode."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from live.settings import DEV_SECRET
from tests.harness import ROOT, SECRET, Api, Client, LiveServer, free_port, token

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ED_KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks() -> dict[str, Any]:
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key())) | {"kid": "rsa1", "alg": "RS256", "use": "sig"}
    ed_jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(ED_KEY.public_key())) | {"kid": "ed1", "alg": "EdDSA", "use": "sig"}
    return {"keys": [rsa_jwk, ed_jwk]}


def signed(key: Any, alg: str, kid: str, room: str, *, ttl: int = 600, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "ana", "name": "Ana", "room": room, "role": "viewer", "aud": "live", "iat": now, "exp": now + ttl} | claims
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def _confused() -> str:
    """An HS256 token whose HMAC key is the RSA public key (PyJWT itself refuses to make one)."""
    pem = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    parts = [
        base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=")
        for p in ({"alg": "HS256", "typ": "JWT", "kid": "rsa1"}, {"sub": "ana", "room": "jw", "role": "host", "aud": "live", "iat": now, "exp": now + 60})
    ]
    signature = base64.urlsafe_b64encode(hmac.new(pem, b".".join(parts), hashlib.sha256).digest()).rstrip(b"=")
    return b".".join([*parts, signature]).decode()


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(_jwks()))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, jwks_file: Path) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("jwks-srv"), LIVE_JWKS=str(jwks_file), LIVE_MAX_TOKEN_LIFETIME_SECONDS="3600").start()
    yield srv
    srv.stop()


async def _outcome(url: str, tok: str) -> tuple[str, str]:
    """('welcome', role) or ('refused', error code) for a hello with this token."""
    client = await Client.open(url)
    await client.send_raw(client.encode({"type": "hello", "id": "h", "token": tok}))
    reply = await client.wait_for(lambda: client.replies.get("h"))
    await client.close()
    return ("welcome", reply["you"]["role"]) if reply["type"] == "welcome" else ("refused", reply["error"]["message"])


async def test_jwks_signed_tokens_are_accepted_with_their_own_algorithm_only(server: LiveServer, api: Api) -> None:
    await api.live_room("jw")
    url = server.ws_url("jw")
    assert await _outcome(url, signed(RSA_KEY, "RS256", "rsa1", "jw")) == ("welcome", "viewer")
    assert await _outcome(url, signed(ED_KEY, "EdDSA", "ed1", "jw")) == ("welcome", "viewer")
    assert (await _outcome(url, token("ana", "jw")))[0] == "welcome", "the shared secret still works where configured"
    for bad in (
        signed(OTHER_RSA, "RS256", "rsa1", "jw"),  # right kid, wrong key
        signed(RSA_KEY, "RS256", "ed1", "jw"),  # a key used with another algorithm than its own
        signed(RSA_KEY, "RS256", "nope", "jw"),  # unknown key
        signed(RSA_KEY, "PS256", "rsa1", "jw"),  # an algorithm nobody pinned
        _confused(),  # HS256 "signed" with the public key: the classic algorithm confusion
    ):
        outcome = await _outcome(url, bad)
        assert outcome[0] == "refused", outcome


async def test_tokens_live_no_longer_than_the_cap_and_need_iat(server: LiveServer, api: Api) -> None:
    await api.live_room("cap")
    url = server.ws_url("cap")
    assert await _outcome(url, signed(RSA_KEY, "RS256", "rsa1", "cap", ttl=600)) == ("welcome", "viewer")
    too_long = await _outcome(url, signed(RSA_KEY, "RS256", "rsa1", "cap", ttl=86_400))
    assert too_long[0] == "refused" and "at most 3600 s" in too_long[1]
    now = int(time.time())
    no_iat = jwt.encode({"sub": "ana", "room": "cap", "role": "viewer", "aud": "live", "exp": now + 60}, SECRET, algorithm="HS256")
    assert (await _outcome(url, no_iat))[0] == "refused"


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    body = json.dumps(_jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/.well-known/jwks.json"
    httpd.shutdown()
    httpd.server_close()


async def test_a_jwks_url_without_any_shared_secret(tmp_path: Path, jwks_url: str) -> None:
    srv = LiveServer(tmp_path, LIVE_TOKEN_SECRET="", LIVE_JWKS=jwks_url, LIVE_PSEUDONYM_SECRET="p" * 40).start()
    try:
        host = signed(RSA_KEY, "RS256", "rsa1", "*", sub="host1", role="host")
        api = Api(srv)
        r = await api.http.post("/v1/rooms", json={"id": "u", "title": "By JWKS"}, headers={"authorization": f"Bearer {host}"})
        assert r.status_code == 201, r.text
        assert (await api.http.post("/v1/rooms", json={"title": "x"}, headers={"authorization": f"Bearer {token('host1', '*', 'host')}"})).status_code == 401
        await api.http.aclose()
    finally:
        srv.stop()


def _serve_briefly(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")} | {"LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.db"} | env
    return subprocess.run([sys.executable, "-m", "live.cli", "serve", "--port", str(free_port()), *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({}, "LIVE_TOKEN_SECRET or LIVE_JWKS"),
        ({"LIVE_TOKEN_SECRET": DEV_SECRET}, "development secret is refused"),
        ({"LIVE_TOKEN_SECRET": "short"}, "at least 32 characters"),
        ({"LIVE_DEV": "1", "LIVE_BRAND_API_KEYS": '{"k": "@hana"}'}, "a brand id may not start with '@'"),
    ],
)
def test_production_mode_refuses_to_start_unsafely(tmp_path: Path, env: dict[str, str], why: str) -> None:
    result = _serve_briefly(tmp_path, **env)
    assert result.returncode != 0 and why in result.stderr, result.stderr


async def test_development_mode_starts_with_the_published_secret(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path, LIVE_TOKEN_SECRET="", LIVE_DEV="1").start()
    try:
        api = Api(srv)
        dev_host = jwt.encode({"sub": "hana", "room": "*", "role": "host", "aud": "live", "iat": int(time.time()), "exp": int(time.time()) + 60}, DEV_SECRET, algorithm="HS256")
        assert (await api.http.post("/v1/rooms", json={"title": "Dev"}, headers={"authorization": f"Bearer {dev_host}"})).status_code == 201
        await api.http.aclose()
    finally:
        srv.stop()
