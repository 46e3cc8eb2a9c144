"""viewer samples and unique viewers per room, for session analytics

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "room_samples",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True),
        sa.Column("viewers", sa.Integer, nullable=False),
        sa.Column("reactions", sa.Integer, nullable=False),
    )
    op.create_table(
        "room_viewers",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("first_seen", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("room_viewers")
    op.drop_table("room_samples")
