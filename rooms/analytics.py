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


def analyze(room_id: RoomId, entries: list[Entry], samples: Samples) -> dict[str, Any]:
    state, folded = refold(room_id, entries)
    start = state.went_live_at or (entries[0].ts if entries else 0)

    def minute(ts: int) -> int:
        return max(0, (ts - start) // MINUTE_MS)

    messages, chatters, deleted = 0, set(), 0
    per_minute: defaultdict[int, Counter[str]] = defaultdict(Counter)
    claims, buyers = 0, set()
    reservations: dict[int, e.ReservationView] = {}
    revenue: Counter[str] = Counter()
    by_product: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_affiliate: defaultdict[str, Counter[str]] = defaultdict(Counter)
    questions, answered = 0, 0
    for entry, events in folded:
        for ev in events:
            m = minute(entry.ts)
            if isinstance(ev, e.ChatMessage):
                messages += 1
                chatters.add(ev.message.user.id)
                per_minute[m]["messages"] += 1
            elif isinstance(ev, e.ChatDeleted):
                deleted += 1
            elif isinstance(ev, e.OrderReserved):
                claims += 1
                reservations[ev.reservation.id] = ev.reservation
                per_minute[m]["claims"] += 1
            elif isinstance(ev, e.OrderChanged) and ev.status == "paid":
                r = reservations[ev.reservation_id]
                amount = r.units * r.price
                buyers.add(r.user_id)
                revenue[r.currency] += amount
                by_product[r.product_id]["units"] += r.units
                by_product[r.product_id][f"revenue_{r.currency}"] += amount
                by_affiliate[r.affiliate_id or "none"]["units"] += r.units
                by_affiliate[r.affiliate_id or "none"][f"revenue_{r.currency}"] += amount
                per_minute[m]["paid_orders"] += 1
            elif isinstance(ev, e.QuestionAsked):
                questions += 1
            elif isinstance(ev, e.QuestionAnswered):
                answered += 1
    for ts, viewers, reactions in samples.points:
        m = minute(ts)
        per_minute[m]["viewers"] = max(per_minute[m]["viewers"], viewers)
        per_minute[m]["reactions"] += reactions
    counts = [v for _, v, _ in samples.points]
    polls = [
        {"poll_id": p.id, "question": p.question, "options": p.options, "tallies": p.tallies, "voters": len(p.votes)} for p in state.polls.values()
    ]
    unique = max(samples.unique_viewers, len(chatters))
    return {
        "room_id": room_id,
        "status": state.status.value,
        "went_live_at": state.went_live_at,
        "ended_at": state.ended_at,
        "duration_ms": (state.ended_at or (entries[-1].ts if entries else start)) - start,
        "seq": state.seq,
        "viewers": {"peak": max(counts, default=0), "average": round(sum(counts) / len(counts), 2) if counts else 0, "unique": unique},
        "reactions": sum(r for _, _, r in samples.points),
        "chat": {"messages": messages, "deleted": deleted, "active_chatters": len(chatters)},
        "polls": polls,
        "questions": {"asked": questions, "answered": answered},
        "commerce": {
            "claims": claims,
            "paid_orders": sum(1 for r in state.reservations.values() if r.status == "paid"),
            "revenue": dict(revenue),
            "buyers": len(buyers),
            "conversion": round(len(buyers) / unique, 4) if unique else 0.0,
            "products": {k: dict(v) for k, v in by_product.items()},
            "affiliates": {k: dict(v) for k, v in by_affiliate.items()},
        },
        "top_contributors": state.leaderboard(10),
        "per_minute": [{"minute": m, **{k: per_minute[m][k] for k in ("viewers", "messages", "reactions", "claims", "paid_orders")}} for m in sorted(per_minute)],
    }
