"""The three pages in a real browser (Debian's Chromium, headless) against two nodes on Redis."""

import re
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.harness import ROOT, Api, Cluster, RedisServer, bearer, token

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp: Path = tmp_path_factory.mktemp("browser")
    redis = RedisServer(tmp).start()
    cluster = Cluster(tmp, redis, 2, LIVE_SAMPLE_SECONDS="0.5", LIVE_COMMANDS_PER_SECOND="100", LIVE_COMMAND_BURST="100").start()
    yield cluster
    cluster.stop()
    redis.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def page_at(browser: Browser, url: str, errors: list[str], **options: object) -> Page:
    context = await browser.new_context(**options)  # type: ignore[arg-type]
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: errors.append(f"dialog opened: {d.message}"))
    await page.goto(url)
    return page


def chat(page: Page) -> object:
    return page.get_by_test_id("chat-list").locator("li .text")


async def test_a_live_show_in_three_browsers(nodes: Cluster, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    n0, n1 = nodes.nodes
    api = Api(n0)
    brand = bearer(token("acme", "*", "brand"))
    catalog = [{"id": "tee", "sku": "TEE", "title": "Batik tee", "price": 150000, "currency": "IDR"}]
    assert (await api.http.put("/v1/catalog/acme/products", json=catalog, headers=brand)).status_code == 200
    room = {"id": "shop", "title": "Batik night", "brand_id": "acme", "host_id": "host1", "playback_url": f"{n0.url}/stream.mp4"}
    assert (await api.http.post("/v1/rooms", json=room, headers=brand)).status_code == 201
    errors: list[str] = []
    host = await page_at(browser, f"{n0.url}/host.html?room=shop#token={token('host1', 'shop', 'host', name='Hana')}", errors)
    await host.get_by_test_id("go-live").click()
    ana = await page_at(browser, f"{n0.url}/viewer.html?room=shop&lang=id#token={token('ana', 'shop', name='Ana')}", errors, **PHONE)
    ben = await page_at(browser, f"{n1.url}/viewer.html?room=shop#token={token('ben', 'shop', name='Ben')}", errors, **PHONE)
    pages = [host, ana, ben]
    for page in pages:
        await expect(page.get_by_test_id("room-status")).to_contain_text("Batik night")
        assert await page.get_by_test_id("video").get_attribute("src") == f"{n0.url}/stream.mp4"

    # Chat, in the same order everywhere; user text is text, never HTML.
    await ana.get_by_test_id("chat-input").fill("Halo semua!")
    await ana.get_by_test_id("chat-input").press("Enter")
    await expect(chat(ben)).to_have_text(["Halo semua!"])
    await ben.get_by_test_id("chat-input").fill("<script>alert('x')</script><b>bold?</b>")
    await ben.get_by_test_id("chat-input").press("Enter")
    for page in pages:
        await expect(chat(page)).to_have_text(["Halo semua!", "<script>alert('x')</script><b>bold?</b>"])
        assert await page.locator(".chat-list b").count() == 0

    # A pinned product, priced in rupiah.
    await host.get_by_test_id("pin-product").click()
    await expect(ana.get_by_test_id("pinned-products")).to_contain_text("Batik tee")
    assert re.search(r"Rp\s150\.000", await ana.get_by_test_id("pinned-products").inner_text())
    await expect(ben.get_by_test_id("pinned-products")).to_contain_text("IDR 150,000")

    # A flash offer: it counts down, its stock bar falls as viewers claim, and a claim over the limit says why.
    await host.get_by_test_id("offer-units").fill("5")
    await host.get_by_test_id("launch-offer").click()
    await expect(ben.get_by_test_id("offer-countdown")).to_contain_text(re.compile(r"Ends in 0:[0-5]\d|Ends in 1:00"))
    first = await ben.get_by_test_id("offer-countdown").inner_text()
    await expect(ben.get_by_test_id("offer-countdown")).not_to_have_text(first)
    await expect(ben.get_by_test_id("offer-stock")).to_have_text("5 / 5 left")
    await ben.get_by_test_id("claim-units").fill("2")
    await ben.get_by_test_id("claim-button").click()
    await expect(ben.get_by_test_id("offer-error")).to_contain_text("Reserved")
    for page in pages:
        await expect(page.get_by_test_id("offer-stock")).to_contain_text("3 / 5")
    assert await ana.locator(".stock-bar span").get_attribute("style") == "width:60%"
    await ben.get_by_test_id("claim-units").fill("1")
    await ben.get_by_test_id("claim-button").click()
    await expect(ben.get_by_test_id("offer-error")).to_have_text("You've reached the limit for this offer")
    await expect(host.get_by_test_id("claimed-units")).to_have_text("2")

    # A poll vote shows in every window.
    await host.get_by_test_id("poll-question").fill("Warna berikutnya?")
    await host.get_by_test_id("poll-options").fill("Merah\nBiru")
    await host.get_by_test_id("create-poll").click()
    await ana.get_by_test_id("poll-option").nth(1).click()
    await ben.get_by_test_id("poll-option").nth(1).click()
    for page in pages:
        await expect(page.get_by_test_id("poll-count")).to_have_text(["0", "2"])

    for name, page in (("host", host), ("viewer", ana)):
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    # Ben's node restarts: his page says so, recovers, and misses and doubles nothing.
    n1.stop(signal.SIGTERM)
    await expect(ben.get_by_test_id("connection")).to_have_text("Reconnecting…")
    await ana.get_by_test_id("chat-input").fill("Selagi kamu pergi")
    await ana.get_by_test_id("chat-input").press("Enter")
    await expect(chat(host)).to_have_count(3)
    n1.start()
    await expect(ben.get_by_test_id("connection")).to_have_text("", timeout=20_000)
    await expect(chat(ben)).to_have_text(["Halo semua!", "<script>alert('x')</script><b>bold?</b>", "Selagi kamu pergi"])
    await ben.get_by_test_id("chat-input").fill("Back!")
    await ben.get_by_test_id("chat-input").press("Enter")
    for page in pages:
        await expect(chat(page)).to_have_text(["Halo semua!", "<script>alert('x')</script><b>bold?</b>", "Selagi kamu pergi", "Back!"])

    # The show ends; the brand replays it with its charts.
    await host.get_by_test_id("end-show").click()
    await expect(ana.get_by_test_id("connection")).to_have_text("Siaran ini telah berakhir")  # Ana reads Bahasa Indonesia
    replay = await page_at(browser, f"{n1.url}/replay.html?brand=acme&speed=64#token={token('acme', '*', 'brand')}", errors)
    await replay.locator("[data-room=shop]").click()
    for chart_id in ("chart-viewers", "chart-sales"):
        points = await replay.locator(f"[data-testid={chart_id}] polyline").get_attribute("points")
        assert points and len(points.split()) >= 2
    await replay.get_by_test_id("play").click()
    await expect(chat(replay)).to_have_text(["Halo semua!", "<script>alert('x')</script><b>bold?</b>", "Selagi kamu pergi", "Back!"], timeout=20_000)
    await expect(replay.get_by_test_id("pinned-products")).to_contain_text("Batik tee")
    await replay.screenshot(path=str(ARTIFACTS / "replay.png"), full_page=True)
    assert errors == []
    await api.http.aclose()
