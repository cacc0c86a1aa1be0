"""Fixtures: an app on SQLite (always) or PostgreSQL (TEST_DATABASE_URL), built by migrations."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from netral_learn import create_app
from netral_learn.core import clock
from netral_learn.extensions import db, limiter

from .factories import Factory

TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"


def database_url(tmp: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}"


def reset_postgres(url: str) -> None:
    from netral_learn.config import normalize_database_url

    engine = create_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def signing_keys(tmp: Path):
    """One development CA and signing key per test session."""
    from netral_learn.pact.keys import create_local_ca

    folder = tmp / "keys"
    if not (folder / "signing.p12").exists():
        create_local_ca(folder, "Pemerintah Kabupaten Uji", "BKPSDM Kabupaten Uji")
    return folder


def make_app(tmp: Path, **overrides):
    keys = signing_keys(tmp)
    env = {
        "SIGNING_PKCS12_PATH": str(keys / "signing.p12"),
        "SIGNING_PKCS12_PASSWORD": (keys / "password").read_text(),
        "SIGNING_CA_PATH": str(keys / "ca.pem"),
        "APP_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url(tmp),
        "STORAGE_DIR": str(tmp / "storage"),
        "SITE_URL": "http://127.0.0.1:5000",
    }
    env.update(overrides.pop("env", {}))
    config = {"ENV_MAPPING": env, "WTF_CSRF_ENABLED": False, "TESTING": True}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="netral-test-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def app(tmp_root):
    """One app per test session; the schema is built by running the migrations."""
    from flask_migrate import upgrade

    url = database_url(tmp_root)
    if url.startswith("postgres"):
        reset_postgres(url)
    app = make_app(tmp_root)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    """Every test starts from empty tables, a running clock and no rate-limit counts (the session's
    one app keeps them in memory: 401s of earlier tests in the same minute would count)."""
    clock.freeze(None)
    yield
    clock.freeze(None)
    with app.app_context():
        limiter.reset()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        shutil.rmtree(Path(app.config["STORAGE_DIR"]) / "audit", ignore_errors=True)  # anchors of the rows above


@pytest.fixture
def ctx(app):
    """An application context for service-level tests (no HTTP)."""
    with app.test_request_context():
        yield
        db.session.rollback()


#: The key that says a Redis database belongs to this suite: the suite empties only a database
#: that is empty or holds it, and puts it back after every flush.
REDIS_MARKER = "netral-test-suite:owns-this-database"


def redis_test_url() -> str:
    return os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_test_db():
    """A connection to the Redis database named by REDIS_TEST_URL (default redis://127.0.0.1:6379/15),
    claimed for this suite. Tests that need Redis skip, saying why, when nothing answers there or
    when the database holds keys this suite did not write (it is never emptied then)."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = redis_test_url()
    connection = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    try:
        if connection.dbsize() and not connection.exists(REDIS_MARKER):
            pytest.skip(f"needs Redis: {url} holds keys this suite did not write, and is never emptied; "
                        "set REDIS_TEST_URL to an empty database (e.g. redis://127.0.0.1:6379/14)")
        connection.set(REDIS_MARKER, 1)
    except (RedisError, OSError) as error:
        pytest.skip(f"needs Redis: nothing answers at {url} ({type(error).__name__}); start redis-server "
                    "or set REDIS_TEST_URL")
    yield connection
    _empty(connection)
    connection.delete(REDIS_MARKER)


def _empty(connection) -> None:
    """Empty the suite's own database, keeping the mark that it is ours."""
    connection.flushdb()
    connection.set(REDIS_MARKER, 1)


@pytest.fixture
def redis_cache(app, monkeypatch, redis_test_db):
    """The app with Redis configured, as in production (login copies and their generations, the
    job queue), on the suite's own Redis database, emptied before and after."""
    _empty(redis_test_db)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_test_url())
    yield redis_test_db
    _empty(redis_test_db)


@contextmanager
def statements(app):
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def login_as(client, app):
    """Log the test client in as a person created with a known password."""

    def _login(person, password=Factory.PASSWORD, follow=False):
        response = client.post("/masuk", data={"nip": person.nip, "password": password},
                               follow_redirects=follow)
        assert response.status_code in (200, 302), response.status_code
        return response

    return _login


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, and PDF signing (pyHanko) needs asyncio.run there."""
    items.sort(key=lambda item: "/tests/browser/" in str(item.fspath).replace("\\", "/"))
