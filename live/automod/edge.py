"""Automatic moderation on the ingest path: a client's ``chat.post`` becomes a ``ChatPost``
carrying the server's verdict.

What scoring needs and the fold must not have lives here, per node: each brand's policy
(read from SQL, then served from memory and refreshed in the background every few
seconds, so a message never waits on SQL after the first), when an author was first
seen in the brand (read once, and only for a message with a link), and each room's
recent texts (``spam.Repeats``). Staff are never scored.
"""

import asyncio
import logging
import time
import weakref
from collections import OrderedDict

from live import metrics
from live.automod import links, toxicity
from live.automod.policy import DEFAULT, Policy
from live.automod.scorer import Author, Rules, score
from live.automod.spam import Repeats
from live.room.runtime import RoomRuntime
from live.store import Store
from live.wire.client import PostChat
from rooms import commands as c
from rooms.comments import parse
from rooms.intents import Intent
from rooms.roles import SEES_SALES
from rooms.state import RoomState

logger = logging.getLogger("live.automod")

POLICY_TTL_SECONDS = 5.0  # a brand's change reaches every node within this
FIRST_SEEN_KEPT = 100_000  # authors whose first-seen time a node remembers


class Automod:
    """One node's moderation memory: policies by brand, first-seen times, rooms' repeats."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._default = Rules(DEFAULT)
        self._rules: dict[str, tuple[Rules, float]] = {}
        self._refreshing: set[str] = set()
        self._first_seen: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._repeats: weakref.WeakKeyDictionary[RoomRuntime, Repeats] = weakref.WeakKeyDictionary()

    async def rules(self, brand_id: str | None) -> Rules:
        """The brand's compiled policy; a stale one is served while a fresh one is read."""
        if brand_id is None:
            return self._default
        hit = self._rules.get(brand_id)
        if hit is None:
            return await self._load(brand_id)
        if time.monotonic() - hit[1] > POLICY_TTL_SECONDS and brand_id not in self._refreshing:
            self._refreshing.add(brand_id)
            task = asyncio.get_running_loop().create_task(self._load(brand_id))
            task.add_done_callback(lambda _: self._refreshing.discard(brand_id))
        return hit[0]

    def forget(self, brand_id: str) -> None:
        """The brand changed its policy through this node: read it again on the next message."""
        self._rules.pop(brand_id, None)

    async def _load(self, brand_id: str) -> Rules:
        old = self._rules.get(brand_id)
        try:
            raw = await self._store.automod_policy(brand_id)
        except Exception:
            logger.exception("could not read brand %s's automod policy; using the last one", brand_id)
            rules = old[0] if old else self._default
            self._rules[brand_id] = (rules, time.monotonic())  # tried again in POLICY_TTL_SECONDS, not on every message
            return rules
        policy = Policy.model_validate(raw) if raw is not None else DEFAULT
        rules = old[0] if old is not None and old[0].policy == policy else self._default if policy == DEFAULT else Rules(policy)
        self._rules[brand_id] = (rules, time.monotonic())
        return rules

    async def is_new(self, rt: RoomRuntime, user_id: str, new_user_ms: int, now_ms: int) -> bool:
        """Whether the author was first seen in this brand (or brandless room) under ``new_user_ms`` ago."""
        key = (rt.state.brand_id or f"room:{rt.room_id}", user_id)
        first = self._first_seen.get(key)
        if first is None:
            try:
                stored = await self._store.first_seen(user_id, rt.state.brand_id, rt.room_id)
            except Exception:
                logger.exception("could not read when %s was first seen", user_id)
                stored = None
            times = [t for t in (stored, rt.signals.joined.get(user_id)) if t is not None]
            first = min(times) if times else now_ms
            self._first_seen[key] = first
            if len(self._first_seen) > FIRST_SEEN_KEPT:
                self._first_seen.popitem(last=False)
        return now_ms - first < new_user_ms

    def repeats(self, rt: RoomRuntime, window_ms: int) -> Repeats:
        rep = self._repeats.get(rt)
        if rep is None:
            rep = self._repeats[rt] = Repeats(window_ms=window_ms)
        rep.window_ms = window_ms
        return rep

    async def post(self, rt: RoomRuntime, actor: c.Actor, request: PostChat) -> c.ChatPost:
        """The command a client's post becomes: its text (links stripped, where the brand says so),
        the verdict, and the claim or bid the text asks for ("keep 2", "bid 150rb"), read once
        with the room's words (whatever intent a client sent is replaced; the fold decides)."""
        state = rt.state
        intent = _intent(state, request.text)
        if actor.role in SEES_SALES or actor.user_id in state.moderators or len(request.text) > state.max_message_length:
            return c.ChatPost(text=request.text, reply_to=request.reply_to, intent=intent)  # staff; or too long, which the fold refuses anyway
        rules = await self.rules(state.brand_id)
        p, now_ms = rules.policy, int(time.time() * 1000)
        new = p.enabled and p.actions.new_user_link != "off" and _has_link(rules, request.text) and await self.is_new(rt, actor.user_id, p.new_user_seconds * 1000, now_ms)
        scored = score(rules, request.text, Author(actor.user_id, new=new), self.repeats(rt, p.repeat_window_seconds * 1000), now_ms, claim=intent is not None)
        metrics.AUTOMOD_OUTCOMES[scored.verdict.outcome.value].inc()
        if scored.text != request.text:  # links stripped: the intent is read from what is posted
            intent = _intent(state, scored.text)
        return c.ChatPost(text=scored.text, reply_to=request.reply_to, verdict=scored.verdict, intent=intent)


def _intent(state: RoomState, text: str) -> Intent | None:
    return parse(text, state.claim_words, state.bid_words) if state.comment_claims else None


def _has_link(rules: Rules, text: str) -> bool:
    return any(not links.allowed(link.host, rules.domains) for link in links.find(text))


toxicity.warm()  # this module is imported as the server starts: the model is ready by the first message

_BY_STORE: "weakref.WeakKeyDictionary[Store, Automod]" = weakref.WeakKeyDictionary()


def for_store(store: Store) -> Automod:
    """The node's ``Automod`` (one per store, so per node: tests may run several in a process)."""
    automod = _BY_STORE.get(store)
    if automod is None:
        automod = _BY_STORE[store] = Automod(store)
    return automod
