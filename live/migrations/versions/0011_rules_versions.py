"""rules versions: an acceptance is of one text of the rules (new words are accepted anew)

Acceptances from before have no version: their viewers accept the rules once more.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    with op.batch_alter_table("rules_acceptances") as acceptances:
        acceptances.add_column(sa.Column("rules_version", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("rules_acceptances") as acceptances:
        acceptances.drop_column("rules_version")
