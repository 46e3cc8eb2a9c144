"""Prometheus metrics. Counted per batch, per flush or per command, never per delivery."""

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge("live_connections", "Open WebSocket connections on this node")
ROOMS = Gauge("live_rooms_open", "Rooms this node has open")
COMMANDS = Counter("live_commands_total", "Commands answered", ["outcome"])
DELIVERIES = Counter("live_deliveries_total", "Events written to viewers (events x members)")
PROTOCOL_ERRORS = Counter("live_protocol_errors_total", "Client frames answered with an error", ["code"])

# The fan-out, counted once per flush (frames and bytes are summed over its groups first).
FLUSH_SECONDS = Histogram(
    "live_fanout_flush_seconds",
    "Time one fan-out flush takes to build its frames and write them to every member",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
FRAMES_WRITTEN = Counter("live_frames_written_total", "WebSocket frames the fan-out wrote (frames x members)")
BYTES_WRITTEN = Counter("live_bytes_written_total", "Bytes the fan-out wrote to members' transports")
THINNED = Gauge("live_thinned_connections", "Connections whose chat is thinned now (they fell behind)")
THINNINGS = Counter("live_thinned_total", "Times a connection fell behind and had its chat thinned")
# reason: "bound" - its unsent bytes passed outbound_buffer_bytes; "stalled" - thinned, and
# its backlog did not shrink for stall_seconds (it stopped reading).
SLOW_CONSUMERS = Counter("live_slow_consumers_total", "Connections closed as slow consumers (4008)", ["reason"])
for _reason in ("bound", "stalled"):
    SLOW_CONSUMERS.labels(_reason)
