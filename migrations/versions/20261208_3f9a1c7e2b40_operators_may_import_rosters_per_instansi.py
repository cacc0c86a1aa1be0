"""Operators may import rosters for their own subtree when their instansi allows it.

Adds ``units.operators_import_roster`` (meaningful on roots only, false by default). The column is
added and dropped in place (SQLite ≥ 3.35 drops a column natively), so the ``units`` table is never
rebuilt and nothing referring to it is touched.

Revision ID: 3f9a1c7e2b40
Revises: 5c0d4e7a9b21
Create Date: 2026-12-08 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f9a1c7e2b40'
down_revision = '5c0d4e7a9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('units', sa.Column('operators_import_roster', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))


def downgrade():
    op.drop_column('units', 'operators_import_roster')
