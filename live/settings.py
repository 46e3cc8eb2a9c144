"""One settings object: defaults here, ``LIVE_*`` environment, then command-line flags."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "live-development-secret-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVE_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8000
    log: str = Field(default="memory", pattern="^(memory|redis)$")
    redis_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///./live.db"
    token_secret: str = DEV_SECRET  # HS256 tokens; empty: only JWKS-signed tokens are accepted
    jwks: str | None = None  # RS256/ES256/EdDSA tokens: a JWKS file path or https:// URL
    max_token_lifetime_seconds: int = 86_400  # a token's exp - iat may not exceed this
    # Browser Origins allowed to open WebSockets; empty = same origin only. "*" allows any.
    allowed_origins: list[str] = Field(default_factory=list)
    # Limits
    max_frame_bytes: int = 8192  # a bigger client frame gets a too_large error reply
    outbound_buffer_bytes: int = 1 << 20  # a connection whose unsent bytes pass this is a slow consumer
    recent_events: int = 5000  # per room, for resume without a snapshot
    commands_per_second: float = 10.0  # per connection, token bucket
    command_burst: int = 20
    max_errors: int = 50  # invalid frames per connection before it is closed
    hello_timeout_seconds: float = 10.0
    # Timing
    # Events closer than the batch window share one frame. The window grows with the
    # room (viewers / batch_viewers_per_ms), because each frame costs one socket write
    # per viewer: a big room trades a little latency for far fewer writes.
    batch_window_ms: int = 20
    max_batch_window_ms: int = 75
    batch_viewers_per_ms: int = 25
    presence_interval_ms: int = 250  # viewer count and reaction bursts
    sample_seconds: float = 5.0  # viewer and reaction samples kept for session analytics
    persist_interval_ms: int = 500
    persist_batch: int = 1000
    shutdown_grace_seconds: float = 5.0
    ws_ping_seconds: float = 20.0  # WebSocket-level keepalive ping interval (and pong timeout)
    # Brand server-to-server access: API key -> brand id (JSON in LIVE_BRAND_API_KEYS).
    brand_api_keys: dict[str, str] = Field(default_factory=dict)
    # Days a brand's ended sessions keep their log, transcript and stats (JSON, brand -> days);
    # orders are the ledger and stay. Applied hourly by every node, or now by `live purge`.
    retention_days: dict[str, int] = Field(default_factory=dict)
    # Checkout handoff: each reservation is POSTed here, signed with webhook_secret.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    public_url: str | None = None  # base URL of this cluster, for confirm/cancel links (default http://host:port)

    @property
    def uses_dev_secret(self) -> bool:
        return self.token_secret == DEV_SECRET
