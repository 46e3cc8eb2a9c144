"""The host console's own flows in a real browser against two nodes on Redis: the show's
moderator team (the brand's beside the room's) and a co-host invited from a viewer's
phone into the console; a rehearsal with a simulated audience. Screenshots to
test-artifacts/."""

from playwright.async_api import Browser, expect

from tests.harness import Api, bearer, token
from tests.pages import Site, new_page, open_show, shot


async def test_a_co_host_is_invited_accepts_and_opens_the_console(site: Site, browser: Browser) -> None:
    n0, n1 = site.nodes
    api = Api(n0)
    assert (await api.http.put("/v1/brands/duo-shop/moderators/bima", headers=bearer(token("duo-shop", "*", "brand")))).status_code == 200
    await api.http.aclose()
    api = await open_show(site, "duo", brand="duo-shop")  # opened with the brand's moderator team
    errors: list[str] = []
    host = await new_page(browser, f"{n0.url}/host.html?room=duo#token={token('host1', 'duo', 'host', name='Hana')}", errors)
    await host.get_by_test_id("go-live").click()
    await host.get_by_test_id("appoint-user").fill("tari")
    await host.get_by_test_id("appoint").click()
    team = host.get_by_test_id("moderators")
    await expect(team.locator("li[data-key=tari]").get_by_role("button")).to_have_text("Remove moderator")
    await expect(team.locator("li[data-key=bima]")).to_contain_text("Brand team")  # the brand's to dismiss: no button here
    await expect(team.locator("li[data-key=bima]").get_by_role("button")).to_have_count(0)
    await team.scroll_into_view_if_needed()
    await shot(host, "host-moderators-laptop-en")
    rina = await new_page(browser, f"{n1.url}/viewer.html?room=duo#token={token('rina', 'duo', name='Rina')}", errors, "phone")
    await expect(rina.get_by_test_id("room-status")).to_contain_text("Batik night")
    await host.get_by_test_id("cohost-user").fill("rina")
    await host.get_by_test_id("invite-cohost").click()
    await expect(rina.get_by_test_id("cohost-invite")).to_contain_text("You're invited to co-host this show")
    await rina.get_by_test_id("accept-cohost").click()
    await expect(host.get_by_test_id("cohosts")).to_contain_text("Rina (rina)")
    await rina.get_by_test_id("open-console").click()
    await expect(rina.get_by_test_id("pin-kain")).to_be_visible()  # the console, with her own sign-in
    await rina.get_by_test_id("pin-kain").click()
    await expect(host.get_by_test_id("toast")).to_be_visible()
    await expect(host.get_by_test_id("catalog").locator("li.pinned")).to_contain_text("Kain songket")
    await api.http.aclose()
    assert errors == []


async def test_the_host_rehearses_with_a_simulated_audience(site: Site, browser: Browser) -> None:
    api = await open_show(site, "dress")
    errors: list[str] = []
    host = await new_page(browser, f"{site.nodes[0].url}/host.html?room=dress#token={token('host1', '*', 'host', name='Hana')}", errors)
    await host.get_by_test_id("rehearse").click()
    await host.get_by_test_id("rehearsal-link").click()
    await expect(host.get_by_test_id("rehearsal-badge")).to_have_text("Rehearsal — nothing counts")
    await expect(host.get_by_test_id("rehearse")).to_be_hidden()
    await host.get_by_test_id("go-live").click()
    await expect(host.get_by_test_id("chat-list")).to_contain_text("(sim)", timeout=30_000)  # the simulated audience chats
    await expect(host.get_by_test_id("live-badge")).to_have_count(0)  # a rehearsal is never shown as live
    await expect(host.get_by_test_id("rehearsal-badge")).to_be_visible()
    await shot(host, "host-rehearsal-laptop-en")
    await api.http.aclose()
    assert errors == []
