"""A simulated audience, run by the server: viewers who chat, react, vote, claim and bid.

For rehearsals (a host tries a show before it airs, ``POST /v1/rooms/{id}/rehearsal``)
and the demo (``live demo``). The viewers are actors ``sim-<n>`` whose commands go
through the room's log like anyone's — the fold judges them, the fan-out shows them —
but they hold no socket, and a rehearsal's sales and numbers count nowhere
(``RoomState.rehearsal_of``). They act only while the room is live, on the node that
started them; if that node stops, so does the audience (the room carries on).
"""

import asyncio
import contextlib
import itertools
import logging
import random
from dataclasses import dataclass

from live.errors import ServerError
from live.room.runtime import RoomRuntime
from rooms import commands as c
from rooms.auctions import minimum_bid
from rooms.roles import Role
from rooms.state import Status
from rooms.types import UserId

logger = logging.getLogger("live.simulator")

TICK_SECONDS = 0.25
REACTIONS = ("heart", "heart", "fire", "clap", "laugh", "wow")
NAMES = ("Ayu", "Budi", "Citra", "Dewi", "Eka", "Fajar", "Gita", "Hana", "Indra", "Joko", "Kartika", "Lina", "Maya", "Nanda", "Oki", "Putri", "Rina", "Sari", "Tono", "Wulan")
LINES = (
    "Halo kak! 👋",
    "berapa harganya kak?",
    "ukuran L ada?",
    "warnanya cantik banget 😍",
    "ongkir ke Surabaya berapa?",
    "love this color!",
    "is it true to size?",
    "just ordered, can't wait",
    "bahannya adem nggak kak?",
    "ready stok?",
    "show the back please",
    "mantap 🔥",
)
QUESTIONS = ("Bisa COD kak?", "Does it come in black?", "Kapan restock?", "Is there a warranty?")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rates:
    """How busy the simulated audience is (per minute, over the whole audience)."""

    viewers: int = 40
    chat_per_minute: float = 30.0
    reactions_per_minute: float = 120.0
    questions_per_minute: float = 2.0
    votes: bool = True  # each simulated viewer votes once in every open poll, a few seconds in
    claims_per_minute: float = 4.0  # while an offer runs
    bids_per_minute: float = 6.0  # while an auction runs


class Audience:
    """``rates.viewers`` simulated viewers in one room, acting at ``rates`` while it is live."""

    def __init__(self, rt: RoomRuntime, rates: Rates, seed: int | None = None) -> None:
        self.rt, self.rates = rt, rates
        self._rng = random.Random(seed)
        self._keys = itertools.count(1)
        self._voted: set[tuple[int, int]] = set()  # (poll, viewer)
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.rt.simulated = self.rates.viewers
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        self.rt.simulated = 0
        if self._task is not None:
            self._task.cancel()
        for task in list(self._pending):
            task.cancel()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        try:
            while self.rt.state.status is not Status.ENDED:
                await asyncio.sleep(TICK_SECONDS)
                if self.rt.state.status is Status.LIVE:
                    self._tick()
        finally:
            self.rt.simulated = 0

    def _tick(self) -> None:
        r, state = self.rates, self.rt.state
        for _ in range(self._events(r.reactions_per_minute)):
            self.rt.signals.react(self._rng.choice(REACTIONS))
        for _ in range(self._events(r.chat_per_minute)):
            self._submit(c.ChatPost(text=self._rng.choice(LINES)))
        for _ in range(self._events(r.questions_per_minute)):
            self._submit(c.QuestionAsk(text=self._rng.choice(QUESTIONS)))
        offers = [o for o in state.offers.values() if o.started and not o.ended and o.available > 0]
        for _ in range(self._events(r.claims_per_minute) if offers else 0):
            self._submit(c.OfferClaim(offer_id=self._rng.choice(offers).id, units=1, key=f"sim-{next(self._keys)}"))
        auctions = [a for a in state.auctions.values() if a.started and not a.ended]
        for _ in range(self._events(r.bids_per_minute) if auctions else 0):
            a = self._rng.choice(auctions)
            self._submit(c.AuctionBid(auction_id=a.id, amount=minimum_bid(a), key=f"sim-{next(self._keys)}"))
        if r.votes:
            self._vote()

    def _vote(self) -> None:
        """Each simulated viewer votes once per open poll, spread over the poll's first seconds."""
        for poll in [p for p in self.rt.state.polls.values() if not p.closed]:
            for n in range(self.rates.viewers):
                if (poll.id, n) not in self._voted and self._rng.random() < 0.08:
                    self._voted.add((poll.id, n))
                    self._submit(c.PollVote(poll_id=poll.id, options=[self._rng.randrange(len(poll.options))]), n)

    def _events(self, per_minute: float) -> int:
        """How many of an event fall in this tick (a Poisson process, drawn cheaply)."""
        expected = per_minute / 60 * TICK_SECONDS
        count = int(expected)
        return count + (1 if self._rng.random() < expected - count else 0)

    def _submit(self, command: c.Command, who: int | None = None) -> None:
        n = who if who is not None else self._rng.randrange(max(1, self.rates.viewers))
        # Regulars who accepted the rules before: the rehearsal's chat runs under the show's rules
        # without a simulated acceptance landing in the brand's records.
        actor = c.Actor(user_id=UserId(f"sim-{n}"), name=f"{NAMES[n % len(NAMES)]} (sim)", role=Role.VIEWER, rules_accepted=True)
        task = asyncio.get_running_loop().create_task(self._send(actor, command))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, actor: c.Actor, command: c.Command) -> None:
        with contextlib.suppress(ServerError):  # refused (sold out, slow mode...) like anyone's
            await self.rt.submit(actor, command)
