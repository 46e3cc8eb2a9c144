"""What live updates must not break on a phone, and staff working from the viewer page, in
Chromium against two nodes: a tap that spans a stock tick or a tally still lands; a moderator
(by token or appointed mid-show) deletes, times out and reviews the queue from the chat."""

from collections.abc import Awaitable, Callable

from playwright.async_api import Browser, Locator, Page, expect

from tests.harness import Client, bearer, token
from tests.pages import Site, axe, new_page, open_show, shot


async def press_during(page: Page, target: Locator, tick: Callable[[], Awaitable[None]]) -> None:
    """A finger on ``target`` while ``tick`` makes the page redraw it, then lifted: a tap that spans a live update."""
    box = await target.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    await tick()
    await page.mouse.up()


async def test_a_tap_that_spans_a_live_update_still_lands(site: Site, browser: Browser) -> None:
    """In a busy flash sale the card redraws with every stock change and a poll with every tally:
    a shopper's tap that starts before one and ends after it still claims, and still votes."""
    n0, n1 = site.nodes
    api = await open_show(site, "taps")
    assert (await api.http.post("/v1/rooms/taps/live", headers=bearer(token("acme", "*", "brand")))).status_code == 200
    host = await Client.join(n1.ws_url("taps"), token("host1", "taps", "host", name="Hana"))
    assert (await host.request("product.pin", product_id="tee"))["ok"]
    offer = (await host.request("offer.create", product_id="tee", units=10, per_buyer_limit=1))["result"]["offer_id"]
    poll = (await host.request("poll.create", question="Warna?", options=["Merah", "Biru"]))["result"]["poll_id"]
    cy = await Client.join(n1.ws_url("taps"), token("cy", "taps", name="Cy"))
    errors: list[str] = []
    ana = await new_page(browser, f"{n0.url}/viewer.html?room=taps#token={token('ana', 'taps', name='Ana')}", errors, "phone")
    card = ana.get_by_test_id("product-card")
    await expect(card.get_by_test_id("offer-stock")).to_have_text("10 / 10 left")

    async def cy_claims() -> None:
        assert (await cy.request("offer.claim", offer_id=offer, key="cy"))["ok"]
        await expect(card.get_by_test_id("offer-stock")).to_have_text("9 / 10 left")  # redrawn under Ana's finger

    await press_during(ana, card.get_by_test_id("claim-button"), cy_claims)
    await expect(card.get_by_test_id("offer-error")).to_contain_text("Reserved!")
    await expect(card.get_by_test_id("offer-stock")).to_have_text("8 / 10 left")

    await ana.get_by_test_id("open-poll").click()
    option = ana.get_by_test_id("sheet-poll").get_by_test_id("poll-option")

    async def cy_votes() -> None:
        assert (await cy.request("poll.vote", poll_id=poll, options=[0]))["ok"]
        await expect(option.get_by_test_id("poll-count")).to_have_text(["1", "0"])

    await press_during(ana, option.nth(1), cy_votes)
    await expect(option.get_by_test_id("poll-count")).to_have_text(["1", "1"])
    for client in (host, cy):
        await client.close()
    await api.http.aclose()
    assert errors == []


