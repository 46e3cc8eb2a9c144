"""How much each user and client address has done across the nodes, per time window."""

from typing import Protocol


class Usage(Protocol):
    """The contract every usage backend keeps (``tests/test_coord_contract.py``).

    - ``add(counts, window_ms)`` adds this node's counts (key -> n, e.g. ``u:ana`` ->
      commands since the last call) to the current window of ``window_ms`` (windows are
      aligned to the backend's clock) and returns, for each key given, the total of
      every node's counts in that window, including these.
    - A window's counts are forgotten after the next window: nothing grows unbounded.
    - Backend failures raise ``LogUnavailable`` (a ``ConnectionError``); callers then
      fall back to their own node's counts.
    """

    async def add(self, counts: dict[str, int], window_ms: int) -> dict[str, int]: ...
