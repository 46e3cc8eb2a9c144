"""Each person's own data (docs/privacy.md): what the server holds about them, and erasing it.

The export re-folds every persisted room that names the person, as analytics does, so
it lists what the log holds: their messages, questions, votes, claims, giveaway
entries and the moderation taken against them, with their orders, points and badges
from SQL. Other people appear in it by nothing (a moderator by their role only).

Erasure goes through each room's log: a ``privacy.erase`` entry (appended by the
server, on whichever node holds the room) redacts the live state on every node, and
the persister rewrites SQL in the transaction that persists it. So a live room, an
ended room reopened from its log snapshot, and a re-fold of SQL all agree.
"""

import asyncio
import dataclasses
import secrets
import time
from typing import Any

from live.auth import SYSTEM
from live.log.serde import entries_from_dicts
from live.node import Node
from live.privacy import pseudonym
from rooms import commands as c
from rooms import events as e
from rooms import modevents as mod
from rooms.errors import Rejection
from rooms.fold import fold
from rooms.state import RoomState
from rooms.types import RoomId, UserId

MODERATION = (c.ModTimeout, c.ModUntimeout, c.ModBan, c.ModUnban, c.ModAppoint, c.ModDismiss, c.ModShadowMute, c.ModShadowUnmute)
PERSIST_WAIT_SECONDS = 10.0
NOT_HELD = {
    "reactions": "counted per room and second at the edge, never per person",
    "connections": "addresses and connection ids are in the operator's logs only (docs/operations.md), not in the database",
}


def new_alias() -> UserId:
    """The id an erased person is left with: random, so nobody — not even with the server's
    secret and their user id — can link it back to them (a pseudonym could be recomputed)."""
    return UserId("erased:" + secrets.token_hex(8))


async def export(node: Node, user_id: str, brand_id: str | None) -> dict[str, Any]:
    """Everything persisted about the person: every room (of one brand, or all) naming them."""
    rooms = []
    await node.persister.flush_soon(*node.runtimes)  # what the rooms open here folded so far, too
    for row in await node.store.person_rooms(user_id, brand_id):
        part = _room_part(row, entries_from_dicts(await node.store.load_entries(row["id"])), user_id)
        sql = await node.store.person_rows(row["id"], user_id)
        part["orders"] = [{k: v for k, v in o.items() if k not in ("room_id", "user_id", "affiliate_id")} for o in sql["orders"]]
        part["points"] = sum(m["points"] for m in sql["members"])
        part["badges"] = [b for m in sql["members"] for b in m["badges"]]
        part["first_joined_at"] = min((v["first_seen"] for v in sql["viewers"]), default=None)
        rooms.append(part)
    brands = sorted({r["brand_id"] for r in rooms if r["brand_id"]})
    badges = [{"brand_id": b, "badges": list(await node.store.brand_badges(b, user_id))} for b in brands]
    community = await node.store.person_community(user_id, brand_id)  # rules accepted, brand moderator, brand actions
    body = {"user_id": user_id, "scope": {"brand_id": brand_id} if brand_id else "all", "generated_at": int(time.time() * 1000), "rooms": rooms, "brands": badges}
    elsewhere = await node.store.person_elsewhere(user_id, brand_id)  # reviews, helpful marks, follows
    return body | {"community": community} | elsewhere | {"not_held": NOT_HELD}


def _room_part(row: dict[str, Any], entries: list[c.Entry], user: str) -> dict[str, Any]:
    """One room's share of the export, by re-folding its log."""
    state, mine = RoomState(RoomId(row["id"])), _Mine(user)
    for entry in entries:
        _, events, outcome = fold(state, entry)
        mine.add(state, entry, events, outcome)
    for q in mine.questions:
        if (now := state.questions.get(q["id"])) is not None:
            q |= {"votes": len(now.voters), "answered": now.answered}
    for m in mine.messages:
        m["deleted"] = m["id"] in mine.deleted
    room = {k: row[k] for k in ("id", "title", "brand_id", "status", "went_live_at", "ended_at")}
    won = [g.id for g in state.giveaways.values() if g.drawn and user in g.drawn]
    for g in mine.giveaways:
        g["won"] = g["giveaway_id"] in won
    for b in mine.bids:
        a = state.auctions.get(b["auction_id"])
        b["won"] = a is not None and a.ended and a.reservation_id is not None and a.leader == user
    return {"room": room, "brand_id": row["brand_id"], "role": mine.role} | mine.sections()


