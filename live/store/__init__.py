"""SQL storage (SQLAlchemy 2 async): one ``Store`` over one engine, one module per concern.

    tables    the schema (``metadata``, every table) and the Alembic migration entry point
    base      the engine, dialect helpers (INSERT … ON CONFLICT, greatest), read helpers
    log       ``Batch`` and ``write_batch``; rooms registry, entries and transcript reads
    catalog   brands' products
    orders    reservations' rows and status changes
    reviews   reviews of a brand's products (one per paid order), helpful marks, summaries
    follows   viewers following brands and hosts
    webhooks  the outbox of messages to the merchant's checkout, and their delivery record
    points    members' points per room, brand badges and leaderboards
    stats     edge samples, unique viewers, a brand's rooms
    privacy   erasure of a user, retention purge, ``scrub``
    community a brand's rules and acceptances, brand moderators, brand-level moderation actions
    automod   brands' automatic-moderation policies, when an author was first seen

SQLite by default, PostgreSQL by URL; the same tables, created by Alembic migrations
(``live/migrations``). Every write the persister makes is idempotent, so a batch
written twice (a retry, or a second persister after a takeover) changes nothing.
"""

from live.store.automod import AutomodStore
from live.store.catalog import CatalogStore
from live.store.community import CommunityStore
from live.store.follows import FollowStore
from live.store.log import Batch, LogStore
from live.store.orders import OrderStore
from live.store.points import PointsStore
from live.store.privacy import PrivacyStore, scrub
from live.store.reviews import ReviewStore
from live.store.stats import StatsStore
from live.store.tables import metadata
from live.store.webhooks import WebhookStore

__all__ = ["Batch", "Store", "metadata", "scrub"]


class Store(LogStore, CatalogStore, OrderStore, ReviewStore, FollowStore, WebhookStore, PointsStore, StatsStore, PrivacyStore, CommunityStore, AutomodStore):
    """The one store a node opens: every concern's methods over one shared engine."""
