"""community: brand rules and who accepted them, brand moderators, brand-level moderation actions

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "brand_rules",
        sa.Column("brand_id", sa.String(128), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("require_acceptance", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "rules_acceptances",
        sa.Column("brand_id", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("accepted_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "brand_moderators",
        sa.Column("brand_id", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("appointed_by", sa.String(128), nullable=False),
        sa.Column("appointed_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "brand_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("brand_id", sa.String(128), nullable=False, index=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128)),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("by_role", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    for table in ("brand_actions", "brand_moderators", "rules_acceptances", "brand_rules"):
        op.drop_table(table)
