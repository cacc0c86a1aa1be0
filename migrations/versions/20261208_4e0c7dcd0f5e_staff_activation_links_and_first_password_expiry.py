"""Staff activate through one-time links; first passwords expire.

Adds ``people.initial_password_at`` (when the current first password was generated; it expires
``FIRST_PASSWORD_DAYS`` later) and the ``activation_links`` table (SHA-256 of a one-time token per
person, with expiry and use time). Staff accounts (operator and above) never keep a printable first
password: any such password still stored is removed here, so those accounts must be activated
through a link or a password set in person by an admin.

The column is added and dropped with plain ALTER TABLE (no batch rebuild): rebuilding ``people`` on
SQLite would drop the enrollment triggers of revision bf860482c9c6.

Revision ID: 4e0c7dcd0f5e
Revises: 3f9a1c7e2b40
Create Date: 2026-12-08 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "4e0c7dcd0f5e"
down_revision = "3f9a1c7e2b40"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("people", sa.Column("initial_password_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "activation_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["people.id"],
                                name=op.f("fk_activation_links_created_by_id_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_activation_links_person_id_people"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_links")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_activation_links_token_sha256")),
    )
    op.create_index(op.f("ix_activation_links_person_id"), "activation_links", ["person_id"], unique=False)
    # No printable first password for staff, ever (issue 17: an operator printed an admin's).
    op.execute("UPDATE people SET initial_password_enc = NULL "
               "WHERE role IN ('operator', 'admin', 'superadmin') AND initial_password_enc IS NOT NULL")


def downgrade():
    op.drop_index(op.f("ix_activation_links_person_id"), table_name="activation_links")
    op.drop_table("activation_links")
    op.execute("ALTER TABLE people DROP COLUMN initial_password_at")
