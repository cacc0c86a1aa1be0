"""Migrations are the only way the schema is built: they match the models and run both ways."""
from flask_migrate import check, downgrade, upgrade

from .conftest import make_app


def test_models_and_migrations_do_not_drift(app):
    """Does `flask db check` find nothing to generate against the migrated test database?"""
    with app.app_context():
        check()  # raises (exits) when autogenerate would produce operations


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    """Can every migration be undone and redone on an empty SQLite database?"""
    app = make_app(tmp_path, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'roundtrip.db'}"})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