@dataclasses.dataclass
class _Mine:
    """What one room's log holds about the person, collected entry by entry."""

    user: str
    role: str | None = None
    messages: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    questions: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    poll_votes: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    question_upvotes: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    claims: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    bids: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    giveaways: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    moderation: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    other_actions: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    deleted: set[int] = dataclasses.field(default_factory=set)
    by_id: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)  # their messages, by id

    def sections(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("user", "role", "deleted", "by_id")}

    def add(self, state: RoomState, entry: c.Entry, events: list[e.Event], outcome: object) -> None:
        cmd, ok = entry.command, not isinstance(outcome, Rejection)
        for ev in events:
            if isinstance(ev, e.ChatMessage | mod.ChatHeld | mod.ChatShadowed | mod.ChatBlocked | mod.ChatRejected):
                self._review(entry, ev)
            elif isinstance(ev, e.QuestionAsked) and ev.question.user.id == self.user:
                self.questions.append({"id": ev.question.id, "ts": ev.question.ts, "text": ev.question.text})
            elif isinstance(ev, e.ChatDeleted):
                self.deleted.add(ev.message_id)
        if ok and isinstance(cmd, MODERATION) and cmd.user_id == self.user:
            fields = {k: v for k, v in dataclasses.asdict(cmd).items() if k not in ("type", "user_id")}
            self.moderation.append({"ts": entry.ts, "action": cmd.type, "by_role": entry.actor.role.value} | fields)
        elif ok and isinstance(cmd, c.ChatDelete) and cmd.message_id in {m["id"] for m in self.messages} and entry.actor.user_id != self.user:
            self.moderation.append({"ts": entry.ts, "action": cmd.type, "by_role": entry.actor.role.value, "message_id": cmd.message_id, "reason": cmd.reason})
        if entry.actor.user_id == self.user:
            self.role = self.role or entry.actor.role.value
            self._own(state, entry, outcome)

    def _review(self, entry: c.Entry, ev: e.ChatMessage | mod.ChatHeld | mod.ChatShadowed | mod.ChatBlocked | mod.ChatRejected) -> None:
        """Their messages as the room treated them: shown, held (then approved or rejected),
        shown only to them (shadow-muted), blocked, or hidden by reports."""
        if isinstance(ev, mod.ChatBlocked):
            if ev.user.id == self.user:
                self.messages.append({"id": entry.seq, "ts": entry.ts, "text": ev.text, "reply_to": None, "blocked": list(ev.reasons)})
            return
        if isinstance(ev, mod.ChatRejected):
            if ev.user_id == self.user:
                self.moderation.append({"ts": entry.ts, "action": "mod.reject", "by_role": entry.actor.role.value, "message_id": ev.message_id, "reason": ev.reason})
            return
        msg = ev.message
        if msg.user.id != self.user:
            return
        if isinstance(ev, mod.ChatHeld) and ev.kind == "reported":
            self.moderation.append({"ts": entry.ts, "action": "reports.hide", "by_role": "viewers", "message_id": msg.id, "reports": ev.reports})
            return
        if (mine := self.by_id.get(msg.id)) is None:
            self.messages.append(mine := {"id": msg.id, "ts": msg.ts, "text": msg.text, "reply_to": msg.reply_to})
            self.by_id[msg.id] = mine
        if isinstance(ev, mod.ChatHeld):
            mine["held"] = list(ev.reasons)
        elif isinstance(ev, mod.ChatShadowed):
            mine["shown_only_to_you"] = True  # shadow-muted
        elif "held" in mine:
            mine["approved_at"] = entry.ts

    def _own(self, state: RoomState, entry: c.Entry, outcome: object) -> None:
        """A command the person sent (their messages and questions come from the events)."""
        cmd, ok = entry.command, not isinstance(outcome, Rejection)
        match cmd:
            case c.ChatPost() | c.QuestionAsk():
                return
            case c.PollVote(poll_id=poll, options=options) if ok:
                labels = state.polls[poll].options
                self.poll_votes.append({"ts": entry.ts, "poll_id": poll, "question": state.polls[poll].question, "options": [labels[i] for i in options]})
            case c.QuestionUpvote(question_id=q) if ok:
                self.question_upvotes.append({"ts": entry.ts, "question_id": q})
            case c.OfferClaim(offer_id=offer, units=units):
                result = outcome.code.value if isinstance(outcome, Rejection) else outcome.result.get("reservation_id")  # type: ignore[attr-defined]
                self.claims.append({"ts": entry.ts, "offer_id": offer, "units": units, "reservation_id" if ok else "refused": result})
            case c.AuctionBid(auction_id=auction, amount=amount, max=top):
                self.bids.append({"ts": entry.ts, "auction_id": auction, "amount": amount, "max": top} | ({} if ok else {"refused": outcome.code.value}))  # type: ignore[attr-defined]
            case c.GiveawayEnter(giveaway_id=g) if ok:
                self.giveaways.append({"ts": entry.ts, "giveaway_id": g, "title": state.giveaways[g].title})
            case _ if ok:
                fields = {k: v for k, v in dataclasses.asdict(cmd).items() if k not in ("type", "user_id")}
                self.other_actions.append({"ts": entry.ts, "action": cmd.type} | fields)


