"""How many watch a room across the nodes, and the reactions they send."""

from typing import Protocol

from rooms.types import RoomId

# Per room: (this node's viewers, this node's reactions since its last report, by kind).
Reports = dict[RoomId, tuple[int, dict[str, int]]]


class Presence(Protocol):
    """The contract every presence backend keeps (``tests/test_coord_contract.py``).

    - **Viewer shares.** ``report`` sets this node's share of each room it names to the
      viewers given and returns, for each of those rooms, the sum of the live nodes'
      shares. A share of 0 leaves the sum at once; any other share counts until the
      backend's expiry after the node's last report (a node that died stops counting
      then), so a node re-reports its rooms every ``heartbeat_seconds``, well within
      that time; None where shares never expire (one process is the only node).
    - **Reactions.** The reactions given are broadcast to the other nodes: each node
      that has the room open receives them through its room log subscription,
      ``RoomLog.open(..., on_signal)``, as ``on_signal(reporting node, counts)``. This
      couples presence to the log of the same backend (``live.backends`` builds the
      pair): on Redis both use the room's channel and the log's one reader. The
      reporting node never receives its own; delivery is at most once, unordered
      against the room's entries.
    - Backend failures raise ``LogUnavailable`` (a ``ConnectionError``).
    """

    heartbeat_seconds: float | None

    async def report(self, reports: Reports) -> dict[RoomId, int]: ...
