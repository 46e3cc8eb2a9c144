"""Every page at phone and laptop size, in English and Bahasa Indonesia, as a shopper, a host
and a brand see it: it renders in the language asked for, with no page error and no serious
or critical axe-core violation, and can be used from the keyboard; the screenshots go to
test-artifacts/walk/ for people to look at."""

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.harness import LiveServer, bearer, token
from tests.pages import ARTIFACTS, CATALOG, SIZES, axe, new_page, shot, static_site, write_media
from tests.test_embed_replay_e2e import MERCHANT_PAGE

WORDS = {"en": {"send": "Send", "claim": "Claim", "end": "End show", "sessions": "Sessions"},
         "id": {"send": "Kirim", "claim": "Ambil", "end": "Akhiri siaran", "sessions": "Sesi"}}


async def seed(http: httpx.AsyncClient, media: str) -> None:
    brand = bearer(token("acme", "*", "brand"))
    await http.put("/v1/catalog/acme/products", json=[p | {"image_url": f"{media}/{p['id']}.svg"} for p in CATALOG], headers=brand)
    room = {"id": "shop", "title": "Batik night · koleksi baru", "host_id": "host1", "playback_url": f"{media}/show.wav"}
    assert (await http.post("/v1/rooms", json=room, headers=brand)).status_code == 201


async def run_show(host: Page) -> None:
    """What a host does in the first minutes: live, a product on air, a flash sale, a poll, a giveaway."""
    await host.get_by_test_id("go-live").click()
    await expect(host.get_by_test_id("go-live")).to_be_hidden()  # live: only "End show" is offered
    await host.get_by_test_id("pin-kain").click()
    await host.get_by_test_id("pin-tee").click()
    await host.get_by_test_id("flash-tee").click()
    await host.get_by_test_id("offer-discount").fill("30")
    await host.get_by_test_id("offer-units").fill("12")
    await host.get_by_test_id("offer-seconds").fill("600")
    await host.get_by_test_id("launch-offer").click()
    await host.get_by_test_id("poll-question").fill("Warna berikutnya?")
    await host.get_by_test_id("poll-options").fill("Merah marun\nBiru indigo\nHijau")
    await host.get_by_test_id("create-poll").click()
    await host.get_by_test_id("giveaway-title").fill("Kain songket")
    await host.get_by_test_id("start-giveaway").click()
    await host.get_by_test_id("chat-input").fill("Selamat datang! Welcome to the show")
    await host.get_by_test_id("chat-input").press("Enter")
    await expect(host.get_by_test_id("giveaway-entrants")).to_be_visible()


async def keyboard_to(page: Page, testid: str) -> None:
    """Tab from the top until ``testid`` has the focus; every control on the way shows a visible focus ring."""
    await page.evaluate("document.activeElement.blur()")
    for _ in range(60):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement === document.body"):
            continue  # past the last control: the next Tab starts from the top
        assert await page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none", await page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
        if await page.evaluate("document.activeElement.dataset.testid ?? ''") == testid:
            return
    raise AssertionError(f"Tab never reached {testid}")


async def shopper(browser: Browser, url: str, lang: str, size: str, errors: list[str], violations: list[str]) -> None:
    viewer = await new_page(browser, f"{url}/viewer.html?room=shop&lang={lang}#token={token(f'ana-{size}-{lang}', 'shop', name='Ana', tier='gold')}", errors, size)
    await viewer.get_by_test_id("chat-input").fill(f"Ada ukuran L? ({size} {lang})")
    await viewer.get_by_test_id("chat-input").press("Enter")
    await expect(viewer.get_by_test_id("chat-list")).to_contain_text(f"({size} {lang})")
    await expect(viewer.get_by_role("button", name=WORDS[lang]["send"], exact=True)).to_be_visible()
    await expect(viewer.get_by_test_id("product-card").get_by_test_id("claim-button")).to_have_text(WORDS[lang]["claim"])
    await viewer.get_by_test_id("react-heart").click()
    await shot(viewer, f"walk/viewer-live-{size}-{lang}")
    assert "null" not in await viewer.locator("body").inner_text()  # no missing value shows as "null"
    violations += await axe(viewer, f"viewer {size} {lang}")
    # Keyboard only: Tab reaches the card's Claim button, Enter claims; focus is visible all the way.
    await keyboard_to(viewer, "claim-button")
    await viewer.keyboard.press("Enter")
    await expect(viewer.get_by_test_id("product-card").get_by_test_id("offer-error")).to_contain_text(re.compile("Reserved!|Dipesan!"))
    if size == "phone":
        for sheet in ("bag", "poll", "giveaway"):
            await viewer.get_by_test_id(f"open-{sheet}").click()
            await expect(viewer.get_by_test_id(f"sheet-{sheet}")).to_be_visible()
            await shot(viewer, f"walk/viewer-{sheet}-{size}-{lang}")
            violations += await axe(viewer, f"viewer {sheet} sheet {size} {lang}")
            await viewer.keyboard.press("Escape")
            await expect(viewer.get_by_test_id(f"open-{sheet}")).to_be_focused()  # focus returns where it was
    guest = await new_page(browser, f"{url}/viewer.html?room=shop&lang={lang}", errors, size)
    await guest.get_by_test_id("guest-cta").click()
    await expect(guest.get_by_test_id("sheet-guest")).to_be_visible()
    await shot(guest, f"walk/viewer-guest-{size}-{lang}")
    await guest.context.close()
    await viewer.context.close()


