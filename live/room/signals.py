"""Edge signals of one room: reactions and the viewer count, never logged one by one.

Each node counts its own viewers' reactions, shares them with the other nodes a few
times a second (the node's signal loop) and shows everyone's as one burst; the
viewer count goes out only when it changed. Who joined and how many reactions were
shown are kept for the session's analytics, which the node's sampler takes.

The signal loop visits a room only when something here may have changed (``stirred``
and ``Fanout.stirred``), so a quiet room costs it nothing between presence heartbeats.
"""

import time
from collections import Counter

from live.wire.server import Presence, Reactions, ServerMessage
from rooms.commands import Actor
from rooms.roles import Role

_NONE: Counter[str] = Counter()  # shared, never mutated: "nothing shown" without an allocation


class EdgeSignals:
    def __init__(self) -> None:
        self._reactions: Counter[str] = Counter()  # this node's, shared with the others
        self._remote: Counter[str] = Counter()  # the other nodes', shown here
        self._shown: Counter[str] = Counter()
        self.last_viewers = -1  # the count viewers were last told
        self.stirred = True  # reactions, an entry folded or a simulated audience since the signal loop's last visit
        self.reported = -1  # this node's count as last reported to presence
        self.recount = False  # another node's share changed (or a report failed): ask presence for the total
        self.total: int | None = None  # the count over all nodes, as presence last answered
        # For session analytics, taken by the node's sampler: who joined, reactions shown.
        self.joined: dict[str, int] = {}
        self.reactions_shown = 0

    def react(self, kind: str) -> None:
        self._reactions[kind] += 1
        self.stirred = True

    def on_remote(self, node: str, counts: dict[str, int]) -> None:
        """Another node's reactions (maybe none: its share changed), from the log backend."""
        self._remote.update(counts)
        self.stirred = self.recount = True

    def take(self) -> dict[str, int]:
        """This node's reactions since the last call, to share with the other nodes."""
        if not self._reactions:  # most rooms, most ticks: nothing to allocate
            self._shown = _NONE
            return {}
        local, self._reactions = self._reactions, Counter()
        self._shown = local
        return dict(local)

    def due(self, viewers: int) -> list[ServerMessage]:
        """The room's viewer count (when it changed) and the reactions burst, to broadcast."""
        if viewers == self.last_viewers and not self._shown and not self._remote:
            return []
        shown = self._shown + self._remote
        self._shown, self._remote = Counter(), Counter()
        out: list[ServerMessage] = []
        if viewers != self.last_viewers:
            self.last_viewers = viewers
            out.append(Presence(viewers))
        if shown:
            out.append(Reactions(dict(shown)))
            self.reactions_shown += sum(shown.values())
        return out

    def joined_now(self, actor: Actor) -> None:
        if actor.role is not Role.GUEST:
            self.joined.setdefault(actor.user_id, int(time.time() * 1000))
