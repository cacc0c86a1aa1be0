"""Extra quiz attempts granted to learners who ran out, and the per-program limit on them.

Revision ID: 3f6a2c9e1b74
Revises: a4d1c7e90b3f
Create Date: 2026-12-08 01:30:00

"""
from alembic import op
import sqlalchemy as sa

from netral_learn.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '3f6a2c9e1b74'
down_revision = 'a4d1c7e90b3f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_extra_attempts', sa.Integer(), server_default='3', nullable=False))
        batch_op.create_check_constraint(op.f('ck_quiz_settings_max_extra_attempts_nonnegative'), 'max_extra_attempts >= 0')

    op.create_table(
        'attempt_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('extra', sa.Integer(), nullable=False),
        sa.Column('total_extra', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('extra BETWEEN 1 AND 50', name=op.f('ck_attempt_grants_extra_range')),
        sa.CheckConstraint('total_extra >= extra', name=op.f('ck_attempt_grants_total_covers_extra')),
        sa.CheckConstraint('length(reason) >= 5', name=op.f('ck_attempt_grants_reason_given')),
        sa.ForeignKeyConstraint(['granted_by_id'], ['people.id'], name=op.f('fk_attempt_grants_granted_by_id_people')),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_attempt_grants_person_id_people')),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_attempt_grants_program_id_programs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_grants')),
        sa.UniqueConstraint('program_id', 'person_id', 'total_extra', name='uq_attempt_grants_program_person_total'),
    )
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_grants_person_id'), ['person_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_grants_person_id'))
    op.drop_table('attempt_grants')
    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_quiz_settings_max_extra_attempts_nonnegative'), type_='check')
        batch_op.drop_column('max_extra_attempts')
