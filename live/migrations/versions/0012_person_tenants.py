"""person tenants: a brandless host's catalog and reviews are keyed "@" + their user id

Before, a brandless host's catalog was keyed by their bare user id, the same namespace as
brand ids: a host "acme" and the brand "acme" shared one catalog, its reviews and its
orders' owner. Catalogs and reviews whose owner is the host of a brandless room and no
room's brand move to the person's key; an owner that is both stays the brand's.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"

_PERSONS = "SELECT host_id FROM rooms WHERE brand_id IS NULL EXCEPT SELECT brand_id FROM rooms WHERE brand_id IS NOT NULL"


def upgrade() -> None:
    for table in ("products", "reviews"):
        with op.batch_alter_table(table) as t:
            t.alter_column("owner", type_=sa.String(129), existing_type=sa.String(128), existing_nullable=False)
        op.execute(f"UPDATE {table} SET owner = '@' || owner WHERE owner IN ({_PERSONS})")


def downgrade() -> None:
    for table in ("products", "reviews"):
        op.execute(f"UPDATE {table} SET owner = substr(owner, 2) WHERE owner LIKE '@%'")
        with op.batch_alter_table(table) as t:
            t.alter_column("owner", type_=sa.String(128), existing_type=sa.String(129), existing_nullable=False)
