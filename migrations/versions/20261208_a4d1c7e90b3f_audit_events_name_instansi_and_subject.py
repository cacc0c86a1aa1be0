"""Audit entries name their instansi and the person they concern (for a scoped, filtered log page).

Both columns are hashed into the chain only when set, so existing entries keep their hashes and
stay unscoped (superadmins see them). Indexes serve the audit-log page's filters.

Revision ID: a4d1c7e90b3f
Revises: 8d4f2a6c1e57
Create Date: 2026-12-08 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4d1c7e90b3f'
down_revision = '8d4f2a6c1e57'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instansi_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_instansi_id_units'), 'units', ['instansi_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_subject_id_people'), 'people', ['subject_id'], ['id'])
        batch_op.create_index('ix_audit_events_instansi_seq', ['instansi_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_subject_id'))
        batch_op.drop_index('ix_audit_events_instansi_seq')
        batch_op.drop_constraint(batch_op.f('fk_audit_events_subject_id_people'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_audit_events_instansi_id_units'), type_='foreignkey')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('instansi_id')
