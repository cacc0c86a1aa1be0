"""Run INSIDE an old checkout by make_fixture.sh (copied there as a test): one person finishes the
whole journey with that release's own code, then the database, storage and keys are copied out."""
import os
import shutil
import sqlite3
from pathlib import Path

from netral_learn.extensions import db

from .certificates.test_certificates import sign
from .pact.test_signing import world  # noqa: F401 - fixture


def test_make_upgrade_fixture(app, world, factory, tmp_root):
    """Made once by tests/upgrade/make_fixture.sh; not part of any suite."""
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
        factory.person(world["tree"]["a1"], name="Rina Marlina, S.E.")
        db.session.commit()
    out = Path(os.environ["UPGRADE_FIXTURE_OUT"])
    out.mkdir(parents=True)
    source = sqlite3.connect(tmp_root / "test.db")
    target = sqlite3.connect(out / "netral_learn.db")
    source.backup(target)
    source.close()
    target.close()
    shutil.copytree(tmp_root / "storage", out / "storage")
    shutil.copytree(tmp_root / "keys", out / "keys")
