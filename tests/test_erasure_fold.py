"""Erasure, pure: a room folded live through a ``privacy.erase`` entry ends in the same state,
with the same events, as a re-fold of the log whose earlier entries were rewritten
(``scrub``) — which is what makes an erased session still pass ``live audit``."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from live.log.serde import entries_from_dicts, entry_to_dict, state_to_dict
from live.store.privacy import names, scrub
from live.wire.codec import plain
from live.wire.server import EventMessage
from rooms import commands as c
from rooms import shop_commands as sc
from rooms.erasure import REMOVED
from rooms.errors import Code, Rejection
from rooms.fold import Accepted, fold
from rooms.roles import Role
from rooms.state import RoomState
from rooms.types import Millis, RoomId, Seq, UserId
from rooms.verdicts import Outcome, Verdict

PRODUCT = c.Product(id="tee", sku="TEE-1", title="Tee", price=150_000, currency="IDR")
HOST = c.Actor(user_id=UserId("host"), name="Host", role=Role.HOST)
SYSTEM = c.Actor(user_id=UserId("system"), name="system", role=Role.SYSTEM)
PEOPLE = [c.Actor(user_id=UserId(u), name=u.title(), role=Role.VIEWER, tier="gold" if u == "ana" else None) for u in ("ana", "ben", "cy")]
ALIAS = UserId("erased:u_0123456789abcdef")
AUTHOR, AUTHOR_ALIAS = "u_ana_for_brand", "u_alias_for_brand"  # her reviews name her by the brand's pseudonym
ERASE = c.PrivacyErase(user_id=UserId("ana"), alias=ALIAS, author=AUTHOR, author_alias=AUTHOR_ALIAS)
BRAND = c.Actor(user_id=UserId("acme-staff"), name="Acme", role=Role.BRAND)
ACTIONS = ("team", "chat", "ask", "upvote", "vote", "claim", "cancel", "enter", "ban", "timeout", "unban", "pin", "hold", "block", "report", "approve", "reject", "mute", "accept", "bid", "cohost", "join_hosts", "reviews", "spotlight")
HOLD, BLOCK = Verdict(outcome=Outcome.HOLD, reasons=("link",)), Verdict(outcome=Outcome.BLOCK, reasons=("word_list",))


def _command(action: str, n: int, room: RoomState) -> tuple[c.Actor | None, c.Command]:
    target = PEOPLE[n % 3].user_id
    match action:
        case "chat":
            return None, c.ChatPost(text=f"hello {n}", reply_to=next(reversed(room.messages), None) if n % 2 else None)
        case "ask":
            return None, c.QuestionAsk(text=f"size {n}?")
        case "upvote":
            return None, c.QuestionUpvote(question_id=next(iter(room.questions), 0))
        case "vote":
            return None, c.PollVote(poll_id=next(iter(room.polls), 0), options=[n % 2])
        case "claim":
            return None, c.OfferClaim(offer_id=next(iter(room.offers), 0), units=1, key=f"k{n % 4}")
        case "cancel":
            return None, c.OrderCancel(reservation_id=next(iter(room.reservations), 0))
        case "enter":
            return None, c.GiveawayEnter(giveaway_id=next(iter(room.giveaways), 0))
        case "ban":
            return HOST, c.ModBan(user_id=target, reason="spam")
        case "timeout":
            return HOST, c.ModTimeout(user_id=target, seconds=5)
        case "unban":
            return HOST, c.ModUnban(user_id=target)
        case "hold" | "block":
            return None, c.ChatPost(text=f"www.{n}.example", verdict=HOLD if action == "hold" else BLOCK)
        case "report":
            return None, c.ChatReport(message_id=next(reversed(room.messages), 0), reason="spam")
        case "approve" | "reject":
            queued = next(iter(room.queue), 0)
            return HOST, c.ModApprove(message_id=queued) if action == "approve" else c.ModReject(message_id=queued, reason="no")
        case "mute":
            return HOST, c.ModShadowMute(user_id=target) if n % 2 else c.ModShadowUnmute(user_id=target)
        case "accept":
            return None, c.RulesAccept()
        case "bid":
            return None, c.AuctionBid(auction_id=next(iter(room.auctions), 0), max=60_000 + 5_000 * n if n % 2 else None, key=f"b{n % 3}")
        case "team":  # the brand's moderator team, sent to the room
            return BRAND, c.ModAppoint(user_id=target) if n % 2 else c.ModDismiss(user_id=target)
        case "cohost":
            return HOST, sc.CohostInvite(user_id=target) if n % 3 else sc.CohostRemove(user_id=target)
        case "join_hosts":
            return None, sc.CohostAccept()
        case "reviews":  # the server's refresh of the pinned product's summary
            newest = [_review(n - k, PEOPLE[(n - k) % 3]) for k in range(2)]
            return SYSTEM, sc.ProductReviews(product_id=PRODUCT.id, reviews=sc.ReviewSummary(average=4.5, count=2, newest=newest, most_helpful=newest[:1]))
        case "spotlight":
            return HOST, sc.ReviewSpotlight(review=_review(n, PEOPLE[n % 3]))
        case _:
            return HOST, c.ChatPin(message_id=next(iter(room.messages), 0))


def _review(n: int, by: c.Actor) -> sc.ReviewView:
    author = sc.ReviewAuthor(id=AUTHOR if by.user_id == "ana" else f"u_{by.user_id}", name=by.name)
    return sc.ReviewView(id=n, product_id=PRODUCT.id, stars=4 + n % 2, text=f"{by.name} reviews {n}", photo_url=f"https://img.example/{n}.jpg", author=author, created_at=Millis(n))


def _run(steps: list[tuple[str, int, int]], erase_at: int, team: tuple[UserId, ...] = ()) -> tuple[list[c.Entry], list[list[dict[str, Any]]], RoomState]:
    """Fold a session live; the erase entry goes in after ``erase_at`` steps. Each step's
    command is built on the state of its turn (it names the messages, polls... there are).
    ``team``: the brand's moderators the room opens with."""
    state, log, shown = RoomState(RoomId("r")), [], []
    setup: list[tuple[c.Actor, c.Command]] = [
        (HOST, c.RoomCreate(title="Show", host_id=HOST.user_id, brand_id="acme", report_threshold=2, moderators=team)),
        (HOST, c.RoomGoLive()),
        (HOST, c.OfferCreate(product=PRODUCT, price=99_000, units=5, per_buyer_limit=2, duration_seconds=600)),
        (HOST, c.PollCreate(question="Colour?", options=["Black", "Sand"])),
        (HOST, c.GiveawayStart(title="Tote")),
        (HOST, c.AuctionStart(product=PRODUCT, start_price=50_000, increment=5_000, duration_seconds=600)),
        (HOST, c.ProductPin(product=PRODUCT)),
    ]

    def run(actor: c.Actor, cmd: c.Command) -> None:
        entry = c.Entry(seq=Seq(state.seq + 1), ts=Millis(1_000_000 + 700 * state.seq), actor=actor, command=cmd)
        _, events, _ = fold(state, entry)
        log.append(entry)
        shown.append([plain(EventMessage(entry.seq, entry.ts, ev)) for ev in events])

    for actor, cmd in setup:
        run(actor, cmd)
    for n, (action, who, _) in enumerate(steps):
        if n == erase_at:
            run(SYSTEM, ERASE)
        by, cmd = _command(action, n, state)
        run(by or PEOPLE[who], cmd)
    if erase_at >= len(steps):
        run(SYSTEM, ERASE)
    return log, shown, state


steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2), st.integers(0, 3)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(0, 40), st.sampled_from([(), (UserId("ana"),), (UserId("ben"), UserId("ana"))]))
def test_a_scrubbed_log_refolds_to_the_live_state_and_events(plan: list[tuple[str, int, int]], erase_at: int, team: tuple[UserId, ...]) -> None:
    erase_at = min(erase_at, len(plan))
    log, shown, live = _run(plan, erase_at, team)
    cut = next(i for i, entry in enumerate(log) if isinstance(entry.command, c.PrivacyErase))
    stored = [scrub(entry_to_dict(e), ERASE, REMOVED) if i <= cut else entry_to_dict(e) for i, e in enumerate(log)]
    refolded = RoomState(RoomId("r"))
    for i, entry in enumerate(entries_from_dicts(stored)):
        _, events, _ = fold(refolded, entry)
        got = [plain(EventMessage(entry.seq, entry.ts, ev)) for ev in events]
        want = [scrub(ev, ERASE, REMOVED) for ev in shown[i]] if i <= cut else shown[i]
        assert got == want, (i, entry.command)
    assert state_to_dict(refolded) == state_to_dict(live)
    at_erasure = RoomState(RoomId("r"))
    for entry in entries_from_dicts(stored[: cut + 1]):
        fold(at_erasure, entry)
    text = str(stored[: cut + 1]) + str(state_to_dict(at_erasure))
    assert "'ana'" not in text and "Ana" not in text and AUTHOR not in text, "the person's id, name and pseudonym are gone from the rewritten log and the state (later activity is new data)"