@pytest.mark.timeout(300)  # four passes over every page, axe-core on each: about two minutes here
async def test_every_page_at_both_sizes_in_both_languages(tmp_path: Path, browser: Browser) -> None:
    write_media(tmp_path / "www")
    errors: list[str] = []
    violations: list[str] = []
    with static_site(tmp_path / "www") as media:
        merchant = media.replace("127.0.0.1", "localhost")
        srv = LiveServer(tmp_path, LIVE_MEDIA_ORIGINS=json.dumps([media]), LIVE_SAMPLE_SECONDS="0.5", LIVE_EMBED_ANCESTORS=json.dumps({"acme": [merchant]})).start()
        try:
            async with httpx.AsyncClient(base_url=srv.url) as http:
                await seed(http, media)
                host = await new_page(browser, f"{srv.url}/host.html?room=shop#token={token('host1', 'shop', 'host', name='Hana')}", errors)
                await run_show(host)
                for lang in ("en", "id"):
                    for size in SIZES:
                        await shopper(browser, srv.url, lang, size, errors, violations)
                        console = await new_page(browser, f"{srv.url}/host.html?room=shop&lang={lang}#token={token('host1', 'shop', 'host', name='Hana')}", errors, size)
                        await expect(console.get_by_test_id("end-show")).to_have_text(WORDS[lang]["end"])
                        await expect(console.get_by_test_id("chat-list")).to_contain_text("Welcome to the show")
                        if size == "laptop":  # the preview and the chat side by side, above the fold
                            preview, chat = await console.locator(".preview").bounding_box(), await console.get_by_test_id("chat-list").bounding_box()
                            assert preview and chat and chat["x"] > preview["x"] + preview["width"] - 1 and chat["y"] < 850 and preview["y"] < 850
                        if size == "laptop":  # keyboard only: Tab to a product's flash sale, open its form with Enter
                            await keyboard_to(console, "flash-kain")
                            await console.keyboard.press("Enter")
                            await expect(console.get_by_test_id("offer-form")).to_be_visible()
                        await shot(console, f"walk/host-{size}-{lang}")
                        assert "null" not in await console.locator("body").inner_text()  # no missing value shows as "null"
                        violations += await axe(console, f"host {size} {lang}")
                        await console.context.close()
                        (tmp_path / "www" / f"shop-{lang}.html").write_text(MERCHANT_PAGE.format(live=srv.url, room="shop", token=token(f"sari-{size}", "shop", name="Sari")).replace('data-lang="id"', f'data-lang="{lang}"'))
                        shop = await new_page(browser, f"{merchant}/shop-{lang}.html", errors, size)
                        await expect(shop.locator("#log")).to_contain_text("ready")
                        await expect(shop.frame_locator("iframe").get_by_test_id("product-card")).to_contain_text(WORDS[lang]["claim"])
                        await shot(shop, f"walk/embed-{size}-{lang}")
                        await shop.context.close()
                assert (await http.post("/v1/rooms/shop/end", headers=bearer(token("acme", "*", "brand")))).status_code == 200
                for lang in ("en", "id"):
                    for size in SIZES:
                        brand = await new_page(browser, f"{srv.url}/replay.html?brand=acme&lang={lang}#token={token('acme', '*', 'brand')}", errors, size)
                        await expect(brand.get_by_test_id("sessions-box")).to_contain_text(WORDS[lang]["sessions"])
                        await brand.locator("[data-room=shop]").click()
                        await expect(brand.get_by_test_id("chart-viewers")).to_be_visible()
                        await expect(brand.get_by_test_id("markers").locator(".marker")).not_to_have_count(0)
                        await shot(brand, f"walk/brand-{size}-{lang}")
                        assert "null" not in await brand.locator("body").inner_text()  # no missing value shows as "null"
                        await brand.screenshot(path=str(ARTIFACTS / "walk" / f"brand-full-{size}-{lang}.png"), full_page=True)
                        violations += await axe(brand, f"brand {size} {lang}")
                        await brand.context.close()
        finally:
            srv.stop()
    assert errors == []
    assert violations == []
