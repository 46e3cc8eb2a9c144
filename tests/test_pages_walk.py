"""Every page at phone and laptop size, in English and Bahasa Indonesia, as a shopper,
a host and a brand see it: it renders in the language asked for, with no page error;
the screenshots go to test-artifacts/walk/ for people to look at."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.harness import ROOT, LiveServer, bearer, token
from tests.test_browser_e2e import CHROMIUM_ARGS

OUT = ROOT / "test-artifacts" / "walk"
SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}, "laptop": {"viewport": {"width": 1366, "height": 850}}}
SEND = {"en": "Send", "id": "Kirim"}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def test_every_page_at_both_sizes_in_both_languages(tmp_path: Path, browser: Browser) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    srv = LiveServer(tmp_path).start()
    brand = bearer(token("acme", "*", "brand"))
    errors: list[str] = []

    async def page(path: str, size: str) -> Page:
        ctx = await browser.new_context(**SIZES[size])  # type: ignore[arg-type]
        pg = await ctx.new_page()
        pg.on("pageerror", lambda exc: errors.append(f"{path}: {exc}"))
        await pg.goto(srv.url + path)
        return pg

    try:
        async with httpx.AsyncClient(base_url=srv.url) as http:
            await http.put("/v1/catalog/acme/products", json=[{"id": "tee", "sku": "TEE", "title": "Batik tee", "price": 150000, "currency": "IDR"}], headers=brand)
            assert (await http.post("/v1/rooms", json={"id": "shop", "title": "Batik night", "host_id": "host1"}, headers=brand)).status_code == 201
            host = await page(f"/host.html?room=shop#token={token('host1', 'shop', 'host', name='Hana')}", "laptop")
            await host.get_by_test_id("go-live").click()
            await host.get_by_test_id("pin-product").click()
            await host.get_by_test_id("launch-offer").click()
            for lang, query in (("en", ""), ("id", "&lang=id")):
                for size in SIZES:
                    viewer = await page(f"/viewer.html?room=shop{query}#token={token('ana', 'shop', name='Ana')}", size)
                    await viewer.get_by_test_id("chat-input").fill(f"Ada ukuran L? ({size} {lang})")
                    await viewer.get_by_test_id("chat-input").press("Enter")
                    await expect(viewer.get_by_test_id("chat-list")).to_contain_text(f"({size} {lang})")
                    await expect(viewer.get_by_role("button", name=SEND[lang], exact=True)).to_be_visible()
                    await expect(viewer.get_by_test_id("claim-button")).to_be_visible()
                    await viewer.screenshot(path=str(OUT / f"viewer-{size}-{lang}.png"), full_page=True)
                    console = await page(f"/host.html?room=shop{query}#token={token('host1', 'shop', 'host', name='Hana')}", size)
                    await expect(console.get_by_test_id("launch-offer")).to_be_visible()
                    await console.screenshot(path=str(OUT / f"host-{size}-{lang}.png"), full_page=True)
            assert (await http.post("/v1/rooms/shop/end", headers=brand)).status_code == 200
            for lang, query in (("en", ""), ("id", "&lang=id")):
                for size in SIZES:
                    replay = await page(f"/replay.html?brand=acme{query}#token={token('acme', '*', 'brand')}", size)
                    await replay.locator("[data-room=shop]").click()
                    await expect(replay.get_by_test_id("chart-viewers")).to_be_visible()
                    await replay.screenshot(path=str(OUT / f"replay-{size}-{lang}.png"), full_page=True)
    finally:
        srv.stop()
    assert errors == []
