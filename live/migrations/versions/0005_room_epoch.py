"""the log epoch a room's rows were written in, so an old epoch never writes over a new one

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("rooms", sa.Column("epoch", sa.String(32)))


def downgrade() -> None:
    op.drop_column("rooms", "epoch")
