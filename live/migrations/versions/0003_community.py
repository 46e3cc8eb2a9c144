"""points and badges per room member, for room and brand leaderboards

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "room_members",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("badges", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("room_members")
