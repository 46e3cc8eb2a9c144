"""Identifier types shared across the domain."""

from typing import NewType

RoomId = NewType("RoomId", str)
UserId = NewType("UserId", str)
Seq = NewType("Seq", int)
Millis = NewType("Millis", int)  # milliseconds since the Unix epoch, from the log
