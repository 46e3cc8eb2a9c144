"""Prometheus metrics. Counted per batch, per flush or per command, never per delivery.

What each one answers for an operator: docs/operations.md, "Metrics"; the dashboard that
uses them: deploy/grafana-dashboard.json.
"""

from prometheus_client import Counter, Gauge, Histogram, Info

CONNECTIONS = Gauge("live_connections", "Open WebSocket connections on this node")
ROOMS = Gauge("live_rooms_open", "Rooms this node has open")
COMMANDS = Counter("live_commands_total", "Commands answered", ["outcome"])
COMMANDS_ANSWERED = {outcome: COMMANDS.labels(outcome) for outcome in ("accepted", "rejected")}  # bound once: labels() per command is not free
DELIVERIES = Counter("live_deliveries_total", "Events written to viewers (events x members)")
PROTOCOL_ERRORS = Counter("live_protocol_errors_total", "Client frames answered with an error", ["code"])
# Chat messages automatic moderation scored (staff are not scored), by the verdict's outcome.
AUTOMOD_VERDICTS = Counter("live_automod_verdicts_total", "Chat messages scored by automatic moderation", ["outcome"])
AUTOMOD_OUTCOMES = {outcome: AUTOMOD_VERDICTS.labels(outcome) for outcome in ("allow", "hold", "block")}

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

# Latency as clients feel it, observed per command and per flush (never per delivery).
# outcome: "accepted" / "rejected" (the fold's answer), "error" (refused before the log:
# rate limited, invalid, unavailable). Pings and reactions are not commands.
COMMAND_SECONDS = Histogram(
    "live_command_seconds",
    "From a command frame's arrival to its reply being written to the socket",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMAND_OUTCOMES = {outcome: COMMAND_SECONDS.labels(outcome) for outcome in ("accepted", "rejected", "error")}
DELIVERY_SECONDS = Histogram(
    "live_delivery_seconds",
    "From an event being folded and queued to the flush that writes it (the oldest event of each flush)",
    buckets=(0.001, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0),
)

# Persistence. The lag gauges are read at scrape time from the persister's pending entries.
PERSIST_LAG_ENTRIES = Gauge("live_persist_lag_entries", "Entries folded on this node that SQL does not have yet (as far as this node knows)")
PERSIST_LAG_SECONDS = Gauge("live_persist_lag_seconds", "Age of the oldest entry folded on this node that SQL does not have yet")
PERSIST_SECONDS = Histogram(
    "live_persist_write_seconds",
    "One persister transaction (every room this node persists, one batch)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
PERSIST_FAILURES = Counter("live_persist_failures_total", "Persister rounds that failed (the batch is kept and retried)")

# Webhooks to the merchant's checkout. outcome: "ok" (2xx), "http_error", "network_error".
WEBHOOK_DELIVERIES = Counter("live_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])
for _outcome in ("ok", "http_error", "network_error"):
    WEBHOOK_DELIVERIES.labels(_outcome)
WEBHOOK_SECONDS = Histogram(
    "live_webhook_seconds",
    "One webhook delivery attempt, request to response (or failure)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

# Redis (the log's backend when several nodes share rooms).
REDIS_APPEND_SECONDS = Histogram(
    "live_redis_append_seconds",
    "Round trip of one append call (the Lua script: seqs, stream, publish), which may carry several entries",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
REDIS_APPEND_ENTRIES = Histogram(
    "live_redis_append_entries",
    "Entries per append call: a room's commands that queued while its last call was out go in the next one",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
REDIS_RECONNECTS = Counter("live_redis_reconnects_total", "Times the subscription connection to Redis was re-established")
REDIS_SUBSCRIPTION_ERRORS = Counter("live_redis_subscription_errors_total", "Reads of the subscription that failed (each is retried with backoff)")

# Abuse limits, by kind: "connection" (a connection's own command bucket), "user" and
# "address" (commands across a user's or an address's connections), "user_connections"
# (too many open at once), "address_connections" (opens per minute), "rooms" (creations
# per hour), "community" (follows and helpful marks per minute), "max_errors" (a
# connection closed after too many invalid frames).
RATE_LIMITED = Counter("live_rate_limited_total", "Refusals by the abuse limits", ["kind"])
for _kind in ("connection", "user", "address", "user_connections", "address_connections", "rooms", "community", "max_errors"):
    RATE_LIMITED.labels(_kind)

NODE = Info("live_node", "This process: its node id (as in its log lines) and version")
