"""Reminders sent by WhatsApp or e-mail: who sent which to whom, when; one per page key and person.

Revision ID: 7d2e4b1a9c05
Revises: 3f6a2c9e1b74
Create Date: 2026-12-08 01:45:00

"""
from alembic import op
import sqlalchemy as sa

from netral_learn.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '7d2e4b1a9c05'
down_revision = '3f6a2c9e1b74'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sent_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.Enum('whatsapp', 'email', name='reminder_channel', native_enum=False,
                                     create_constraint=True, length=20), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_sent_reminders_person_id_people')),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_sent_reminders_program_id_programs'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sent_by_id'], ['people.id'], name=op.f('fk_sent_reminders_sent_by_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminders')),
        sa.UniqueConstraint('idempotency_key', 'person_id', name='uq_sent_reminders_key_person'),
    )
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.create_index('ix_sent_reminders_program_person_sent', ['program_id', 'person_id', 'sent_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_sent_reminders_program_person_sent')
    op.drop_table('sent_reminders')
