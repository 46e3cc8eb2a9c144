"""The schema: every table the store reads and writes, and the migration entry point.

Only table definitions belong here (and the one function that applies the Alembic
migrations in ``live/migrations``, whose ``env.py`` imports ``metadata``). A new
column is a new migration plus its line here; queries live in the concern modules.
"""

import sqlalchemy as sa

from live import tenants

# The newest migration's revision. A schema already there needs no Alembic at all: a node
# starts ~0.25 s sooner (Alembic's import) and a readiness probe reads one row instead of
# every migration file. tests/test_store.py checks this is Alembic's own head.
SCHEMA_HEAD = "0012"

metadata = sa.MetaData()

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("host_id", sa.String(128), nullable=False),
    sa.Column("brand_id", sa.String(128), index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("starts_at", sa.BigInteger),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("went_live_at", sa.BigInteger),
    sa.Column("ended_at", sa.BigInteger),
    sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("persisted_seq", sa.BigInteger, nullable=False, server_default="0"),
    # The room log's epoch these rows come from; writes from any other epoch are refused.
    sa.Column("epoch", sa.String(32)),
    sa.Column("rehearsal_of", sa.String(64)),  # a rehearsal: left out of the brand's sessions
)

# The log itself, entry by entry: enough to re-fold a room from scratch.
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
)

# Public events, as viewers saw them: the transcript.
events = sa.Table(
    "events",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("idx", sa.SmallInteger, primary_key=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
)


# A room's tenant in SQL, as ``live.tenants.of_room`` says it: its brand, else "@" + its host.
room_tenant = sa.func.coalesce(rooms.c.brand_id, sa.literal(tenants.PERSON) + rooms.c.host_id)

products = sa.Table(
    "products",
    metadata,
    sa.Column("owner", sa.String(129), primary_key=True),  # the tenant whose catalog it is: a brand, or "@" + a brandless host
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("image_url", sa.String(500)),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("stock", sa.Integer, nullable=False, server_default="0"),
)

# One row per reservation, updated as it becomes paid, cancelled or expired.
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("reservation_id", sa.BigInteger, primary_key=True),
    sa.Column("offer_id", sa.BigInteger, nullable=False),
    sa.Column("product_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("units", sa.Integer, nullable=False),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("affiliate_id", sa.String(128)),
    sa.Column("idempotency_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reserved_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("updated_seq", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("checkout_url", sa.String(2000)),  # where the buyer pays (template or the merchant's answer)
)

# Reviews of a brand's products, one per paid order; they outlive the room they came from.
# ``status``: published, held (automatic moderation wants a person to look), hidden.
reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(129), nullable=False),  # the catalog's owner (live.tenants)
    sa.Column("product_id", sa.String(64), nullable=False),
    sa.Column("room_id", sa.String(64), nullable=False),
    sa.Column("reservation_id", sa.BigInteger, nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("stars", sa.SmallInteger, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("photo_url", sa.String(500)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("helpful", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("room_id", "reservation_id", name="uq_reviews_order"),
    sa.Index("ix_reviews_product", "owner", "product_id", "status"),
)

# Who found a review helpful: once each.
review_helpful = sa.Table(
    "review_helpful",
    metadata,
    sa.Column("review_id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

# Viewers following a brand or a host (``kind``), for reminders and go-live notices.
follows = sa.Table(
    "follows",
    metadata,
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("target", sa.String(128), primary_key=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Index("ix_follows_target", "kind", "target"),
)


# A member's points and badges in one room: written as totals (idempotent), summed per brand.
room_members = sa.Table(
    "room_members",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("badges", sa.JSON, nullable=False),
)

# Edge signals for analytics, sampled by the room's lease holder (viewers, reactions).
room_samples = sa.Table(
    "room_samples",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("ts", sa.BigInteger, primary_key=True),
    sa.Column("viewers", sa.Integer, nullable=False),
    sa.Column("reactions", sa.Integer, nullable=False),
)

# Every signed-in user who joined a room, once.
room_viewers = sa.Table(
    "room_viewers",
    metadata,
    sa.Column("room_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("first_seen", sa.BigInteger, nullable=False),
)

# Messages to the merchant's checkout, written with the entries that cause them and sent
# by the room's lease holder until delivered (at least once; ``id`` is the webhook-id).
webhook_outbox = sa.Table(
    "webhook_outbox",
    metadata,
    sa.Column("id", sa.String(160), primary_key=True),
    sa.Column("room_id", sa.String(64), nullable=False, index=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_at", sa.BigInteger, nullable=False, server_default="0", index=True),
    sa.Column("delivered_at", sa.BigInteger),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.String(200)),
)

# Each brand's automatic-moderation policy (live.automod.policy.Policy as JSON); none: the defaults.
automod_policies = sa.Table(
    "automod_policies",
    metadata,
    sa.Column("brand_id", sa.String(128), primary_key=True),
    sa.Column("policy", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)


# A brand's community rules, and who accepted them (once per brand).
brand_rules = sa.Table(
    "brand_rules",
    metadata,
    sa.Column("brand_id", sa.String(128), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("require_acceptance", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("updated_by", sa.String(128), nullable=False),
)
rules_acceptances = sa.Table(
    "rules_acceptances",
    metadata,
    sa.Column("brand_id", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("accepted_at", sa.BigInteger, nullable=False),
    sa.Column("rules_version", sa.String(16)),  # which words they accepted (live.enrich.rules_version)
)
# Moderators a brand appointed for all its rooms, and the brand-level moderation actions
# (appointments, dismissals, rules changes) its moderation log shows beside the rooms'.
brand_moderators = sa.Table(
    "brand_moderators",
    metadata,
    sa.Column("brand_id", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("appointed_by", sa.String(128), nullable=False),
    sa.Column("appointed_at", sa.BigInteger, nullable=False),
)
brand_actions = sa.Table(
    "brand_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("brand_id", sa.String(128), nullable=False, index=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(128)),
    sa.Column("by", sa.String(128), nullable=False),
    sa.Column("by_role", sa.String(16), nullable=False),
)


def migrate_connection(connection: sa.Connection) -> None:
    """Bring the schema to the newest Alembic revision, on an open (sync) connection."""
    if connection.dialect.name == "postgresql":
        # Nodes starting together must not run the same migration twice.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(7253001)"))
    if is_current(connection):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "live:migrations")
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def is_current(connection: sa.Connection) -> bool:
    """Whether the schema is at the newest revision (readiness), as Alembic recorded it."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return False
    return [row[0] for row in connection.execute(sa.text("SELECT version_num FROM alembic_version"))] == [SCHEMA_HEAD]
