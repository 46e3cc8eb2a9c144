"""One settings object: defaults here, ``LIVE_*`` environment, then command-line flags."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "live-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVE_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8000
    log: str = Field(default="memory", pattern="^(memory|redis)$")
    redis_url: str | None = None
    # Redis Cluster: redis_url then lists seed nodes, "redis://a:7000,b:7000,c:7000"
    # (docs/configuration.md). Rooms spread over the shards by their hash tag.
    redis_cluster: bool = False
    database_url: str = "sqlite+aiosqlite:///./live.db"
    # Development mode (./dev serve): the published development secret stands in for a
    # missing token secret. Without it the server refuses to start unsafely configured.
    dev: bool = False
    # The demo (``live demo``): a seeded brand, catalog and live room with a simulated audience.
    demo: bool = False
    # Logs: the level of the server's own loggers (libraries log at info and above), and
    # the line format: "json" (one object a line) or "text"; unset, text in development
    # mode and JSON otherwise (docs/operations.md, "Logs").
    log_level: str = Field(default="info", pattern="(?i)^(debug|info|warning|error)$")
    log_format: str | None = Field(default=None, pattern="^(json|text)$")
    token_secret: str = ""  # HS256 tokens, shared with the platform; empty: only JWKS-signed tokens
    jwks: str | None = None  # RS256/ES256/EdDSA tokens: a JWKS file path or https:// URL
    max_token_lifetime_seconds: int = 86_400  # a token's exp - iat may not exceed this
    pseudonym_secret: str = ""  # keys the per-brand pseudonyms in exports (default: the token secret)
    # Browser Origins allowed to open WebSockets besides the page's own; "*" allows any.
    allowed_origins: list[str] = Field(default_factory=list)
    # Host names this server answers to (HTTP and WebSocket); "*" any. Same-origin
    # WebSockets are judged only for these, so a rebound DNS name cannot pass as us.
    trusted_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost", "::1"])
    # Proxies (IPs or CIDR networks) whose X-Forwarded-For / X-Forwarded-Proto are believed:
    # the client address (rate limits) and scheme then come from them. Empty: headers ignored.
    forwarded_allow_ips: list[str] = Field(default_factory=list)
    # Pages may be embedded (iframes) by these origins (CSP frame-ancestors); empty: none.
    frame_ancestors: list[str] = Field(default_factory=list)
    # Per brand (tenant): the sites that may frame its embed page, e.g. '{"acme": ["https://shop.acme.example"]}'
    embed_ancestors: dict[str, list[str]] = Field(default_factory=dict)
    media_origins: list[str] = Field(default_factory=list)  # besides https: and this server, where the pages may show images and play video from (CSP img-src, media-src)
    max_body_bytes: int = 1 << 20  # HTTP request bodies; bigger ones get 413 before they are read
    max_import_bytes: int = 16 << 20  # catalog imports (PUT /v1/catalog/...)
    # Limits
    max_frame_bytes: int = 8192  # a bigger client frame gets a too_large error reply
    # A connection's unsent bytes (in our transport) past this: a slow consumer, cut (4008).
    # Past a quarter its chat is thinned; thinned with no progress for stall_seconds, it is
    # cut too. 256 KiB is ~4 s of a 100 msg/s room of 600-byte chat.
    outbound_buffer_bytes: int = 256 << 10
    # SO_SNDBUF per room socket (Linux doubles it): the kernel's share of an unread stream,
    # kept small so a reader who stops shows up in the backlog above. 0: kernel autotuning.
    socket_send_buffer_bytes: int = 32 << 10
    stall_seconds: float = 3.0
    recent_events: int = 5000  # per room, for resume without a snapshot
    commands_per_second: float = 10.0  # per connection, token bucket
    command_burst: int = 20
    user_commands_per_second: float | None = None  # per user across connections and nodes (default: as per connection)
    user_command_burst: int | None = None
    address_commands_per_second: float = 200.0  # per client address (many shoppers share one mobile NAT)
    address_command_burst: int = 2000
    # Addresses no address limit applies to: a proxy on the same host (until forwarded
    # addresses are trusted, everyone behind it has its address), tests, load generators.
    # Behind a proxy, set forwarded_allow_ips so the limits see the clients' addresses.
    unlimited_addresses: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    max_connections_per_user: int = 8  # open at once, per node
    connections_per_address_per_minute: int = 600
    rooms_per_host_per_hour: int = 30
    # Follows, unfollows and helpful marks a user may make a minute on a node (a burst of as many).
    community_writes_per_minute: int = Field(default=60, ge=1)
    max_errors: int = 50  # invalid frames per connection before it is closed
    hello_timeout_seconds: float = 10.0
    # Timing
    # Events closer than the batch window share one frame. The window grows with the
    # room (its viewers on all nodes / batch_viewers_per_ms), because each frame costs one socket write
    # per viewer: a big room trades a little latency for far fewer writes.
    batch_window_ms: int = 20
    max_batch_window_ms: int = 75
    batch_viewers_per_ms: int = 25
    # A frame of running totals alone (stock left, tallies) is ≥ 250 ms after the last;
    # in a big room further, so such frames cost the node at most this many writes a second.
    totals_writes_per_second: int = Field(default=20_000, ge=1)
    presence_interval_ms: int = 250  # viewer count and reaction bursts
    room_idle_seconds: float = 30.0  # a node lets a room go this long after its last local viewer left
    sample_seconds: float = 5.0  # viewer and reaction samples kept for session analytics
    persist_interval_ms: int = 500
    persist_batch: int = 1000
    shutdown_grace_seconds: float = 5.0
    ws_ping_seconds: float = 20.0  # WebSocket-level keepalive ping interval (and pong timeout)
    # Brand server-to-server access: API key -> brand id (JSON in LIVE_BRAND_API_KEYS).
    brand_api_keys: dict[str, str] = Field(default_factory=dict)
    # The platform's back office (JSON list in LIVE_ADMIN_API_KEYS): any person's data, export
    # and erasure (docs/privacy.md); nothing else.
    admin_api_keys: list[str] = Field(default_factory=list)
    # Days a brand's ended sessions keep their log, transcript and stats (JSON, brand -> days);
    # orders are the ledger and stay. Applied hourly by every node, or now by `live purge`.
    retention_days: dict[str, int] = Field(default_factory=dict)
    # Checkout handoff: each reservation is POSTed here, signed with webhook_secret.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    public_url: str | None = None  # base URL of this cluster, for confirm/cancel links (default http://host:port)
    # Where a buyer pays, per tenant (brand, or a brandless host; "*" for any other):
    # a URL template naming {order_id}, {room_id}, {reservation_id}, {product_id}, {units}.
    # The merchant's answer to the order.reserved webhook ({"checkout_url": ...}) overrides it.
    checkout_url_templates: dict[str, str] = Field(default_factory=dict)
    # Scheduled shows: a room.reminder webhook goes out this long before each room's starts_at.
    reminder_lead_seconds: list[int] = Field(default_factory=lambda: [900])

    @property
    def hs_secret(self) -> str | None:
        """The HS256 token secret in force: the configured one, or in development mode the published one."""
        return self.token_secret or (DEV_SECRET if self.dev else None)

    def checkout_url_template(self, tenant: str | None) -> str | None:
        """The checkout URL template for a room of this tenant, if any."""
        return self.checkout_url_templates.get(tenant or "") or self.checkout_url_templates.get("*")

    @property
    def log_json(self) -> bool:
        return (self.log_format or ("text" if self.dev else "json")) == "json"

    @property
    def pseudonym_key(self) -> str:
        return self.pseudonym_secret or self.hs_secret or ""

    @property
    def uses_dev_secret(self) -> bool:
        return self.hs_secret == DEV_SECRET

    def refusals(self) -> list[str]:
        """Why this configuration must not serve outside development mode (empty: it may)."""
        if self.dev:
            return []
        out = []
        if self.token_secret == DEV_SECRET:
            out.append("the published development secret is refused outside development mode")
        elif self.token_secret and len(self.token_secret) < MIN_SECRET_LENGTH:
            out.append(f"LIVE_TOKEN_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if not self.token_secret and not self.jwks:
            out.append("set LIVE_TOKEN_SECRET or LIVE_JWKS (or run in development mode: --dev / LIVE_DEV=1)")
        if not self.pseudonym_key or self.pseudonym_key == DEV_SECRET:
            out.append("set LIVE_PSEUDONYM_SECRET (exports need a stable secret key for pseudonyms)")
        return out
