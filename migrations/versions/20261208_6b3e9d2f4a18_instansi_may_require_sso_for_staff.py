"""An instansi may require its staff (operators, admins) to log in through the SSO.

Adds ``units.sso_required_for_staff`` (meaningful on roots only, false by default). Added and
dropped in place, like ``operators_import_roster``: the ``units`` table is never rebuilt.

Revision ID: 6b3e9d2f4a18
Revises: a4c9e1f7b2d3
Create Date: 2026-12-08 02:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '6b3e9d2f4a18'
down_revision = 'a4c9e1f7b2d3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('units', sa.Column('sso_required_for_staff', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))


def downgrade():
    op.drop_column('units', 'sso_required_for_staff')