async def erase(node: Node, user_id: str, brand_id: str | None) -> dict[str, Any]:
    """Erase the person from every room (of one brand, or all) that names them.

    Each room gets a ``privacy.erase`` entry; the answer waits (up to
    ``PERSIST_WAIT_SECONDS``) until SQL holds it, so what is read afterwards is erased.
    """
    done: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    waits: dict[str, int] = {}
    aliases: dict[str | None, UserId] = {}  # one per brand: its rooms still count them as one person
    await node.persister.flush_soon(*node.runtimes)  # the rooms open here, up to now: SQL finds the person in them
    key = node.settings.pseudonym_key  # their reviews name them by the brand's pseudonym: rooms that copy one count too
    authors = {owner: pseudonym(key, owner, user_id) for owner in await node.store.review_owners(user_id, brand_id)}
    for row in await node.store.person_rooms(user_id, brand_id, authors):
        alias = aliases.setdefault(row["brand_id"], new_alias())
        if row["host_id"] == user_id:
            kept.append({"room_id": row["id"], "reason": "host"})
            continue
        owner = row["brand_id"] or row["host_id"]
        author = authors.get(owner)
        erase = c.PrivacyErase(user_id=UserId(user_id), alias=alias, author=author, author_alias=pseudonym(key, owner, alias) if author else None)
        rt = await node.runtime(RoomId(row["id"]))
        if rt is None:  # its log was purged (retention): only SQL rows are left
            await node.store.erase_unlogged(row["id"], erase)
        else:
            outcome = await rt.submit(SYSTEM, erase)
            if isinstance(outcome, Rejection):
                kept.append({"room_id": row["id"], "reason": outcome.code.value})
                continue
            waits[row["id"]] = rt.state.seq
        done.append({"room_id": row["id"], "brand_id": row["brand_id"], "erased_as": alias})
    for brand in await node.store.person_community(user_id, brand_id):  # the brand-level community tables
        await node.store.erase_community(brand, user_id, aliases.setdefault(brand, new_alias()))
    await node.store.erase_elsewhere(user_id, brand_id, aliases.setdefault(brand_id, new_alias()))  # helpful marks, follows
    pending = await _persisted(node, waits)
    for room in done:
        room["pending"] = room["room_id"] in pending
    return {"user_id": user_id, "scope": {"brand_id": brand_id} if brand_id else "all", "rooms": done, "kept": kept}


async def _persisted(node: Node, waits: dict[str, int]) -> set[str]:
    """Wait until SQL holds each room's log up to a seq; the rooms it still does not."""
    deadline = time.monotonic() + PERSIST_WAIT_SECONDS
    await node.persister.flush_soon(*map(RoomId, waits))  # this node writes them, lease or not
    while waits and time.monotonic() < deadline:
        for room_id, seq in list(waits.items()):
            row = await node.store.get_room(room_id)
            if row is not None and row["persisted_seq"] >= seq:
                del waits[room_id]
        if waits:
            await asyncio.sleep(0.05)
            await node.persister.flush_soon(*map(RoomId, waits))
    return set(waits)
