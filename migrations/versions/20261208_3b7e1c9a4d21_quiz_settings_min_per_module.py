"""Quiz settings get a per-module minimum (min_per_tag, default 1): no attempt skips a module.

Revision ID: 3b7e1c9a4d21
Revises: 4e0c7dcd0f5e
Create Date: 2026-12-08 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e1c9a4d21'
down_revision = '4e0c7dcd0f5e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_per_tag', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_quiz_settings_min_per_tag_not_negative'), 'min_per_tag >= 0')


def downgrade():
    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_quiz_settings_min_per_tag_not_negative'), type_='check')
        batch_op.drop_column('min_per_tag')
