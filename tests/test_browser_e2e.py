"""The viewer and the host console together in a real browser (Debian's Chromium, headless)
against two nodes on Redis, as a shopper on a phone and a host on a laptop use them;
axe-core on each page; screenshots of each state to test-artifacts/. The host console's
own flows are in test_host_browser_e2e.py, the brand page's in test_brand_page_browser_e2e.py."""

import contextlib
import re
import signal

from playwright.async_api import Browser, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tests.harness import Api, token
from tests.pages import Site, axe, new_page, open_show, shot


def chat(page: Page) -> object:
    return page.get_by_test_id("chat-list").locator("li:not(.pending) .text")


async def flash_sale(host: Page, product: str, *, discount: str, units: str, limit: str = "2") -> None:
    await host.get_by_test_id(f"flash-{product}").click()
    await host.get_by_test_id("offer-discount").fill(discount)
    await host.get_by_test_id("offer-units").fill(units)
    await host.get_by_test_id("offer-limit").fill(limit)
    await host.get_by_test_id("launch-offer").click()
    await expect(host.get_by_test_id("toast")).to_contain_text("✓")


async def test_a_shopper_buys_from_the_sticky_card_while_the_host_runs_the_show(site: Site, browser: Browser) -> None:
    n0, n1 = site.nodes
    api = await open_show(site, "shop")
    errors: list[str] = []
    violations: list[str] = []
    host = await new_page(browser, f"{n0.url}/host.html?room=shop#token={token('host1', 'shop', 'host', name='Hana')}", errors)
    await host.get_by_test_id("go-live").click()
    await expect(host.get_by_test_id("live-badge")).to_be_visible()
    await expect(host.get_by_test_id("go-live")).to_be_hidden()  # no second go-live while live
    ana = await new_page(browser, f"{n0.url}/viewer.html?room=shop&lang=id#token={token('ana', 'shop', name='Ana')}", errors, "phone")
    ben = await new_page(browser, f"{n1.url}/viewer.html?room=shop#token={token('ben', 'shop', name='Ben')}", errors, "phone")
    for page in (host, ana, ben):
        await expect(page.get_by_test_id("room-status")).to_contain_text("Batik night")
        assert await page.get_by_test_id("video").get_attribute("src") == f"{site.media}/show.wav"

    # Chat over the video, in the same order everywhere; user text is text, never HTML.
    await ana.get_by_test_id("chat-input").fill("Halo semua!")
    await ana.get_by_test_id("chat-input").press("Enter")
    await expect(chat(ben)).to_have_text(["Halo semua!"])
    await ben.get_by_test_id("chat-input").fill("<script>alert('x')</script><b>bold?</b>")
    await ben.get_by_test_id("chat-input").press("Enter")
    for page in (host, ana, ben):
        await expect(chat(page)).to_have_text(["Halo semua!", "<script>alert('x')</script><b>bold?</b>"])
        assert await page.locator(".chat-list b").count() == 0
    chat_box = await ben.get_by_test_id("chat-list").bounding_box()
    video_box = await ben.get_by_test_id("video").bounding_box()
    assert chat_box and video_box and video_box["height"] >= 800 and chat_box["y"] > video_box["height"] / 2  # over the lower part of a full-height video

    # The host pins a product in one click: the sticky card shows it with its picture.
    await host.get_by_test_id("pin-tee").click()
    card = ben.get_by_test_id("product-card")
    await expect(card).to_contain_text("Batik tee")
    assert await card.locator("img").get_attribute("src") == f"{site.media}/tee.svg"
    await expect(ana.get_by_test_id("product-card").get_by_test_id("price")).to_have_text(re.compile(r"Rp\s289\.000"))

    # A flash sale at 31 % off: crossed-out price, % off, countdown, stock bar; a claim; the limit.
    await flash_sale(host, "tee", discount="31", units="5")
    await expect(card.get_by_test_id("was-price")).to_have_text("IDR 289,000")
    await expect(card.get_by_test_id("discount")).to_have_text("-31%")
    await expect(card.get_by_test_id("price")).to_have_text("IDR 199,410")
    await expect(card.get_by_test_id("offer-countdown")).to_contain_text(re.compile(r"Ends in (0:[0-5]\d|1:00)"))
    first = await card.get_by_test_id("offer-countdown").inner_text()
    await expect(card.get_by_test_id("offer-countdown")).not_to_have_text(first)
    await expect(card.get_by_test_id("offer-stock")).to_have_text("5 / 5 left")
    await shot(ben, "viewer-offer-phone-en")
    await card.get_by_test_id("claim-units").fill("2")
    await card.get_by_test_id("claim-button").click()
    await expect(card.get_by_test_id("offer-error")).to_contain_text(re.compile(r"Reserved! Complete checkout in \d+:\d\d"))
    for page in (host, ana, ben):
        await expect(page.get_by_test_id("offer-stock").first).to_contain_text("3 / 5")
    await expect(ana.get_by_test_id("product-card").get_by_test_id("low-stock")).to_have_text(" · Tinggal 3 lagi!")
    await expect(ana.get_by_test_id("product-card").get_by_test_id("sold")).to_contain_text("2 terjual")
    assert await ana.locator(".card .stock-bar span").get_attribute("style") == "width:60%"
    await card.get_by_test_id("claim-units").fill("1")
    await card.get_by_test_id("claim-button").click()
    await expect(card.get_by_test_id("offer-error")).to_have_text("You've reached the limit for this offer")
    await expect(host.get_by_test_id("claimed-units")).to_have_text("2")
    await ben.get_by_test_id("open-orders-rail").click()
    order = ben.get_by_test_id("sheet-orders").get_by_test_id("order")
    await expect(order).to_contain_text("Batik tee · 2 × IDR 199,410")
    await expect(order).to_contain_text(re.compile(r"Reserved! Complete checkout in (9|10):\d\d"))
    await shot(ben, "viewer-orders-phone-en")
    violations += await axe(ben, "viewer (orders sheet)")
    await ben.keyboard.press("Escape")
    await expect(ben.get_by_test_id("panel")).to_be_hidden()

    # The host's console: no moderation buttons on the host's own lines; each action says how it went.
    await host.get_by_test_id("chat-input").fill("Welcome everyone!")
    await host.get_by_test_id("chat-input").press("Enter")
    await expect(chat(ana)).to_have_count(3)
    own = host.get_by_test_id("chat-list").locator("li", has_text="Welcome everyone!")
    assert await own.locator(".mod button").count() == 0
    await expect(ana.get_by_test_id("chat-list").locator("li", has_text="Welcome everyone!").locator(".role")).to_have_text("Host")
    await host.get_by_role("button", name="Time out: Ana").first.click()
    await expect(host.get_by_test_id("toast")).to_have_text("Ana: Time out 5:00 ✓")
    await expect(host.get_by_test_id("timed-out")).to_contain_text("Ana (ana)")
    await host.get_by_test_id("timed-out").get_by_role("button", name="Lift time-out").click()
    await expect(host.get_by_test_id("timed-out")).to_contain_text("Nobody")
    await shot(host, "host-live-laptop-en")
    violations += await axe(host, "host console")
    await api.http.aclose()
    assert errors == [] and violations == []


