"""Racing requests on PostgreSQL: a double submit scores once; attempt limits cannot be beaten."""
import os
import threading

import pytest

from netral_learn.accounts.models import Person
from netral_learn.core import clock
from netral_learn.courses.models import Enrollment, Program
from netral_learn.extensions import db
from netral_learn.quiz import services
from netral_learn.quiz.models import Attempt, AttemptKind, AttemptStatus

from .test_attempts import correct_answers, finish_modules

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="race tests need PostgreSQL (TEST_DATABASE_URL)")
THREADS = 8


def run_concurrently(app, work):
    """Run ``work(index)`` in THREADS threads released at the same instant; collect results."""
    barrier = threading.Barrier(THREADS)
    results, errors = [None] * THREADS, []

    def runner(index):
        with app.app_context():
            try:
                barrier.wait()
                results[index] = work(index)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


@pytest.fixture
def world(factory):
    tree = factory.tree()
    version = factory.course(modules=1)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=12)
    factory.quiz_settings(program, question_count=5, max_attempts=2, time_limit_minutes=10)
    learner = factory.person(tree["a1"])
    return {"program": program, "learner": learner}


def test_concurrent_submits_score_exactly_once(app, world):
    """Eight simultaneous finishes of one attempt: does exactly one score it?"""
    with app.test_request_context():
        person, program = finish_modules(world["learner"].id, world["program"])
        attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
        db.session.commit()
        attempt_id = attempt.id

    def finish(index):
        attempt = db.session.get(Attempt, attempt_id)
        return services.finish_attempt(attempt, clock.now_utc(), AttemptStatus.SUBMITTED)

    results, errors = run_concurrently(app, finish)
    assert not errors, errors
    assert results.count(True) == 1
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == AttemptStatus.SUBMITTED


def test_concurrent_submits_with_answers_keep_one_consistent_result(app, world):
    """Two tabs submitting different answers at once: is the stored score the one of the answers kept?"""
    with app.test_request_context():
        person, program = finish_modules(world["learner"].id, world["program"])
        attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
        db.session.commit()
        attempt_id = attempt.id
        right, wrong = correct_answers(attempt, True), correct_answers(attempt, False)

    def submit(index):
        attempt = db.session.get(Attempt, attempt_id)
        services.submit_attempt(attempt, right if index % 2 else wrong, clock.now_utc())
        return attempt.score

    _, errors = run_concurrently(app, submit)
    assert not errors, errors
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        recomputed = sum(1 for q in attempt.questions if q.credit == 1) * 20
        assert attempt.score == recomputed and attempt.score in (0, 100)
        assert db.session.query(Enrollment).one().quiz_best_score == attempt.score


def test_racing_starts_cannot_beat_the_attempt_limit(app, world):
    """Eight simultaneous 'Mulai' presses: one attempt; after two, none more whatever the race."""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])

    def start(index):
        person = db.session.get(Person, world["learner"].id)
        program = db.session.get(Program, world["program"])
        return services.start_attempt(person, program, AttemptKind.POST, clock.now_utc()).id

    for round_number in (1, 2):
        results, errors = run_concurrently(app, start)
        assert len({r for r in results if r is not None}) == 1, (results, errors)
        with app.app_context():
            attempts = db.session.query(Attempt).order_by(Attempt.number).all()  # the newest last
            assert len(attempts) == round_number
            wrong = correct_answers(attempts[-1], right=False)
            services.submit_attempt(attempts[-1], wrong, clock.now_utc())
            db.session.commit()
    results, errors = run_concurrently(app, start)
    assert all(isinstance(e, services.QuizUnavailable) for e in errors) and len(errors) == THREADS
    with app.app_context():
        assert db.session.query(Attempt).count() == 2
