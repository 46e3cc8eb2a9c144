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


async def test_a_shopper_who_missed_the_show_watches_its_replay_on_the_shows_link(site: Site, browser: Browser) -> None:
    """An ended show's link, opened later as a guest: a phone in Bahasa Indonesia gets the show as
    it began and "Tonton tayangan ulang", which plays the recording with the chat, the pin and the
    flash sale arriving at their moments, and "Tonton lagi" at the end. Someone who watched it
    live to the end gets the same button beside "ended", and the replay starts over from 0:00.
    A show called off before it went live says there is no replay."""
    api = await open_show(site, "missed")
    staff = bearer(token("acme", "*", "brand"))
    errors: list[str] = []
    stayed = await new_page(browser, f"{site.nodes[1].url}/viewer.html?room=missed&lang=en#token={token('ana', 'missed', name='Ana')}", errors)
    assert (await api.http.post("/v1/rooms/missed/live", headers=staff)).status_code == 200
    host = await Client.join(site.nodes[1].ws_url("missed"), token("host1", "missed", "host", name="Hana"))
    assert (await host.request("product.pin", product_id="kain"))["ok"]
    assert (await host.request("chat.post", text="Selamat datang"))["ok"]
    await asyncio.sleep(2)  # the show's own pace: the replay must bring the sale this far in
    assert (await host.request("offer.create", product_id="tee", units=10, price=199000, duration_seconds=600))["ok"]
    assert (await host.request("chat.post", text="Flash sale now!"))["ok"]
    await asyncio.sleep(2)
    assert (await host.request("chat.post", text="Terima kasih"))["ok"]
    await host.close()
    await expect(stayed.get_by_test_id("chat-list")).to_contain_text("Terima kasih")
    assert (await api.http.post("/v1/rooms/missed/end", headers=staff)).status_code == 200

    phone = await new_page(browser, f"{site.nodes[0].url}/viewer.html?room=missed&lang=id", errors, "phone")
    banner = phone.get_by_test_id("banner")
    await expect(banner).to_contain_text("Siaran ini telah berakhir")
    await expect(phone.locator("h1.title")).to_have_text("Batik night")  # the room as it began, not a blank page
    chat = phone.get_by_test_id("chat-list")
    await expect(chat).not_to_contain_text("Selamat datang")
    for nothing_to_do in ("guest-cta", "react-heart"):  # a show that is over invites no chat or reaction
        await expect(phone.get_by_test_id(nothing_to_do)).to_be_hidden()
    await banner.get_by_role("button", name="Tonton tayangan ulang").click()
    await expect(chat).to_contain_text("Selamat datang")
    await expect(phone.get_by_test_id("product-card")).to_contain_text("Kain songket")
    await expect(chat).not_to_contain_text("Flash sale now!")  # not before its moment
    card = phone.get_by_test_id("product-card")
    await expect(card).to_contain_text("Batik tee", timeout=10_000)
    await expect(chat).to_contain_text("Flash sale now!")
    await expect(phone.get_by_test_id("claim-button")).to_have_count(0)  # the sale is over: nothing to claim in a replay
    await expect(card.get_by_test_id("price")).to_have_text("Rp 289.000")  # its product at its own price, not the deal's
    await expect(card.get_by_test_id("discount")).to_have_count(0)
    await expect(card.get_by_test_id("offer-stock")).to_have_count(0)
    await expect(card.get_by_test_id("details")).to_be_visible()
    assert await phone.get_by_test_id("video").evaluate("v => !v.paused && v.currentTime > 1")  # the recording plays along
    await shot(phone, "viewer-replay-phone-id")
    await expect(chat).to_contain_text("Terima kasih")
    await expect(banner.get_by_role("button", name="Tonton lagi")).to_be_visible(timeout=10_000)
    await expect(banner).to_contain_text("Siaran ini telah berakhir")
    await expect(phone.get_by_test_id("live-badge")).to_have_count(0)  # a replay is never shown as live

    await expect(stayed.get_by_test_id("banner")).to_contain_text("This show has ended")
    for nothing_to_do in ("chat-input", "send", "react-heart", "ask-input"):  # nor a question (the panel is docked here)
        await expect(stayed.get_by_test_id(nothing_to_do)).to_be_hidden()
    await expect(stayed.get_by_test_id("questions")).to_have_text("No questions were asked.")  # not "Ask the first one!"
    await expect(stayed.get_by_test_id("orders")).to_contain_text("Nothing claimed in this show.")
    await stayed.get_by_test_id("watch-replay").click()
    await expect(stayed.get_by_test_id("chat-list")).not_to_contain_text("Terima kasih")  # from the start again
    assert await stayed.get_by_test_id("video").evaluate("v => v.currentTime < 2")
    await expect(stayed.get_by_test_id("chat-list")).to_contain_text("Terima kasih", timeout=10_000)
    await shot(stayed, "viewer-replay-laptop-en")
    violations = await axe(stayed, "viewer replay") + await axe(phone, "viewer replay phone")

    # On a merchant's page, the ended show's frame says it is ready, and offers its replay.
    merchant, frame = await merchant_page(browser, site, site.folder, "missed", "sari", errors)
    await expect(merchant.locator("#log")).to_contain_text('ready {"room_id":"missed","title":"Batik night","status":"ended"}')
    # A shoppable replay: the product the host showed goes to the merchant's cart at its price.
    await frame.get_by_test_id("watch-replay").click()
    framed_card = frame.get_by_test_id("product-card")
    await expect(framed_card).to_contain_text("Batik tee", timeout=10_000)
    await framed_card.get_by_test_id("add-to-cart").click()
    await expect(merchant.locator("#log")).to_contain_text('add-to-cart {"product_id":"tee","sku":"TEE-01","title":"Batik tee","price":289000,"currency":"IDR","quantity":1}')
    await shot(merchant, "embed-replay-add-to-cart-laptop-id")

    called_off = await open_show(site, "called-off")  # scheduled, then ended without going live
    assert (await called_off.http.post("/v1/rooms/called-off/end", headers=staff)).status_code == 200
    await called_off.http.aclose()
    never = await new_page(browser, f"{site.nodes[0].url}/viewer.html?room=called-off&lang=en", errors)
    await expect(never.get_by_test_id("banner")).to_contain_text("It never went live: there is no replay.")
    await expect(never.get_by_test_id("watch-replay")).to_have_count(0)
    await api.http.aclose()
    assert errors == [] and violations == []