async def test_community_sheets_guests_reload_and_reconnect(site: Site, browser: Browser) -> None:
    n0, n1 = site.nodes
    api = await open_show(site, "club")
    errors: list[str] = []
    violations: list[str] = []
    host = await new_page(browser, f"{n0.url}/host.html?room=club#token={token('host1', 'club', 'host', name='Hana')}", errors)
    await host.get_by_test_id("go-live").click()
    await expect(host.get_by_test_id("go-live")).to_be_hidden()
    ana = await new_page(browser, f"{n0.url}/viewer.html?room=club&lang=id#token={token('ana', 'club', name='Ana')}", errors, "phone")
    ben = await new_page(browser, f"{n1.url}/viewer.html?room=club#token={token('ben', 'club', name='Ben')}", errors, "phone")
    guest = await new_page(browser, f"{n1.url}/viewer.html?room=club&login=https://shop.example/login", errors, "phone")

    # A poll as a sheet over the video: the video stays where it is.
    await host.get_by_test_id("poll-question").fill("Warna berikutnya?")
    await host.get_by_test_id("poll-options").fill("Merah\nBiru")
    await host.get_by_test_id("create-poll").click()
    for page in (ana, ben):
        await page.get_by_test_id("open-poll").click()
        video_before = await page.get_by_test_id("video").bounding_box()
        await page.get_by_test_id("sheet-poll").get_by_test_id("poll-option").nth(1).click()
        assert await page.get_by_test_id("video").bounding_box() == video_before
    for page in (host, ana, ben):
        await expect(page.get_by_test_id("poll-count")).to_have_text(["0", "2"])
    await shot(ana, "viewer-poll-phone-id")
    violations += await axe(ana, "viewer (poll sheet)")
    await ana.keyboard.press("Escape")
    await ben.mouse.click(200, 60)  # a tap on the video above the sheet closes it
    await expect(ben.get_by_test_id("panel")).to_be_hidden()

    # Questions: asked in a sheet, upvoted, queued by votes for the host.
    await ana.get_by_test_id("open-qa").click()
    await ana.get_by_test_id("ask-input").fill("Ada ukuran XL?")
    await ana.get_by_test_id("ask-input").press("Enter")
    await ben.get_by_test_id("open-qa").click()
    await ben.get_by_test_id("ask-input").fill("Ships to Bali?")
    await ben.get_by_test_id("ask-input").press("Enter")
    await expect(ana.get_by_test_id("question")).to_have_count(2)
    await ana.get_by_test_id("question").filter(has_text="Ships to Bali?").locator(".upvote").click()
    await expect(host.get_by_test_id("questions").locator(".text")).to_have_text(["Ships to Bali?", "Ada ukuran XL?"])
    await ana.keyboard.press("Escape")
    await ben.keyboard.press("Escape")

    # A guest sees what they cannot do and how to sign in.
    await expect(guest.get_by_test_id("chat-input")).to_be_hidden()
    await guest.get_by_test_id("guest-cta").click()
    await expect(guest.get_by_test_id("sheet-guest")).to_contain_text("As a guest you can watch. Sign in to chat")
    assert await guest.get_by_test_id("sheet-guest").get_by_role("link", name="Sign in").get_attribute("href") == "https://shop.example/login"
    await shot(guest, "viewer-guest-phone-en")
    violations += await axe(guest, "viewer (guest sheet)")
    await guest.keyboard.press("Escape")

    # A giveaway survives a reload; reactions float over the video on the other node.
    await host.get_by_test_id("giveaway-title").fill("Kain songket")
    await host.get_by_test_id("start-giveaway").click()
    await ana.get_by_test_id("open-giveaway").click()
    await ana.get_by_test_id("giveaway-enter").click()
    await expect(ana.get_by_test_id("sheet-giveaway")).to_contain_text("Kamu ikut!")
    await ana.reload()
    await ana.get_by_test_id("open-giveaway").click()
    await expect(ana.get_by_test_id("sheet-giveaway")).to_contain_text("Kain songket")
    await expect(ana.get_by_test_id("giveaway-entrants")).to_have_text("1 ikut")
    await expect(host.get_by_test_id("giveaway-entrants")).to_have_text("1 entered")
    await ana.keyboard.press("Escape")
    await ben.get_by_test_id("react-heart").click()
    await expect(ana.locator(".floats .float").first).to_be_attached()
    await shot(ana, "viewer-reactions-phone-id")

    # Ben's node goes down: no stale LIVE or count; what he types waits, visibly, and is sent on return.
    n1.stop(signal.SIGTERM)
    await expect(ben.get_by_test_id("banner")).to_contain_text("Reconnecting…")
    await expect(ben.get_by_test_id("live-badge")).to_have_count(0)
    await expect(ben.get_by_test_id("viewers")).to_have_count(0)
    await ben.get_by_test_id("chat-input").fill("Still here?")
    await ben.get_by_test_id("chat-input").press("Enter")
    await expect(ben.get_by_test_id("pending")).to_contain_text("Sending…")
    await shot(ben, "viewer-reconnecting-phone-en")
    n1.start()
    # "Try now" skips the backoff (up to 30 s). The page's own retry may beat the click to it
    # (then the button is gone, the page live): either way it must come back, below.
    with contextlib.suppress(PlaywrightTimeoutError):
        await ben.get_by_test_id("try-now").click(timeout=5_000)
    await expect(ben.get_by_test_id("banner")).to_be_hidden(timeout=20_000)
    await expect(chat(host).last).to_have_text("Still here?")
    await expect(ben.get_by_test_id("pending")).to_have_count(0)
    await expect(ben.get_by_test_id("live-badge")).to_be_visible()

    # Ending asks first.
    await host.get_by_test_id("end-show").click()
    await expect(host.get_by_test_id("end-confirm")).to_be_visible()
    await host.get_by_test_id("end-cancel").click()
    await expect(ana.get_by_test_id("live-badge")).to_be_visible()
    await host.get_by_test_id("end-show").click()
    await host.get_by_test_id("end-yes").click()
    await expect(ana.get_by_test_id("banner")).to_contain_text("Siaran ini telah berakhir")
    await expect(ana.get_by_test_id("watch-replay")).to_have_text("▶ Tonton tayangan ulang")  # the banner offers the replay (loaded on demand)
    await expect(ana.get_by_test_id("chat-input")).to_be_disabled()
    await api.http.aclose()
    assert errors == [] and violations == []


