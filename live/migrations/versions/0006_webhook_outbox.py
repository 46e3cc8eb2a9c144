"""webhook outbox: one row per message to the merchant (order transitions, offer ends);
the orders' own webhook columns go (the outbox keeps every message's delivery record)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "webhook_outbox",
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
    with op.batch_alter_table("orders") as orders:
        for column in ("webhook_attempts", "webhook_delivered_at", "webhook_next_at"):
            orders.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("webhook_attempts", sa.Integer, nullable=False, server_default="0"))
        orders.add_column(sa.Column("webhook_delivered_at", sa.BigInteger))
        orders.add_column(sa.Column("webhook_next_at", sa.BigInteger, nullable=False, server_default="0"))
    op.drop_table("webhook_outbox")
