"""Enrollments carry a copy of their person's report cell (unit, jenis, golongan, counted), kept by triggers.

The funnel recount then groups a program's enrollments alone instead of joining them to every
person. The copies are written only by the triggers below: on each new enrollment, and on each
change of a person's unit, jenis, golongan, active flag or role. On SQLite, a later migration that
rebuilds ``enrollments`` or ``people`` in batch mode drops their triggers and must recreate them.

Revision ID: bf860482c9c6
Revises: 5a1e0c1a0001
Create Date: 2026-12-07 13:43:28.814255

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bf860482c9c6'
down_revision = '5a1e0c1a0001'
branch_labels = None
depends_on = None

#: Whether a person counts in reports; the same rule as reports.funnel.counted_people (less jenis,
#: which each program filters by itself).
_COUNTED = "({p}.active AND {p}.role <> 'witness')"
_PERSON_CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}"
                              for column in ("unit_id", "jenis", "golongan", "active", "role"))

POSTGRESQL_UP = [
    f"""
    CREATE FUNCTION enrollments_copy_person() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT p.unit_id, p.jenis, p.golongan, {_COUNTED.format(p='p')}
          INTO NEW.person_unit_id, NEW.person_jenis, NEW.person_golongan, NEW.person_counted
          FROM people p WHERE p.id = NEW.person_id;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER enrollments_copy_person BEFORE INSERT OR UPDATE OF person_id ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollments_copy_person()
    """,
    f"""
    CREATE FUNCTION people_copy_to_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE enrollments
           SET person_unit_id = NEW.unit_id, person_jenis = NEW.jenis, person_golongan = NEW.golongan,
               person_counted = {_COUNTED.format(p='NEW')}
         WHERE person_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE TRIGGER people_copy_to_enrollments AFTER UPDATE OF unit_id, jenis, golongan, active, role ON people
    FOR EACH ROW WHEN ({_PERSON_CHANGED}) EXECUTE FUNCTION people_copy_to_enrollments()
    """,
    f"""
    UPDATE enrollments e
       SET person_unit_id = p.unit_id, person_jenis = p.jenis, person_golongan = p.golongan,
           person_counted = {_COUNTED.format(p='p')}
      FROM people p WHERE p.id = e.person_id
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER people_copy_to_enrollments ON people",
    "DROP FUNCTION people_copy_to_enrollments()",
    "DROP TRIGGER enrollments_copy_person ON enrollments",
    "DROP FUNCTION enrollments_copy_person()",
]

_SQLITE_COPY = f"""
    UPDATE enrollments
       SET (person_unit_id, person_jenis, person_golongan, person_counted) =
           (SELECT p.unit_id, p.jenis, p.golongan, {_COUNTED.format(p='p')}
              FROM people p WHERE p.id = enrollments.person_id)
"""
SQLITE_UP = [
    f"""
    CREATE TRIGGER enrollments_copy_person AFTER INSERT ON enrollments FOR EACH ROW
    BEGIN
        {_SQLITE_COPY} WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER enrollments_copy_person_moved AFTER UPDATE OF person_id ON enrollments FOR EACH ROW
    BEGIN
        {_SQLITE_COPY} WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER people_copy_to_enrollments AFTER UPDATE OF unit_id, jenis, golongan, active, role ON people
    FOR EACH ROW WHEN {_PERSON_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN
        UPDATE enrollments
           SET person_unit_id = NEW.unit_id, person_jenis = NEW.jenis, person_golongan = NEW.golongan,
               person_counted = {_COUNTED.format(p='NEW')}
         WHERE person_id = NEW.id;
    END
    """,
    _SQLITE_COPY,
]
SQLITE_DOWN = [
    "DROP TRIGGER people_copy_to_enrollments",
    "DROP TRIGGER enrollments_copy_person_moved",
    "DROP TRIGGER enrollments_copy_person",
]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('person_jenis', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('person_golongan', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('person_counted', sa.Boolean(), nullable=True))
    _run(POSTGRESQL_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP)


def downgrade():
    _run(POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN)
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('person_counted')
        batch_op.drop_column('person_golongan')
        batch_op.drop_column('person_jenis')
        batch_op.drop_column('person_unit_id')