async def test_a_bad_token_says_so_in_the_viewers_language(site: Site, browser: Browser) -> None:
    api = await open_show(site, "tokens")
    errors: list[str] = []
    page = await new_page(browser, f"{site.nodes[0].url}/viewer.html?room=tokens&lang=id#token=not-a-token", errors, "phone")
    await expect(page.get_by_test_id("banner")).to_contain_text("Sesi masukmu kedaluwarsa atau tidak valid")
    assert "segments" not in await page.content()
    await expect(page.get_by_test_id("chat-input")).to_be_disabled()
    await shot(page, "viewer-bad-token-phone-id")
    await api.http.aclose()
    assert errors == []


async def test_rules_reports_and_the_review_queue(site: Site, browser: Browser) -> None:
    n0, n1 = site.nodes
    api = await open_show(site, "review")
    rules = {"text": "Be kind. No links to other shops.", "require_acceptance": True}
    assert (await api.http.put("/v1/rooms/review/rules", json=rules, headers={"authorization": f"Bearer {token('acme', '*', 'brand')}"})).status_code == 200
    errors: list[str] = []
    host = await new_page(browser, f"{n0.url}/host.html?room=review#token={token('host1', 'review', 'host', name='Hana')}", errors)
    await host.get_by_test_id("go-live").click()
    ana = await new_page(browser, f"{n0.url}/viewer.html?room=review&lang=id#token={token('ana', 'review', name='Ana')}", errors, "phone")
    ben = await new_page(browser, f"{n1.url}/viewer.html?room=review#token={token('ben', 'review', name='Ben')}", errors, "phone")

    # The rules come first: posting before accepting opens them, accepting sends what was typed.
    await expect(ana.get_by_test_id("rules-line")).to_be_visible()
    await ana.get_by_test_id("chat-input").fill("Halo, ada diskon?")
    await ana.get_by_test_id("chat-input").press("Enter")
    await expect(ana.get_by_test_id("sheet-rules")).to_contain_text("Be kind. No links to other shops.")
    await shot(ana, "viewer-rules-phone-id")
    await ana.get_by_test_id("accept-rules").click()
    await expect(chat(ben)).to_have_text(["Halo, ada diskon?"])

    # One report hides a line for everyone; the host approves it back from the queue.
    await host.get_by_test_id("report-threshold").fill("1")
    await host.get_by_test_id("set-threshold").click()
    await expect(host.get_by_test_id("toast")).to_contain_text("✓")
    await ben.get_by_role("button", name="Report: Ana").click()
    await expect(ben.get_by_test_id("toast")).to_contain_text("Reported")
    await expect(ana.get_by_test_id("chat-list").locator("li", has_text="Halo, ada diskon?")).to_be_hidden()
    item = host.get_by_test_id("review-queue").get_by_test_id("queue-item")
    await expect(item).to_contain_text("Reported")
    await expect(item).to_contain_text("Halo, ada diskon?")
    await shot(host, "host-review-queue-laptop-en")
    await item.get_by_test_id("approve").click()
    await expect(ben.get_by_test_id("chat-list").locator("li", has_text="Halo, ada diskon?")).to_be_visible()
    await expect(host.get_by_test_id("review-queue")).to_contain_text("Nothing to review.")

    # A spam link is held by automatic moderation: its author is told why, only staff see it, approval shows it to all.
    await ana.get_by_test_id("chat-input").fill("CHEAP BATIK at www.fake-deals.example click now!!!")
    await ana.get_by_test_id("chat-input").press("Enter")
    await expect(ana.get_by_test_id("held-note")).to_contain_text(re.compile(r"Menunggu ditinjau \(.*tautan.*\)"))
    held = host.get_by_test_id("review-queue").get_by_test_id("queue-item")
    await expect(held).to_contain_text("Held")
    await expect(held).to_contain_text("a link")
    await shot(ana, "viewer-held-phone-id")
    await shot(host, "host-held-laptop-en")
    assert await chat(ben).count() == 1
    await held.get_by_test_id("approve").click()
    await expect(chat(ben)).to_have_text(["Halo, ada diskon?", "CHEAP BATIK at www.fake-deals.example click now!!!"])
    await expect(ana.get_by_test_id("held-note")).to_have_count(0)

    # Reported again and rejected: gone for everyone, and its author is told.
    await ana.get_by_test_id("chat-input").fill("Warnanya kurang cocok buat saya")
    await ana.get_by_test_id("chat-input").press("Enter")
    await ben.get_by_test_id("chat-list").locator("li", has_text="Warnanya kurang cocok").get_by_role("button", name="Report: Ana").click()
    await host.get_by_test_id("review-queue").get_by_test_id("queue-item").get_by_test_id("reject").click()
    await expect(ana.get_by_test_id("toast")).to_contain_text("Dihapus oleh moderator")
    await expect(chat(ben)).to_have_text(["Halo, ada diskon?", "CHEAP BATIK at www.fake-deals.example click now!!!"])
    await api.http.aclose()
    assert errors == []


