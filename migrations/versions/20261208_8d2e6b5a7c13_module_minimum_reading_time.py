"""Modules: a minimum reading time (seconds, 0 = off) before a module may be marked read.

Revision ID: 8d2e6b5a7c13
Revises: 3f7a1c9e2b40
Create Date: 2026-12-08 01:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d2e6b5a7c13'
down_revision = '3f7a1c9e2b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_reading_seconds', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(op.f('ck_modules_min_reading_seconds_not_negative'),
                                         'min_reading_seconds >= 0')


def downgrade():
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_modules_min_reading_seconds_not_negative'), type_='check')
        batch_op.drop_column('min_reading_seconds')
