"""Coordination between the nodes that serve a room: who persists it (leases) and how
many watch it (presence). Memory (one node) and Redis implementations side by side."""

from live.coord.leases import Leases
from live.coord.presence import Presence

__all__ = ["Leases", "Presence"]