async def test_a_moderator_on_a_phone_deletes_a_line_and_times_out_its_author(site: Site, browser: Browser) -> None:
    """A viewer the host appointed moderates from the viewer page: "⋯" on a line opens the actions as a sheet."""
    n0, n1 = site.nodes
    api = await open_show(site, "mods")
    assert (await api.http.post("/v1/rooms/mods/live", headers=bearer(token("acme", "*", "brand")))).status_code == 200
    host = await Client.join(n1.ws_url("mods"), token("host1", "mods", "host", name="Hana"))
    assert (await host.request("mod.appoint", user_id="mia"))["ok"]
    sam = await Client.join(n1.ws_url("mods"), token("sam", "mods", name="Sam"))
    errors: list[str] = []
    mia = await new_page(browser, f"{n0.url}/viewer.html?room=mods&lang=id#token={token('mia', 'mods', name='Mia')}", errors, "phone")
    ben = await new_page(browser, f"{n1.url}/viewer.html?room=mods#token={token('ben', 'mods', name='Ben')}", errors, "phone")
    await expect(mia.get_by_test_id("room-status")).to_contain_text("Batik night")
    await expect(ben.get_by_test_id("room-status")).to_contain_text("Batik night")
    assert (await sam.request("chat.post", text="Follow my shop for cheaper batik"))["ok"]
    line = mia.get_by_test_id("chat-list").locator("li", has_text="cheaper batik")
    await expect(ben.get_by_test_id("chat-list")).to_contain_text("cheaper batik")
    assert await ben.get_by_test_id("moderate").count() == 0, "a viewer reports; only staff moderate"
    await line.get_by_test_id("moderate").click()
    sheet = mia.get_by_test_id("sheet-mod")
    await expect(sheet.get_by_test_id("mod-line")).to_have_text("Sam Follow my shop for cheaper batik")
    await shot(mia, "viewer-moderate-phone-id")
    violations = await axe(mia, "viewer (moderation sheet)")
    await sheet.get_by_role("button", name="Hapus").click()
    await expect(mia.get_by_test_id("toast")).to_have_text("Hapus ✓")
    await expect(sheet).to_be_hidden()
    await expect(ben.get_by_test_id("chat-list")).not_to_contain_text("cheaper batik")  # gone for everyone

    # A link automatic moderation held: Mia reviews it from the queue on her phone.
    dee = await Client.join(n1.ws_url("mods"), token("dee", "mods", name="Dee"))
    held = await dee.request("chat.post", text="Size chart: www.batik-sizes.example")
    assert held["ok"] and held["result"].get("held"), held
    await expect(mia.get_by_test_id("open-queue")).to_contain_text("1")
    assert await ben.get_by_test_id("open-queue").is_hidden(), "the queue is staff's"
    await mia.get_by_test_id("open-queue").click()
    item = mia.get_by_test_id("sheet-queue").get_by_test_id("queue-item")
    await expect(item).to_contain_text("www.batik-sizes.example")
    await expect(item).to_contain_text("tautan")  # why it was held, in her language
    await shot(mia, "viewer-queue-phone-id")
    violations += await axe(mia, "viewer (review queue sheet)")
    await item.get_by_test_id("approve").click()
    await expect(mia.get_by_test_id("toast")).to_have_text("Setujui ✓")
    await expect(ben.get_by_test_id("chat-list")).to_contain_text("www.batik-sizes.example")  # approved: shown to everyone
    await expect(mia.get_by_test_id("open-queue")).not_to_contain_text("1")
    await mia.keyboard.press("Escape")

    assert (await sam.request("chat.post", text="Still here with cheap batik"))["ok"]
    await mia.get_by_test_id("chat-list").locator("li", has_text="Still here").get_by_test_id("moderate").click()
    await sheet.get_by_role("button", name="Bisukan · 5:00").click()
    await expect(mia.get_by_test_id("toast")).to_have_text("Sam: Bisukan 5:00 ✓")
    refused = await sam.request("chat.post", text="one more")
    assert not refused["ok"] and refused["error"]["code"] == "timed_out", refused
    # Ben is made a moderator mid-show: the lines on his screen gain "⋯" at once; dismissed, they lose it.
    still = ben.get_by_test_id("chat-list").locator("li", has_text="Still here")
    await expect(still.get_by_role("button", name="Report: Sam")).to_be_visible()
    waiting = await dee.request("chat.post", text="Cheaper at www.batik-outlet.example")
    assert waiting["ok"] and waiting["result"].get("held"), waiting
    await expect(mia.get_by_test_id("open-queue")).to_contain_text("1")
    assert (await host.request("mod.appoint", user_id="ben"))["ok"]
    await expect(ben.get_by_test_id("toast")).to_have_text("You moderate this show now: ⋯ on a line")
    await expect(ben.get_by_test_id("open-queue")).to_contain_text("1")  # held before he was appointed: his to review at once
    await ben.get_by_test_id("open-queue").click()
    await ben.get_by_test_id("sheet-queue").get_by_test_id("queue-item").filter(has_text="batik-outlet").get_by_test_id("reject").click()
    await expect(ben.get_by_test_id("toast")).to_have_text("Reject ✓")
    await expect(mia.get_by_test_id("open-queue")).not_to_contain_text("1")
    await ben.keyboard.press("Escape")
    assert (await dee.request("chat.post", text="Batik murah di sini"))["ok"]
    murah = ben.get_by_test_id("chat-list").locator("li", has_text="Batik murah")
    await murah.get_by_test_id("moderate").click()  # his powers hold from the appointment on
    await ben.get_by_test_id("sheet-mod").get_by_role("button", name="Delete").click()
    await expect(ben.get_by_test_id("toast")).to_have_text("Delete ✓")
    await expect(murah).to_have_count(0)
    assert (await host.request("mod.dismiss", user_id="ben"))["ok"]
    await expect(still.get_by_test_id("moderate")).to_have_count(0)
    await expect(still.get_by_role("button", name="Report: Sam")).to_be_visible()
    # On a laptop, in English: the sheet docks beside the video.
    desk = await new_page(browser, f"{n1.url}/viewer.html?room=mods&lang=en#token={token('mia', 'mods', name='Mia')}", errors)
    await desk.get_by_test_id("chat-list").locator("li", has_text="Still here").get_by_test_id("moderate").click()
    await expect(desk.get_by_test_id("sheet-mod").get_by_role("button", name="Time out · 5:00")).to_be_visible()
    await expect(desk.get_by_test_id("sheet-queue")).to_contain_text("Nothing to review.")  # docked beside the video
    await shot(desk, "viewer-moderate-laptop-en")
    for client in (host, sam, dee):
        await client.close()
    await api.http.aclose()
    assert errors == [] and violations == []


