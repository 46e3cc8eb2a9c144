"""What the page tests share: Chromium, a second origin serving media and a merchant's page,
axe-core (vendored, pinned), and screenshots at phone and laptop size to test-artifacts/."""

import contextlib
import functools
import http.server
import io
import json
import re
import struct
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Frame, Page

from tests.harness import ROOT, Api, Cluster, LiveServer, RedisServer, bearer, free_port, token

ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "tests" / "vendor" / "axe.min.js"  # axe-core 4.11.0 from npm (tests/vendor/axe.LICENSE.txt)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
SIZES: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "laptop": {"viewport": {"width": 1366, "height": 850}},
}
CATALOG = [
    {"id": "tee", "sku": "TEE-01", "title": "Batik tee", "price": 289000, "currency": "IDR", "description": "Hand-stamped cotton from Pekalongan."},
    {"id": "kain", "sku": "KAIN-01", "title": "Kain songket", "price": 450000, "currency": "IDR"},
]
PRODUCT_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"><rect width="200" height="200" fill="{bg}"/>
<path d="M50 40l30-15h40l30 15 25 35-25 15-10-10v95H60V80L50 90 25 75z" fill="{fg}"/><circle cx="100" cy="110" r="18" fill="{bg}" opacity=".6"/></svg>"""


def write_media(folder: Path, seconds: int = 120) -> None:
    """Product pictures, and a silent WAV standing in for the show's recording: a <video>
    plays it and seeks it exactly, which is what the replay's sync is about (no encoder here)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, bg, fg in (("tee", "#f6e7d8", "#8b1e3f"), ("kain", "#e3ecf7", "#1d4e89"), ("tas", "#eaf4e4", "#2f6b3a")):
        (folder / f"{name}.svg").write_text(PRODUCT_SVG.format(bg=bg, fg=fg))
    with wave.open(str(folder / "show.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(16000)  # a player seeks a PCM stream in blocks of 1,024 samples: 64 ms here
        w.writeframes(struct.pack("B", 128) * 16000 * seconds)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """A static file server that answers byte ranges, as any video host does (a player seeks with them)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")  # as a stream's CDN does: hls.js fetches the playlist with XHR
        super().end_headers()

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError):  # a player drops a request it no longer needs
            super().handle()

    def send_head(self) -> Any:
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not match or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start, end = int(match[1]), min(int(match[2] or size - 1), size - 1)
        body = path.read_bytes()[start : end + 1]
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on a free port (another origin than the live server)."""
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


async def new_page(browser: Browser, url: str, errors: list[str], size: str = "laptop", **options: Any) -> Page:
    context = await browser.new_context(**(SIZES[size] | options))
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{url}: {exc}"))
    page.on("console", lambda msg: errors.append(f"{url}: console {msg.text}") if msg.type == "error" and "WebSocket" not in msg.text else None)
    await page.goto(url)
    return page


async def axe(page: Page | Frame, what: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA rules)."""
    await page.evaluate(_axe_source())  # evaluated over CDP: the page's CSP (no inline script) stays as it is
    result = await page.evaluate("""async () => {
      const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }, resultTypes: ["violations"] });
      return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => v.id + ": " + v.help + " — " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
    }""")
    return [f"{what}: {v}" for v in result]


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


async def shot(page: Page, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path))


class Site:
    """Two live nodes on one Redis, and a second origin that serves media and a merchant's shop."""

    def __init__(self, nodes: list[LiveServer], media: str, merchant: str, folder: Path) -> None:
        self.nodes, self.media, self.merchant, self.folder = nodes, media, merchant, folder


@contextlib.contextmanager
def two_nodes(tmp: Path) -> Iterator[Site]:
    write_media(tmp / "www")
    with static_site(tmp / "www") as media:
        merchant = media.replace("127.0.0.1", "localhost")  # another origin on the same little server: the merchant's shop
        redis = RedisServer(tmp).start()
        cluster = Cluster(tmp, redis, 2, LIVE_SAMPLE_SECONDS="0.5", LIVE_COMMANDS_PER_SECOND="100", LIVE_COMMAND_BURST="100",
                          LIVE_MEDIA_ORIGINS=json.dumps([media]), LIVE_EMBED_ANCESTORS=json.dumps({"acme": [merchant]}),
                          LIVE_CHECKOUT_URL_TEMPLATES=json.dumps({"acme": "https://shop.example/checkout?order={order_id}"})).start()
        try:
            yield Site(cluster.nodes, media, merchant, tmp / "www")
        finally:
            cluster.stop()
            redis.stop()


async def open_show(site: Site, room: str, brand: str = "acme") -> Api:
    """The brand's catalog (with pictures) and a scheduled room hosted by host1, playing the test recording."""
    api = Api(site.nodes[0])
    staff = bearer(token(brand, "*", "brand"))
    catalog = [p | {"image_url": f"{site.media}/{p['id']}.svg"} for p in CATALOG]
    assert (await api.http.put(f"/v1/catalog/{brand}/products", json=catalog, headers=staff)).status_code == 200
    body = {"id": room, "title": "Batik night", "brand_id": brand, "host_id": "host1", "playback_url": f"{site.media}/show.wav"}
    assert (await api.http.post("/v1/rooms", json=body, headers=staff)).status_code == 201
    return api
