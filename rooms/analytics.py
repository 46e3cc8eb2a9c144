"""Session analytics, computed by re-folding a room's log: the same log, the same numbers.

``analyze`` folds the entries from an empty room and reads the events the fold emits,
so the numbers can never disagree with what viewers saw. Viewer counts and reactions
are not in the log (they are edge signals); the server samples them and passes them in.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from rooms import events as e
from rooms.commands import Entry
from rooms.fold import fold
from rooms.state import RoomState
from rooms.statuses import ReservationStatus
from rooms.types import RoomId

MINUTE_MS = 60_000


@dataclass
class Samples:
    """Edge signals the server recorded: (ts, viewers, reactions since the previous sample)."""

    points: list[tuple[int, int, int]] = field(default_factory=list)
    unique_viewers: int = 0


def refold(room_id: RoomId, entries: list[Entry]) -> tuple[RoomState, list[tuple[Entry, list[e.Event]]]]:
    state = RoomState(room_id)
    out = []
    for entry in entries:
        _, events, _ = fold(state, entry)
        out.append((entry, events))
    return state, out


@dataclass
class _Tally:
    """Running counts over the folded events, per session and per minute since go-live."""

    start: int
    per_minute: defaultdict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    messages: int = 0
    chatters: set[str] = field(default_factory=set)
    deleted: int = 0
    claims: int = 0
    buyers: set[str] = field(default_factory=set)
    reservations: dict[int, e.ReservationView] = field(default_factory=dict)
    revenue: Counter[str] = field(default_factory=Counter)
    by_product: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_affiliate: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    questions: int = 0
    answered: int = 0

    def minute(self, ts: int) -> int:
        return max(0, (ts - self.start) // MINUTE_MS)

    def add(self, ts: int, ev: e.Event) -> None:
        m = self.minute(ts)
        if isinstance(ev, e.ChatMessage):
            self.messages += 1
            self.chatters.add(ev.message.user.id)
            self.per_minute[m]["messages"] += 1
        elif isinstance(ev, e.ChatDeleted):
            self.deleted += 1
        elif isinstance(ev, e.OrderReserved):
            self.claims += 1
            self.reservations[ev.reservation.id] = ev.reservation
            self.per_minute[m]["claims"] += 1
        elif isinstance(ev, e.OrderChanged) and ev.status == ReservationStatus.PAID:
            self.paid(self.reservations[ev.reservation_id])
            self.per_minute[m]["paid_orders"] += 1
        elif isinstance(ev, e.QuestionAsked):
            self.questions += 1
        elif isinstance(ev, e.QuestionAnswered):
            self.answered += 1

    def paid(self, r: e.ReservationView) -> None:
        amount = r.units * r.price
        self.buyers.add(r.user_id)
        self.revenue[r.currency] += amount
        self.by_product[r.product_id]["units"] += r.units
        self.by_product[r.product_id][f"revenue_{r.currency}"] += amount
        self.by_affiliate[r.affiliate_id or "none"]["units"] += r.units
        self.by_affiliate[r.affiliate_id or "none"][f"revenue_{r.currency}"] += amount

    def sample(self, ts: int, viewers: int, reactions: int) -> None:
        m = self.minute(ts)
        self.per_minute[m]["viewers"] = max(self.per_minute[m]["viewers"], viewers)
        self.per_minute[m]["reactions"] += reactions


def analyze(room_id: RoomId, entries: list[Entry], samples: Samples) -> dict[str, Any]:
    state, folded = refold(room_id, entries)
    start = state.went_live_at or (entries[0].ts if entries else 0)
    t = _Tally(start)
    for entry, events in folded:
        for ev in events:
            t.add(entry.ts, ev)
    for ts, viewers, reactions in samples.points:
        t.sample(ts, viewers, reactions)
    counts = [v for _, v, _ in samples.points]
    polls = [{"poll_id": p.id, "question": p.question, "options": p.options, "tallies": p.tallies, "voters": len(p.votes)} for p in state.polls.values()]
    unique = max(samples.unique_viewers, len(t.chatters))
    return {
        "room_id": room_id,
        "status": state.status.value,
        "went_live_at": state.went_live_at,
        "ended_at": state.ended_at,
        "duration_ms": (state.ended_at or (entries[-1].ts if entries else start)) - start,
        "seq": state.seq,
        "viewers": {"peak": max(counts, default=0), "average": round(sum(counts) / len(counts), 2) if counts else 0, "unique": unique},
        "reactions": sum(r for _, _, r in samples.points),
        "chat": {"messages": t.messages, "deleted": t.deleted, "active_chatters": len(t.chatters)},
        "polls": polls,
        "questions": {"asked": t.questions, "answered": t.answered},
        "commerce": {
            "claims": t.claims,
            "paid_orders": sum(1 for r in state.reservations.values() if r.status == ReservationStatus.PAID),
            "revenue": dict(t.revenue),
            "buyers": len(t.buyers),
            "conversion": round(len(t.buyers) / unique, 4) if unique else 0.0,
            "products": {k: dict(v) for k, v in t.by_product.items()},
            "affiliates": {k: dict(v) for k, v in t.by_affiliate.items()},
        },
        "top_contributors": state.leaderboard(10),
        "per_minute": [{"minute": m, **{k: t.per_minute[m][k] for k in ("viewers", "messages", "reactions", "claims", "paid_orders")}} for m in sorted(t.per_minute)],
    }
