"""Deploy tests run real gunicorn instances in production mode against PostgreSQL (+ Redis)."""
import os

import pytest

from ..conftest import TEST_SECRET, redis_test_url
from .servers import run_worker_burst, start_instance

needs_postgres = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                    reason="needs PostgreSQL (TEST_DATABASE_URL)")


def start_test_instance(app, port: int, redis: str | None = None, **extra_env: str):
    """A production gunicorn on the test database, storage and signing key of ``app``; on the Redis
    given, else on the suite's own Redis database (claim it first with the ``redis_test_db`` fixture)."""
    return start_instance(port, app.config, database_url=os.environ["TEST_DATABASE_URL"], secret_key=TEST_SECRET,
                          redis_url=redis or redis_test_url(), **extra_env)


def run_test_worker(app, redis: str) -> str:
    """The job worker on the test database, storage and signing key of ``app``, until the queue is empty."""
    return run_worker_burst(app.config, database_url=os.environ["TEST_DATABASE_URL"], secret_key=TEST_SECRET,
                            redis_url=redis)
