"""Quiz settings: show the review after the last failed attempt (admin's choice, off by default).

Revision ID: 3f7a1c9e2b40
Revises: bf860482c9c6
Create Date: 2026-12-08 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f7a1c9e2b40'
down_revision = 'bf860482c9c6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_after_last_attempt', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.drop_column('review_after_last_attempt')
