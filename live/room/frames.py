"""What one flush sends: each message encoded at most once per format, each group's frame built once.

The fan-out (``live.room.fanout``) queues ``Buffered`` messages and, at a flush, asks
``Frames`` for the frame of each group it writes to; the same bytes go to every member
of the group.
"""

from collections.abc import Hashable

from live import metrics
from live.wire.codec import Format, encode, frame, ws_frame
from live.wire.server import ServerMessage

Group = tuple[Format, bool, bool]  # (format, sees staff events, thinned)


class Buffered:
    """One message, encoded at most once per format, with what the groups need to know of it.

    JSON is encoded at once (the transcript row reuses it); MessagePack only when a
    MessagePack member is sent it, so a room nobody reads in MessagePack never pays for it.
    """

    __slots__ = ("_encoded", "_message", "seq", "staff_only", "subject", "thinnable")

    def __init__(self, message: ServerMessage, seq: int = 0, *, staff_only: bool = False, thinnable: bool = False, subject: Hashable | None = None) -> None:
        self._message = message
        self._encoded = {Format.JSON: encode(Format.JSON, message)}
        self.seq = seq
        self.staff_only = staff_only
        self.thinnable = thinnable  # chat from an ordinary viewer: the lane a behind viewer may skip
        self.subject = subject  # a running total's subject: only the latest per frame goes out

    def encoded(self, fmt: Format) -> bytes:
        if (data := self._encoded.get(fmt)) is None:
            data = self._encoded[fmt] = encode(fmt, self._message)
        return data


class Frames:
    """One flush's frames, built once per group on first use, and what was written of them."""

    __slots__ = ("_built", "_pending", "bytes", "events", "frames")

    def __init__(self, pending: list[Buffered]) -> None:
        self._pending = pending
        self._built: dict[Group, tuple[bytes, int] | None] = {}
        self.frames = self.bytes = self.events = 0

    def get(self, group: Group) -> bytes | None:
        if group not in self._built:
            fmt, staff, thinned = group
            items = [b.encoded(fmt) for b in self._pending if (staff or not b.staff_only) and not (thinned and b.thinnable)]
            self._built[group] = (ws_frame(fmt, frame(fmt, items)), len(items)) if items else None
        built = self._built[group]
        return built[0] if built else None

    def wrote(self, group: Group, members: int) -> None:
        if (built := self._built.get(group)) is not None:
            self.frames += members
            self.bytes += members * len(built[0])
            self.events += members * built[1]

    def count(self) -> None:
        metrics.FRAMES_WRITTEN.inc(self.frames)
        metrics.BYTES_WRITTEN.inc(self.bytes)
        metrics.DELIVERIES.inc(self.events)
