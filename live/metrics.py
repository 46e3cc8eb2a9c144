"""Prometheus metrics. Counted per batch or per command, never per delivery."""

from prometheus_client import Counter, Gauge

CONNECTIONS = Gauge("live_connections", "Open WebSocket connections on this node")
ROOMS = Gauge("live_rooms_open", "Rooms this node has open")
COMMANDS = Counter("live_commands_total", "Commands answered", ["outcome"])
DELIVERIES = Counter("live_deliveries_total", "Events written to viewers (events x members)")
SLOW_CONSUMERS = Counter("live_slow_consumers_total", "Connections closed as slow consumers")
PROTOCOL_ERRORS = Counter("live_protocol_errors_total", "Client frames answered with an error", ["code"])
