"""A merchant's own page with the show embedded (events for add-to-cart and checkout, a method to
open a product, framing allowed per brand), and a brand replaying a show with the video following
the scrubber — in Chromium against two nodes."""

import asyncio
import re
from pathlib import Path

import httpx
from playwright.async_api import Browser, Frame, Page, expect

from tests.harness import Client, bearer, eventually, token
from tests.pages import Site, axe, new_page, open_show, shot

MERCHANT_PAGE = """<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Toko Acme</title><link rel="icon" href="data:,"></head>
<body><h1>Toko Acme</h1><ol id="log"></ol>
<script src="{live}/embed.js" data-room="{room}" data-lang="id" data-token="{token}" async></script>
<script>
for (const name of ["ready", "add-to-cart", "checkout", "login"]) {{
  document.addEventListener("live:" + name, (e) => {{
    const li = document.createElement("li");
    li.textContent = name + " " + JSON.stringify(e.detail);
    document.getElementById("log").append(li);
  }});
}}
</script></body></html>"""


async def merchant_page(browser: Browser, site: Site, folder: Path, room: str, viewer: str, errors: list[str]) -> tuple[Page, Frame]:
    (folder / f"{room}.html").write_text(MERCHANT_PAGE.format(live=site.nodes[1].url, room=room, token=token(viewer, room, name=viewer.title())))
    page = await new_page(browser, f"{site.merchant}/{room}.html", errors, "laptop")
    await expect(page.locator("#log")).to_contain_text("ready")
    frame = page.frame_locator("iframe[data-live-embed]")
    handle = await page.locator("iframe[data-live-embed]").element_handle()
    assert handle is not None
    content = await handle.content_frame()
    assert content is not None
    await expect(frame.get_by_test_id("room-status")).to_contain_text("Batik night")
    return page, content


async def frame_urls(page: Page) -> list[str]:
    return [f.url for f in page.frames if f is not page.main_frame]


async def test_the_embed_on_a_merchants_page(site: Site, browser: Browser) -> None:
    api = await open_show(site, "embedded")
    assert (await api.http.post("/v1/rooms/embedded/live", headers=bearer(token("acme", "*", "brand")))).status_code == 200
    host = await Client.join(site.nodes[0].ws_url("embedded"), token("host1", "embedded", "host", name="Hana"))
    folder = site.folder
    errors: list[str] = []
    page, frame = await merchant_page(browser, site, folder, "embedded", "sari", errors)

    # A product on air without an offer: the merchant's cart takes it.
    assert (await host.request("product.pin", product_id="kain"))["ok"]
    await frame.get_by_test_id("product-card").get_by_test_id("add-to-cart").click()
    await expect(page.locator("#log")).to_contain_text('add-to-cart {"product_id":"kain","sku":"KAIN-01","title":"Kain songket","price":450000,"currency":"IDR","quantity":1}')
    # A flash sale: the claim's reservation goes to the merchant's checkout.
    offer = await host.request("offer.create", product_id="tee", units=10, price=199000, per_buyer_limit=2, duration_seconds=300)
    assert offer["ok"], offer
    await frame.get_by_test_id("product-card").get_by_test_id("claim-button").click()
    await expect(page.locator("#log")).to_contain_text(re.compile(r'checkout \{"reservation_id":\d+,"offer_id":\d+,"product_id":"tee","sku":"TEE-01","units":1,"price":199000,"currency":"IDR"'))
    # The merchant opens a product's sheet from its own page.
    await page.evaluate("window.liveEmbeds[0].openProduct('kain')")
    await expect(frame.get_by_test_id("sheet-product")).to_contain_text("Kain songket")
    await expect(frame.get_by_test_id("sheet-product")).not_to_contain_text("null")
    await shot(page, "embed-merchant-laptop-id")
    violations = await axe(frame, "embed")

    # Framing is the brand's to allow: another brand's show is refused on this merchant's page.
    await (await open_show(site, "elsewhere", brand="globex")).http.aclose()
    (folder / "elsewhere.html").write_text(MERCHANT_PAGE.format(live=site.nodes[0].url, room="elsewhere", token=""))
    other = await new_page(browser, f"{site.merchant}/elsewhere.html", [], "laptop")
    blocked = other.locator("iframe[data-live-embed]")
    await expect(blocked).to_be_attached()
    await eventually(lambda: frame_urls(other), lambda urls: urls == ["chrome-error://chromewebdata/"])  # Chromium's page for a refused frame
    assert not await other.locator("#log li").count()
    async with httpx.AsyncClient(base_url=site.nodes[0].url) as http:
        own, theirs, plain, missing = [await http.get(p) for p in ("/embed/embedded", "/embed/elsewhere", "/viewer.html", "/embed/nope")]
    assert f"frame-ancestors {site.merchant}" in own.headers["content-security-policy"]
    assert "x-frame-options" not in own.headers
    assert "frame-ancestors 'none'" in theirs.headers["content-security-policy"]
    assert plain.headers["x-frame-options"] == "DENY"
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    await host.close()
    await api.http.aclose()
    assert errors == [] and violations == []