async def test_a_brand_publishes_a_held_review_and_hides_another_and_the_live_room_follows(site: Site, browser: Browser) -> None:
    api = await open_show(site, "heldrev", brand="batikku")
    staff = bearer(token("batikku", "*", "brand"))
    assert (await api.http.put("/v1/brands/batikku/automod", json={"held_words": ["knockoff"]}, headers=staff)).status_code == 200
    assert (await api.http.post("/v1/rooms/heldrev/live", headers=staff)).status_code == 200
    host = await Client.join(site.nodes[1].ws_url("heldrev"), token("host1", "heldrev", "host", name="Hana"))
    assert (await host.request("product.pin", product_id="tee"))["ok"]
    offer = (await host.request("offer.create", product_id="tee", units=5))["result"]["offer_id"]
    # Two paid buyers review: Cy's words are held by the brand's automatic moderation, Dewi's go out.
    for buyer, stars, text in (("cy", 2, "A knockoff, the print fades"), ("dewi", 5, "Bagus sekali, adem")):
        shopper = await Client.join(site.nodes[1].ws_url("heldrev"), token(buyer, "heldrev", name=buyer.title()))
        reservation = (await shopper.request("offer.claim", offer_id=offer, key=buyer))["result"]["reservation_id"]
        await shopper.close()
        assert (await api.http.post(f"/v1/rooms/heldrev/orders/{reservation}/confirm", headers=staff)).status_code == 200
        made = await api.http.post(f"/v1/rooms/heldrev/orders/{reservation}/review", json={"stars": stars, "text": text}, headers=bearer(token(buyer, "heldrev")))
        assert made.status_code == 201 and made.json()["status"] == ("held" if buyer == "cy" else "published"), made.text
    errors: list[str] = []
    ana = await new_page(browser, f"{site.nodes[0].url}/viewer.html?room=heldrev#token={token('ana', 'heldrev', name='Ana')}", errors, "phone")
    rating = ana.get_by_test_id("product-card").get_by_test_id("rating")
    await expect(rating).to_have_text("★ 5.0 (1)")

    # The brand's page, on a phone in Bahasa Indonesia: the held review waits with why.
    brand = await new_page(browser, f"{site.nodes[0].url}/replay.html?brand=batikku&lang=id#token={token('batikku', '*', 'brand')}", errors, "phone")
    box = brand.get_by_test_id("reviews-box")
    await expect(box.get_by_test_id("reviews-held")).to_have_text("Menunggu (1)")
    held = box.get_by_test_id("brand-review")
    await expect(held).to_have_count(1)
    await expect(held).to_contain_text("“A knockoff, the print fades”")
    await expect(held).to_contain_text("Batik tee")
    await expect(held.get_by_test_id("review-why")).to_have_text("Ditahan karena: kata yang tidak diizinkan")
    await box.scroll_into_view_if_needed()
    await shot(brand, "brand-reviews-phone-id")
    violations = await axe(brand, "brand reviews")
    await held.get_by_test_id("review-publish").click()
    await expect(brand.get_by_test_id("toast")).to_have_text("Terbit — tampil di produk di mana pun")
    await expect(box).to_contain_text("Tidak ada ulasan yang menunggu.")
    await expect(rating).to_have_text("★ 3.5 (2)")  # the live room's card, through the room's log

    # On a laptop in English: the published ones, and one hidden again.
    laptop = await new_page(browser, f"{site.nodes[1].url}/replay.html?brand=batikku&lang=en#token={token('batikku', '*', 'brand')}", errors)
    box = laptop.get_by_test_id("reviews-box")
    await box.get_by_test_id("reviews-published").click()
    await expect(box.get_by_test_id("reviews-published")).to_have_attribute("aria-pressed", "true")
    await expect(box.get_by_test_id("brand-review")).to_have_count(2)
    await shot(laptop, "brand-reviews-laptop-en")
    await box.get_by_test_id("brand-review").filter(has_text="knockoff").get_by_test_id("review-hide").click()
    await expect(laptop.get_by_test_id("toast")).to_have_text("Hidden — shown nowhere")
    await expect(box.get_by_test_id("brand-review")).to_have_count(1)
    await expect(rating).to_have_text("★ 5.0 (1)")
    await box.get_by_test_id("reviews-hidden").click()
    await expect(box.get_by_test_id("brand-review")).to_contain_text("knockoff")
    await host.close()
    await api.http.aclose()
    assert errors == [] and violations == []
