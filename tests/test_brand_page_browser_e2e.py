"""The brand page in a real browser (Debian's Chromium, headless) against two nodes on Redis:
a busy brand's review queue, and what the page says when it cannot show the sessions;
axe-core on each page, screenshots to test-artifacts/. (Its replay is in
test_embed_replay_e2e.py, its moderator team in test_live_updates_browser_e2e.py.)"""

import asyncio
import re
import time

from playwright.async_api import Browser, expect

from live.auth import LEEWAY_SECONDS
from tests.harness import Client, bearer, token
from tests.pages import Site, axe, new_page, open_show, shot


async def test_the_brand_page_says_when_its_sign_in_is_stale_or_another_brands(site: Site, browser: Browser) -> None:
    """An expired brand token (phone, Bahasa Indonesia) or another brand's (laptop, English) leaves
    one alert with a way to try again, not an empty page with its error in the console."""
    url = f"{site.nodes[0].url}/replay.html?brand=acme"
    errors: list[str] = []
    stale = await new_page(browser, f"{url}&lang=id#token={token('acme', '*', 'brand', ttl=-600)}", errors, "phone")
    alert = stale.get_by_role("alert")
    await expect(alert).to_contain_text("Sesi masukmu kedaluwarsa atau tidak valid")
    await expect(alert.get_by_role("button", name="Coba lagi")).to_be_visible()
    await expect(stale.get_by_test_id("sessions")).to_have_count(0)
    await shot(stale, "brand-stale-token-phone-id")
    other = await new_page(browser, f"{url}&lang=en#token={token('other-shop', '*', 'brand')}", errors)
    await expect(other.get_by_test_id("page-error")).to_have_text(re.compile("This sign-in is not for this brand's sessions.*Try again"))
    assert await axe(other, "brand page error") == []
    await shot(other, "brand-other-brands-token-laptop-en")
    nobrand = await new_page(browser, f"{site.nodes[0].url}/replay.html#token={token('acme', '*', 'brand')}", errors)
    await expect(nobrand.get_by_test_id("page-error")).to_contain_text("No brand given")
    assert [e for e in errors if "Failed to load resource" not in e] == []  # Chromium's own line for each 401/403


async def test_a_sign_in_that_expires_on_an_open_page_makes_the_export_say_so(site: Site, browser: Browser) -> None:
    """The brand opened a session; its token expires; Export then says "Sign in again" in the
    toast and saves nothing (it used to save the error's JSON as the CSV)."""
    api = await open_show(site, "expiring")
    staff = bearer(token("acme", "*", "brand"))
    assert (await api.http.post("/v1/rooms/expiring/live", headers=staff)).status_code == 200
    assert (await api.http.post("/v1/rooms/expiring/end", headers=staff)).status_code == 200
    ttl = -2  # valid for LEEWAY_SECONDS + ttl = 8 s: long enough to open the page and the session
    valid_until = time.time() + ttl + LEEWAY_SECONDS
    errors: list[str] = []
    page = await new_page(browser, f"{site.nodes[0].url}/replay.html?brand=acme#token={token('acme', '*', 'brand', ttl=ttl)}", errors)
    downloads: list[object] = []
    page.on("download", lambda d: downloads.append(d))
    await page.locator("[data-room=expiring]").click()
    await expect(page.get_by_test_id("export-csv")).to_be_visible()
    await asyncio.sleep(max(0.0, valid_until - time.time()) + 1)  # the token's expiry, not a race: the clock decides
    await page.get_by_test_id("export-csv").click()
    await expect(page.get_by_test_id("toast")).to_have_text("Sign in again to do that")
    assert downloads == []
    await api.http.aclose()
    assert [e for e in errors if "Failed to load resource" not in e] == []


async def test_a_busy_brand_works_through_its_held_reviews_twenty_at_a_time(site: Site, browser: Browser) -> None:
    """The brand page's review queue on a laptop: 21 held reviews show as 20 and "Show more";
    the 21st comes after them (oldest first), and publishing it takes it off the queue."""
    n0, _ = site.nodes
    staff = bearer(token("busy-shop", "*", "brand"))
    api = await open_show(site, "busy", brand="busy-shop")
    assert (await api.http.put("/v1/brands/busy-shop/automod", json={"held_words": ["knockoff"]}, headers=staff)).status_code == 200
    assert (await api.http.post("/v1/rooms/busy/live", headers=staff)).status_code == 200
    host = await Client.join(n0.ws_url("busy"), token("host1", "busy", "host"))
    offer = (await host.request("offer.create", product_id="tee", units=21, per_buyer_limit=1))["result"]["offer_id"]
    for n in range(21):
        buyer = await Client.join(n0.ws_url("busy"), token(f"buyer{n}", "busy", name=f"Buyer {n}"))
        rid = (await buyer.request("offer.claim", offer_id=offer, key=f"k{n}"))["result"]["reservation_id"]
        await buyer.close()
        assert (await api.http.post(f"/v1/rooms/busy/orders/{rid}/confirm", headers=staff)).status_code == 200
        made = await api.http.post(f"/v1/rooms/busy/orders/{rid}/review", json={"stars": 2, "text": f"a knockoff, review {n}"}, headers=bearer(token(f"buyer{n}", "busy")))
        assert made.status_code == 201 and made.json()["status"] == "held", made.text
    await host.close()
    errors: list[str] = []
    page = await new_page(browser, f"{n0.url}/replay.html?brand=busy-shop#token={token('busy-shop', '*', 'brand')}", errors)
    queue = page.get_by_test_id("brand-reviews").get_by_test_id("brand-review")
    await expect(page.get_by_test_id("reviews-held")).to_have_text("Waiting (20+)")
    await expect(queue).to_have_count(20)
    await expect(queue.first).to_contain_text("review 0")
    await page.get_by_test_id("reviews-more").click()
    await expect(queue).to_have_count(21)
    await expect(page.get_by_test_id("reviews-held")).to_have_text("Waiting (21)")
    await expect(page.get_by_test_id("reviews-more")).to_have_count(0)
    last = queue.nth(20)
    await expect(last).to_contain_text("review 20")
    await expect(last.get_by_test_id("review-why")).to_contain_text("Held for")
    await last.get_by_test_id("review-publish").click()
    await expect(page.get_by_test_id("toast")).to_be_visible()
    await expect(queue).to_have_count(20)
    await expect(page.get_by_test_id("reviews-more")).to_have_count(0)
    await expect(page.get_by_test_id("reviews-held")).to_have_text("Waiting (20)")
    await page.get_by_test_id("reviews-published").click()
    await expect(queue).to_have_count(1)
    await expect(queue).to_contain_text("review 20")
    await api.http.aclose()
    assert errors == []
