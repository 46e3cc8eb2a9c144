"""rooms registry, persisted log entries and public events

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "rooms",
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
    )
    op.create_table(
        "entries",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("idx", sa.SmallInteger, primary_key=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("entries")
    op.drop_table("rooms")
