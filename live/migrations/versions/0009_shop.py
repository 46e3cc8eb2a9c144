"""shop: the checkout link on orders; reviews of a brand's products (one per paid order)
and who found each helpful; viewers following brands and hosts

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("checkout_url", sa.String(2000)))
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(128), nullable=False),
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
    )
    op.create_index("ix_reviews_product", "reviews", ["owner", "product_id", "status"])
    op.create_table(
        "review_helpful",
        sa.Column("review_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "follows",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("target", sa.String(128), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_follows_target", "follows", ["kind", "target"])


def downgrade() -> None:
    op.drop_table("follows")
    op.drop_table("review_helpful")
    op.drop_index("ix_reviews_product", "reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("orders") as orders:
        orders.drop_column("checkout_url")
