"""What the scenarios share: the databases to run on, a freshly migrated app, progress notes."""
from __future__ import annotations

import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text

from netral_learn import create_app
from netral_learn.config import normalize_database_url
from netral_learn.extensions import db

#: Settings taken from the environment when set: the password-hash cost, as configured.
PASSED_THROUGH = ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")


@dataclass(frozen=True)
class Database:
    """A database to benchmark on; ``url`` None means a temporary SQLite file."""

    label: str
    url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url is not None


def databases() -> list[Database]:
    """SQLite always; PostgreSQL when BENCH_DATABASE_URL (or else TEST_DATABASE_URL) is set."""
    found = [Database("SQLite")]
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        found.append(Database("PostgreSQL", url))
    return found


def note(message: str) -> None:
    """Progress on stderr, so stdout carries only the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _wipe_postgres(url: str) -> None:
    engine = create_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def fresh_app(database: Database) -> Iterator[Flask]:
    """An app on an empty database whose schema is built by the migrations, as in the tests."""
    from flask_migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="netral-bench-") as tmp:
        if database.url:
            _wipe_postgres(database.url)
        env = {name: os.environ[name] for name in PASSED_THROUGH if os.environ.get(name)}
        env.update({
            "APP_ENV": "testing",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database.url or f"sqlite:///{Path(tmp) / 'bench.db'}",
            "STORAGE_DIR": str(Path(tmp) / "storage"),
        })
        app = create_app({"ENV_MAPPING": env, "WTF_CSRF_ENABLED": False, "TESTING": True})
        with app.app_context():
            upgrade()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
