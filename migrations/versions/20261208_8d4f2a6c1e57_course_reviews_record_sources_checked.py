"""Course reviews record the sources checked, one per line with its JDIH link.

Revision ID: 8d4f2a6c1e57
Revises: 3b7e1c9a4d21
Create Date: 2026-12-08 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d4f2a6c1e57'
down_revision = '3b7e1c9a4d21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sources', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('course_reviews', schema=None) as batch_op:
        batch_op.drop_column('sources')