async def test_the_brand_adds_a_moderator_from_its_page_and_her_open_phone_turns_staff(site: Site, browser: Browser) -> None:
    """The brand page's moderator team: added there, a viewer watching one of the brand's live
    shows on her phone gets "⋯" on the lines at once; removed, she loses it, without a reload."""
    n0, n1 = site.nodes
    staff = token("team-shop", "*", "brand")
    api = await open_show(site, "team", brand="team-shop")
    assert (await api.http.post("/v1/rooms/team/live", headers=bearer(staff))).status_code == 200
    sam = await Client.join(n1.ws_url("team"), token("sam", "team", name="Sam"))
    errors: list[str] = []
    rara = await new_page(browser, f"{n1.url}/viewer.html?room=team#token={token('rara', 'team', name='Rara')}", errors, "phone")
    assert (await sam.request("chat.post", text="Any batik in blue?"))["ok"]
    line = rara.get_by_test_id("chat-list").locator("li", has_text="batik in blue")
    await expect(line.get_by_role("button", name="Report: Sam")).to_be_visible()
    assert await line.get_by_test_id("moderate").count() == 0

    brand = await new_page(browser, f"{n0.url}/replay.html?brand=team-shop#token={staff}", errors)
    team = brand.get_by_test_id("team-box")
    await expect(team.get_by_test_id("brand-team")).to_contain_text("Nobody")
    await team.get_by_test_id("team-user").fill("rara")
    await team.get_by_test_id("team-add").click()
    await expect(brand.get_by_test_id("toast")).to_have_text("Make moderator ✓ rara · 1 open show updated")
    await expect(team.locator("li[data-key=rara]")).to_contain_text("since")
    await expect(line.get_by_test_id("moderate")).to_be_visible()  # her open connection is staff's now
    await team.scroll_into_view_if_needed()
    await shot(brand, "brand-team-laptop-en")
    violations = await axe(brand, "brand page (moderator team)")
    await team.locator("li[data-key=rara]").get_by_test_id("team-remove").click()
    await expect(brand.get_by_test_id("toast")).to_have_text("Remove moderator ✓ rara · 1 open show updated")
    await expect(team.get_by_test_id("brand-team")).to_contain_text("Nobody")
    await expect(line.get_by_test_id("moderate")).to_have_count(0)  # and a viewer's again
    assert (await api.http.delete("/v1/brands/team-shop/moderators/rara", headers=bearer(staff))).status_code == 404

    phone = await new_page(browser, f"{n0.url}/replay.html?brand=team-shop&lang=id#token={staff}", errors, "phone")
    await expect(phone.get_by_test_id("team-box")).to_contain_text("Tim moderator")
    await phone.get_by_test_id("team-box").scroll_into_view_if_needed()
    await shot(phone, "brand-team-phone-id")
    await sam.close()
    await api.http.aclose()
    assert violations == [] and errors == []