def test_the_erased_persons_messages_read_removed_and_counts_stay() -> None:
    _, _, live = _run([("chat", 0, 0), ("chat", 1, 0), ("ask", 0, 0), ("vote", 0, 0), ("claim", 0, 0)], 5)
    assert [m.text for m in live.messages.values()] == [REMOVED, "hello 1"]
    assert [m.user.id for m in live.messages.values()] == [ALIAS, "ben"]
    assert next(iter(live.questions.values())).text == REMOVED
    assert next(iter(live.polls.values())).tallies == [0, 1] and ALIAS in next(iter(live.polls.values())).votes
    assert [r.user_id for r in live.reservations.values()] == [ALIAS] and live.message_count == 2


def test_a_rooms_host_is_not_erased_from_it() -> None:
    state = RoomState(RoomId("r"))
    fold(state, c.Entry(seq=Seq(1), ts=Millis(1), actor=HOST, command=c.RoomCreate(title="Show", host_id=HOST.user_id)))
    _, _, outcome = fold(state, c.Entry(seq=Seq(2), ts=Millis(2), actor=SYSTEM, command=c.PrivacyErase(user_id=HOST.user_id, alias=ALIAS)))
    assert isinstance(outcome, Rejection) and outcome.code is Code.FORBIDDEN
    _, _, outcome = fold(state, c.Entry(seq=Seq(3), ts=Millis(3), actor=PEOPLE[0], command=c.PrivacyErase(user_id=UserId("ben"), alias=ALIAS)))
    assert isinstance(outcome, Rejection), "only the server appends an erasure"
    _, _, outcome = fold(state, c.Entry(seq=Seq(4), ts=Millis(4), actor=SYSTEM, command=c.PrivacyErase(user_id=UserId("ben"), alias=ALIAS)))
    assert isinstance(outcome, Accepted)


def test_the_review_queue_reports_and_mutes_forget_the_erased_person() -> None:
    plan = [("chat", 1, 0), ("hold", 0, 0), ("report", 0, 0), ("mute", 0, 0), ("accept", 0, 0)]  # ben posts; ana is held, reports, is muted (n=3), accepts
    _, _, live = _run(plan, len(plan))
    held = next(iter(live.queue.values())).message
    assert (held.user.id, held.user.name, held.text) == (ALIAS, "erased", REMOVED)
    assert ALIAS in next(iter(live.reports.values())) and live.shadow_muted == {ALIAS} and live.rules_accepted == {ALIAS}
    assert "ana" not in str(state_to_dict(live))


def test_copies_of_the_erased_persons_reviews_lose_their_words_and_keep_their_stars() -> None:
    _, _, live = _run([("reviews", 0, 0), ("chat", 0, 0), ("chat", 1, 0), ("spotlight", 0, 0)], 4)
    erased = sc.ReviewAuthor(id=AUTHOR_ALIAS, name="erased")
    assert live.spotlight is not None and (live.spotlight.author, live.spotlight.text, live.spotlight.photo_url, live.spotlight.stars) == (erased, REMOVED, None, 5)
    summary = live.pinned_products[0].reviews
    assert summary is not None and [(v.author, v.text) for v in summary.newest] == [(erased, REMOVED), (sc.ReviewAuthor(id="u_cy", name="Cy"), "Cy reviews -1")]
    assert [(v.author, v.stars) for v in summary.most_helpful] == [(erased, 4)] and summary.average == 4.5, "the stars and the averages stay"


def test_a_room_that_only_had_them_on_the_brands_team_is_found_and_rewritten() -> None:
    created = entry_to_dict(c.Entry(seq=Seq(1), ts=Millis(1), actor=HOST, command=c.RoomCreate(title="Show", host_id=HOST.user_id, brand_id="acme", moderators=(UserId("ben"), UserId("ana")))))
    assert names(created, "ana") and not names(created, "cy"), "the erasure finds the room by its team alone"
    assert scrub(created, ERASE, REMOVED)["command"]["moderators"] == ["ben", ALIAS]