async def test_a_scheduled_show_counts_down_to_its_start(site: Site, browser: Browser) -> None:
    api = Api(site.nodes[0])
    body = {"id": "later", "title": "Next week's drop", "brand_id": "acme", "host_id": "host1", "starts_at": "2099-01-01T12:00:00Z"}
    assert (await api.http.post("/v1/rooms", json=body, headers={"authorization": f"Bearer {token('acme', '*', 'brand')}"})).status_code == 201
    await api.http.aclose()
    errors: list[str] = []
    page = await new_page(browser, f"{site.nodes[1].url}/viewer.html?room=later#token={token('ana', 'later', name='Ana')}", errors, "phone")
    await expect(page.get_by_test_id("starts-in")).to_contain_text(re.compile(r"Starts in \d+d \d+:\d\d:\d\d · Jan 1, 2099"))
    # Whatever the time of day: with days left the hours show even at 0 (this read "26329d 41:05" once).
    shown = await page.evaluate("import('/live.js').then(({ clock }) => [clock(86_400_000 + 41 * 60_000 + 5_000), clock(3_600_000), clock(65_000), clock(-1)])")
    assert shown == ["1d 0:41:05", "1:00:00", "1:05", "0:00"]
    await expect(page.get_by_test_id("room-status")).to_contain_text("Starting soon")
    await page.get_by_test_id("follow").click()  # remind me: the platform's reminder webhook lists followers
    await expect(page.get_by_test_id("follow")).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_test_id("toast")).to_have_text("You'll be reminded before the show")
    await shot(page, "viewer-scheduled-phone-en")
    assert errors == []


