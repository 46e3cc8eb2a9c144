"""Room log backends: the single point of order for every room."""

from live.log.base import RoomLog, Subscriber
from live.log.memory import MemoryLog

__all__ = ["MemoryLog", "RoomLog", "Subscriber"]
