"""`flask doctor` on the production setup of the deploy tests: PostgreSQL, Redis, storage and key."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from ..conftest import TEST_SECRET, redis_test_url
from .conftest import needs_postgres
from .servers import ROOT, free_port, production_env


def _doctor(app, **settings):
    env = production_env(app.config, database_url=os.environ["TEST_DATABASE_URL"], secret_key=TEST_SECRET,
                         SITE_URL="https://127.0.0.1", SESSION_COOKIE_SECURE="1", **settings)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "doctor", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    return result.returncode, json.loads(result.stdout)


@needs_postgres
def test_doctor_is_green_on_the_production_setup(app, redis_test_db):
    """In production mode with PostgreSQL at head, Redis, storage and the signing key: exit 0, all OK?"""
    code, report = _doctor(app, redis_url=redis_test_url())
    assert code == 0, report
    assert report["ok"] and all(check["ok"] for check in report["checks"])


@needs_postgres
def test_doctor_names_what_is_broken_in_production(app):
    """With Redis unreachable and no REDIS_URL at all, does it exit 1 and name the failing check?"""
    code, report = _doctor(app, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    failed = {check["check"] for check in report["checks"] if not check["ok"]}
    assert code == 1 and failed == {"redis"}
    code, report = _doctor(app)
    failed = [check for check in report["checks"] if not check["ok"]]
    assert code == 1 and [c["check"] for c in failed] == ["pengaturan"] and "REDIS_URL" in failed[0]["message"]
