"""Personal data: each instansi's privacy notice details; when a person was deactivated (the
retention clock) and when their personal data was purged; the NIP unique among people not purged.

Revision ID: 5c0d4e7a9b21
Revises: 8d2e6b5a7c13
Create Date: 2026-12-08 02:00:00

"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c0d4e7a9b21'
down_revision = '8d2e6b5a7c13'
branch_labels = None
depends_on = None


def _cell_triggers():
    """The migration whose SQLite triggers keep each enrollment's report cell: rebuilding ``people``
    in batch mode (to change its NIP constraint) must drop them first and create them again."""
    path = Path(__file__).with_name("20261207_bf860482c9c6_enrollments_carry_a_copy_of_their_.py")
    spec = importlib.util.spec_from_file_location("migration_bf860482c9c6", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rebuilding_people(change):
    """Run ``change`` (a batch on ``people``) with the SQLite cell triggers dropped around it."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _cell_triggers() if sqlite else None
    if sqlite:
        for statement in triggers.SQLITE_DOWN:
            op.execute(statement)
    change()
    if sqlite:
        for statement in triggers.SQLITE_UP:
            op.execute(statement)


def upgrade():
    op.create_table(
        'privacy_notices',
        sa.Column('instansi_id', sa.Integer(), nullable=False),
        sa.Column('controller', sa.String(length=200), nullable=False),
        sa.Column('contact_name', sa.String(length=200), nullable=False),
        sa.Column('contact_email', sa.String(length=254), nullable=True),
        sa.Column('contact_phone', sa.String(length=32), nullable=True),
        sa.Column('address', sa.Text(), nullable=True),
        sa.Column('retention_years', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instansi_id'], ['units.id'], name=op.f('fk_privacy_notices_instansi_id_units'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instansi_id', name=op.f('pk_privacy_notices')),
    )
    def change():
        with op.batch_alter_table('people', schema=None) as batch_op:
            batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.drop_constraint('uq_people_nip', type_='unique')
            batch_op.create_index('uq_people_nip', ['nip'], unique=True, sqlite_where=sa.text('purged_at IS NULL'),
                                  postgresql_where=sa.text('purged_at IS NULL'))

    _rebuilding_people(change)
    # People already inactive: their last change is the best known moment they left.
    op.execute("UPDATE people SET deactivated_at = updated_at WHERE NOT active")


def downgrade():
    def change():
        with op.batch_alter_table('people', schema=None) as batch_op:
            batch_op.drop_index('uq_people_nip')
            batch_op.create_unique_constraint('uq_people_nip', ['nip'])
            batch_op.drop_column('purged_at')
            batch_op.drop_column('deactivated_at')

    _rebuilding_people(change)
    op.drop_table('privacy_notices')