async def scrub_to(page: Page, ms: int) -> None:
    """Drag the scrubber to ``ms`` (a range input: set it and let go, as a pointer would)."""
    await page.get_by_test_id("timeline").evaluate("(el, ms) => { el.value = ms; el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); }", ms)


async def video_ms(page: Page) -> int:
    return int(await page.get_by_test_id("video").evaluate("v => Math.round(v.currentTime * 1000)"))


async def test_a_brand_replays_a_show_with_the_video_following_the_scrubber(site: Site, browser: Browser) -> None:
    api = await open_show(site, "rerun")
    staff = bearer(token("acme", "*", "brand"))
    assert (await api.http.post("/v1/rooms/rerun/live", headers=staff)).status_code == 200
    host = await Client.join(site.nodes[1].ws_url("rerun"), token("host1", "rerun", "host", name="Hana"))
    # A show with a timeline: a pin at once, a flash sale ~3 s in, chat around them.
    assert (await host.request("product.pin", product_id="kain"))["ok"]
    assert (await host.request("chat.post", text="Selamat datang"))["ok"]
    await asyncio.sleep(3)  # the show's own pace: these offsets are what the replay must reproduce
    assert (await host.request("offer.create", product_id="tee", units=10, price=199000, per_buyer_limit=2, duration_seconds=600))["ok"]
    assert (await host.request("chat.post", text="Flash sale now!"))["ok"]
    await asyncio.sleep(3)
    assert (await host.request("chat.post", text="Terima kasih"))["ok"]
    await host.close()
    assert (await api.http.post("/v1/rooms/rerun/end", headers=staff)).status_code == 200
    errors: list[str] = []
    brand = await new_page(browser, f"{site.nodes[0].url}/replay.html?brand=acme#token={token('acme', '*', 'brand')}", errors)
    await brand.locator("[data-room=rerun]").click()
    await expect(brand.get_by_test_id("session-meta").first).to_contain_text("Peak")
    await expect(brand.get_by_test_id("markers").locator("[data-marker=Pin]")).to_have_count(1)
    await expect(brand.get_by_test_id("markers").locator("[data-marker=Offer]")).to_have_count(1)
    await expect(brand.get_by_test_id("chart-viewers").locator("[data-axis=x]").first).to_have_text(re.compile(r"\d{1,2}:\d\d"))

    # Seek before the sale: the product on air is the pinned one, the video is there too.
    await scrub_to(brand, 1000)
    await expect(brand.get_by_test_id("product-card")).to_contain_text("Kain songket")
    assert abs(await video_ms(brand) - 1000) < 300
    await expect(brand.get_by_test_id("chat-list")).to_contain_text("Selamat datang")
    await expect(brand.get_by_test_id("chat-list")).not_to_contain_text("Flash sale now!")
    # Seek into the sale: its card, its real countdown (not "Starts in 29933819:45").
    await scrub_to(brand, 5000)
    card = brand.get_by_test_id("product-card")
    await expect(card).to_contain_text("Batik tee")
    await expect(card.get_by_test_id("offer-countdown")).to_have_text(re.compile(r"Ends in (9:5\d|10:00)"))
    assert abs(await video_ms(brand) - 5000) < 300
    # Play: the video runs and the scrubber follows it; the replay's events arrive on that clock.
    await scrub_to(brand, 0)
    await brand.get_by_test_id("play").click()
    await expect(brand.get_by_test_id("chat-list")).to_contain_text("Terima kasih", timeout=15_000)
    scrub = int(await brand.get_by_test_id("timeline").input_value())
    assert scrub >= 5500 and abs(await video_ms(brand) - scrub) < 1000  # the scrubber moves with the video's own clock
    await expect(brand.get_by_test_id("play")).to_have_text("▶ Play")  # the show's end stops both
    assert await brand.get_by_test_id("video").evaluate("v => v.paused")
    await shot(brand, "brand-replay-laptop-en")
    violations = await axe(brand, "brand replay")
    async with brand.expect_download() as download:
        await brand.get_by_test_id("export-csv").click()
    assert (await download.value).suggested_filename == "rerun.csv"
    await api.http.aclose()
    assert errors == [] and violations == []
