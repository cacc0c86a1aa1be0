"""Concurrent signing on PostgreSQL: one signature per person and program, whatever the race."""
import pytest

from netral_learn.accounts.models import Person
from netral_learn.core import clock
from netral_learn.courses.models import Program
from netral_learn.extensions import db
from netral_learn.pact import services
from netral_learn.pact.models import PactSignature

from ..quiz.test_races import pytestmark as postgres_only  # noqa: F401 - same skip rule
from ..quiz.test_races import THREADS, run_concurrently
from .test_signing import PASSWORD, pass_quiz, world  # noqa: F401 - fixture

pytestmark = postgres_only


def test_concurrent_signing_leaves_one_signature(app, world):
    """Eight simultaneous 'Tanda Tangani' presses: one signature, seven clear refusals, and no PDF
    file left behind by the refused ones (the signature's own PDF is made after the commit)."""
    import shutil
    from pathlib import Path

    pacts = Path(app.config["STORAGE_DIR"]) / "pacts"
    shutil.rmtree(pacts, ignore_errors=True)
    with app.test_request_context():
        pass_quiz(world["learner"].id, world["program"])

    def sign(index):
        person = db.session.get(Person, world["learner"].id)
        program = db.session.get(Program, world["program"])
        request = services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD, None, None, None)
        return services.sign_pact(person, program, request, clock.now_utc()).id

    with app.test_request_context():
        results, errors = run_concurrently(app, sign)
    assert len([r for r in results if r]) == 1
    assert len(errors) == THREADS - 1 and all(isinstance(e, services.AlreadySigned) for e in errors)
    with app.app_context():
        assert db.session.query(PactSignature).count() == 1
    assert list(pacts.glob("*.pdf")) == []  # nothing rendered inside the signing transactions
