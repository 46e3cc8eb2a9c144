"""How many watch a room across the nodes, and the reactions they send."""

from typing import Protocol

from rooms.types import RoomId

# Per room: (this node's viewers, this node's reactions since its last report, by kind).
Reports = dict[RoomId, tuple[int, dict[str, int]]]


class Presence(Protocol):
    """The contract every presence backend keeps (``tests/test_coord_contract.py``).

    - **Viewer shares.** ``report`` sets this node's share of each room it names to the
      viewers given and returns, for each of those rooms, the sum of the live nodes'
      shares, the live nodes being those of this node's last ``heartbeat`` (a new node
      counts from there). A share of 0 leaves the sum at once; any other share counts as
      long as its node is alive: a node calls ``heartbeat`` every ``heartbeat_seconds`` and
      is presumed dead after the backend's expiry without one, so a node need not report
      a room whose count did not change. ``heartbeat`` returns True when the live nodes changed since
      the last call (or this node had been presumed dead, or the backend lost it): every
      total is then to be asked again, and this node's shares reported again.
      ``heartbeat_seconds`` is None where there is one node (nothing to keep alive).
    - **Signals.** A report whose share changed, or with reactions, is broadcast to the
      other nodes: each node that has the room open receives it through its room log
      subscription, ``RoomLog.open(..., on_signal)``, as ``on_signal(reporting node,
      reactions)`` (reactions may be empty), and asks for the room's total again. This
      couples presence to the log of the same backend (``live.backends`` builds the
      pair): on Redis both use the room's channel and the log's one reader. The
      reporting node never receives its own; delivery is at most once, unordered
      against the room's entries.
    - Backend failures raise ``LogUnavailable`` (a ``ConnectionError``).
    """

    heartbeat_seconds: float | None

    async def heartbeat(self) -> bool: ...

    async def report(self, reports: Reports) -> dict[RoomId, int]: ...