async def test_an_auction_with_quick_bids_a_maximum_anti_snipe_and_a_bid_from_chat(site: Site, browser: Browser) -> None:
    n0, n1 = site.nodes
    api = await open_show(site, "gavel")
    errors: list[str] = []
    host = await new_page(browser, f"{n0.url}/host.html?room=gavel#token={token('host1', 'gavel', 'host', name='Hana')}", errors)
    await host.get_by_test_id("go-live").click()
    ana = await new_page(browser, f"{n0.url}/viewer.html?room=gavel&lang=id#token={token('ana', 'gavel', name='Ana')}", errors, "phone")
    ben = await new_page(browser, f"{n1.url}/viewer.html?room=gavel#token={token('ben', 'gavel', name='Ben')}", errors, "phone")
    await expect(ben.get_by_test_id("room-status")).to_contain_text("Batik night")

    await host.get_by_test_id("auction-tee").click()
    await host.get_by_test_id("auction-start").fill("100000")
    await host.get_by_test_id("auction-increment").fill("5000")
    await host.get_by_test_id("auction-seconds").fill("16")
    await host.get_by_test_id("auction-extend").fill("10")
    await host.get_by_test_id("launch-auction").click()
    card = ana.get_by_test_id("auction-card")
    await expect(card).to_contain_text("Batik tee")
    await expect(card.get_by_test_id("current-bid")).to_have_text(re.compile(r"Rp\s100\.000"))
    await card.get_by_test_id("bid-1").click()
    await expect(card.get_by_test_id("leader")).to_have_text("★ Kamu tertinggi")
    # Ben's private maximum outbids Ana one increment at a time; nobody sees his maximum but him.
    await ben.get_by_test_id("max-bid").fill("150000")
    await ben.get_by_test_id("set-max").click()
    await expect(ben.get_by_test_id("bid-note")).to_contain_text("You're leading · IDR 105,000 · Your max IDR 150,000")
    await expect(ana.get_by_test_id("toast")).to_have_text("Tawaranmu terlampaui — tawar lagi?")
    await expect(card.get_by_test_id("leader")).to_have_text("Tertinggi: Ben")
    assert "150" not in await card.inner_text()
    assert "null" not in await ana.locator("body").inner_text()
    await shot(ben, "viewer-auction-phone-en")
    assert await axe(ben, "viewer (auction card)") == []
    # A bid in the last seconds moves the end (anti-snipe), visibly; this one comes from the chat.
    await expect(card.get_by_test_id("auction-countdown")).to_have_text(re.compile(r"Berakhir dalam 0:0\d"), timeout=20_000)
    await ana.get_by_test_id("chat-input").fill("bid 200rb")
    await ana.get_by_test_id("chat-input").press("Enter")
    await expect(ana.get_by_test_id("claim-tag")).to_contain_text(re.compile(r"✓ Tawar Rp\s200\.000"))
    await expect(ben.get_by_test_id("auction-countdown")).to_have_class(re.compile("extended"))
    await expect(ben.get_by_test_id("auction-countdown")).to_have_text(re.compile(r"Ends in 0:(09|10)"))
    await expect(ben.get_by_test_id("leader")).to_have_text("Highest: Ana")
    # The end: Ana wins, her order waits in My orders; the host sees the winner.
    await expect(ana.get_by_test_id("toast")).to_contain_text("Kamu menang!", timeout=20_000)
    await expect(host.get_by_test_id("host-auction")).to_contain_text("Won by: Ana · IDR 200,000")
    await ana.get_by_test_id("open-orders-rail").click()
    await expect(ana.get_by_test_id("order")).to_contain_text(re.compile(r"Batik tee · 1 × Rp\s200\.000"))
    await shot(ana, "viewer-auction-won-phone-id")
    await api.http.aclose()
    assert errors == []


