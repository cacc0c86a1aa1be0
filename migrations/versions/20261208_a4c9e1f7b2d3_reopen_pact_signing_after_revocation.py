"""Reopen pact signing after a revocation: a revoked signature can be set aside (reopened_at) so the
person signs again; one open signature and one valid certificate per person and program (partial
unique indexes instead of the unique constraints over every row).

Revision ID: a4c9e1f7b2d3
Revises: 5e9b0aa6a15e
Create Date: 2026-12-08 02:15:00

On SQLite the batch rebuild of pact_signatures drops the old table, which deletes the rows of
witness_signatures through their ON DELETE CASCADE foreign key: they are copied aside first and put
back afterwards (same ids), all in the migration's transaction.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c9e1f7b2d3'
down_revision = '5e9b0aa6a15e'
branch_labels = None
depends_on = None

OPEN = sa.text('reopened_at IS NULL')
VALID = sa.text('revoked_at IS NULL')


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _keep_witness_signatures():
    if _sqlite():
        op.execute('CREATE TEMPORARY TABLE _keep_witness_signatures AS SELECT * FROM witness_signatures')


def _restore_witness_signatures():
    if _sqlite():
        op.execute('DELETE FROM witness_signatures')
        op.execute('INSERT INTO witness_signatures SELECT * FROM _keep_witness_signatures')
        op.execute('DROP TABLE _keep_witness_signatures')


def upgrade():
    _keep_witness_signatures()
    with op.batch_alter_table('pact_signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_pact_signatures_program_person', type_='unique')
        batch_op.create_index('uq_pact_signatures_open', ['program_id', 'person_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
    _restore_witness_signatures()
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_certificates_program_person', type_='unique')
        batch_op.create_index('uq_certificates_valid', ['program_id', 'person_id'], unique=True,
                              sqlite_where=VALID, postgresql_where=VALID)


def downgrade():
    # Fails (and changes nothing) once someone has signed again after a reopening: two rows per person.
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_valid', sqlite_where=VALID, postgresql_where=VALID)
        batch_op.create_unique_constraint('uq_certificates_program_person', ['program_id', 'person_id'])
    _keep_witness_signatures()
    with op.batch_alter_table('pact_signatures', schema=None) as batch_op:
        batch_op.drop_index('uq_pact_signatures_open', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_unique_constraint('uq_pact_signatures_program_person', ['program_id', 'person_id'])
        batch_op.drop_column('reopened_at')
    _restore_witness_signatures()