async def test_checkout_link_paid_live_then_a_verified_review_on_screen(site: Site, browser: Browser) -> None:
    n0, n1 = site.nodes
    api = await open_show(site, "reviews")
    staff = {"authorization": f"Bearer {token('acme', '*', 'brand')}"}
    errors: list[str] = []
    host = await new_page(browser, f"{n0.url}/host.html?room=reviews#token={token('host1', 'reviews', 'host', name='Hana')}", errors)
    await host.get_by_test_id("go-live").click()
    await host.get_by_test_id("pin-tee").click()
    await flash_sale(host, "tee", discount="20", units="10")
    ana = await new_page(browser, f"{n0.url}/viewer.html?room=reviews&lang=id#token={token('ana', 'reviews', name='Ana')}", errors, "phone")
    ben = await new_page(browser, f"{n1.url}/viewer.html?room=reviews#token={token('ben', 'reviews', name='Ben')}", errors, "phone")
    await ana.get_by_test_id("product-card").get_by_test_id("claim-button").click()
    link = ana.get_by_test_id("card-checkout")
    await expect(link).to_have_attribute("href", re.compile(r"^https://shop\.example/checkout\?order=reviews\.\d+$"))  # private to Ana, from the brand's template
    assert await ben.get_by_test_id("card-checkout").count() == 0
    reservation = (await link.get_attribute("href") or "").rsplit(".", 1)[1]
    assert (await api.http.post(f"/v1/rooms/reviews/orders/{reservation}/confirm", headers=staff)).status_code == 200
    await ana.get_by_test_id("open-orders-rail").click()
    order = ana.get_by_test_id("order")
    await expect(order).to_have_attribute("data-status", "paid")  # the merchant's confirmation, live
    await order.get_by_test_id("review-text").fill("Adem dan pas di badan")
    # Ben buys while Ana types: the stock tick re-renders her orders, and her draft and keyboard stay where they were.
    await ben.get_by_test_id("product-card").get_by_test_id("claim-button").click()
    await expect(ana.get_by_test_id("offer-stock")).to_have_text("8 / 10 tersisa")
    await expect(order.get_by_test_id("review-text")).to_have_value("Adem dan pas di badan")
    # (the page's own focus: Playwright's to_be_focused also wants the window focused, and Ben's page may hold it)
    assert await ana.evaluate("document.activeElement?.dataset.testid") == "review-text"
    await order.get_by_test_id("review-submit").click()
    await expect(ana.get_by_test_id("toast")).to_have_text("Terima kasih — ulasanmu sudah tampil")
    await shot(ana, "viewer-review-phone-id")
    # A reload (or her other phone) knows it is reviewed: no second form.
    await ana.reload()
    await ana.get_by_test_id("open-orders-rail").click()
    await expect(ana.get_by_test_id("order")).to_have_attribute("data-status", "paid")
    await expect(ana.get_by_test_id("order").get_by_test_id("review-text")).to_have_count(0)
    await ana.keyboard.press("Escape")
    # Every viewer sees the verified review on the product; the host puts it on screen.
    await expect(ben.get_by_test_id("product-card").get_by_test_id("rating")).to_have_text("★ 5.0 (1)")
    await ben.get_by_test_id("card-title").click()
    review = ben.get_by_test_id("sheet-product").get_by_test_id("review")
    await expect(review).to_contain_text("Adem dan pas di badan")
    await expect(review).to_contain_text("Verified buyer")
    await shot(ben, "viewer-product-reviews-phone-en")
    await ben.keyboard.press("Escape")
    await host.get_by_test_id("host-reviews").get_by_test_id("spotlight").click()
    await expect(ben.get_by_test_id("spotlight")).to_contain_text("“Adem dan pas di badan”")
    await expect(ana.get_by_test_id("spotlight")).to_contain_text("Pembeli terverifikasi")
    await shot(ben, "viewer-spotlight-phone-en")
    await host.get_by_test_id("unspotlight").click()
    await expect(ben.get_by_test_id("spotlight")).to_have_count(0)
    await api.http.aclose()
    assert errors == []
