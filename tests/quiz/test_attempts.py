"""Attempts through services and pages: order, limits, timing, scoring once, review, CSRF lifetime."""
import re
from datetime import datetime, timedelta

import pytest

from netral_learn.accounts.models import Person
from netral_learn.core import clock
from netral_learn.courses import services as course_services
from netral_learn.courses.models import Enrollment, Program
from netral_learn.extensions import db
from netral_learn.quiz import services
from netral_learn.quiz.models import Attempt, AttemptKind, AttemptStatus


@pytest.fixture
def world(factory):
    tree = factory.tree()
    version = factory.course(modules=2)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=12)
    factory.quiz_settings(program, question_count=5, pass_mark=70, max_attempts=2, time_limit_minutes=10,
                          grace_seconds=30)
    learner = factory.person(tree["a1"])
    return {"tree": tree, "program": program, "learner": learner, "version": version}


def finish_modules(person_id, program_id):
    person, program = db.session.get(Person, person_id), db.session.get(Program, program_id)
    today = clock.now_utc().date()
    for position in range(len(program.course_version.modules)):
        course_services.open_module(person, program, position, today)
        course_services.complete_module(person, program, position, today)
    db.session.commit()
    return person, program


def correct_answers(attempt, right=True):
    answers = {}
    for item in attempt.questions:
        correct = item.snapshot["correct"]
        wrong = [o["id"] for o in item.snapshot["options"] if o["id"] not in correct][:1]
        answers[item.id] = correct if right else wrong
    return answers


def test_quiz_is_refused_before_the_modules(ctx, world):
    """Can a person start the quiz before finishing the modules? (No.)"""
    person = db.session.get(Person, world["learner"].id)
    program = db.session.get(Program, world["program"])
    with pytest.raises(course_services.StepLocked):
        services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())


def test_attempt_freezes_a_draw_and_scores_on_the_server(ctx, world):
    """Is the draw frozen at start, and does a perfect set of answers pass and unlock the pact?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    db.session.commit()
    assert len(attempt.questions) == 5 and len({q.question_id for q in attempt.questions}) == 5
    services.submit_attempt(attempt, correct_answers(attempt), clock.now_utc())
    db.session.commit()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 100 and attempt.passed
    enrollment = db.session.query(Enrollment).one()
    assert enrollment.quiz_passed_at is not None and enrollment.quiz_best_score == 100
    course_services.require_step(person, program, course_services.Step.PACT)


def test_attempt_limit_and_best_score(ctx, world):
    """After two failed attempts is a third refused, with the best score kept?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    for right in (False, False):
        attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
        answers = correct_answers(attempt, right)
        first = next(iter(answers))
        answers[first] = attempt.questions[0].snapshot["correct"]  # one right answer: 20 or so
        services.submit_attempt(attempt, answers, clock.now_utc())
        db.session.commit()
    with pytest.raises(services.QuizUnavailable, match="habis"):
        services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    assert db.session.query(Enrollment).one().quiz_best_score > 0


def test_cooldown_between_attempts(ctx, world, factory):
    """Is a new attempt refused during the cooldown and allowed after it?"""
    factory.quiz_settings(world["program"], question_count=5, cooldown_minutes=30, max_attempts=0)
    person, program = finish_modules(world["learner"].id, world["program"])
    attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    services.submit_attempt(attempt, correct_answers(attempt, right=False), clock.now_utc())
    db.session.commit()
    with pytest.raises(services.QuizUnavailable, match="Tunggu"):
        services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    later = clock.now_utc() + timedelta(minutes=31)
    assert services.start_attempt(person, program, AttemptKind.POST, later).number == 2


def test_late_submit_is_scored_on_what_was_saved_in_time(ctx, world):
    """After the deadline and grace, are posted answers ignored and saved ones scored?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    start = clock.now_utc()
    attempt = services.start_attempt(person, program, AttemptKind.POST, start)
    answers = correct_answers(attempt)
    first_two = dict(list(answers.items())[:2])
    services.save_answers(attempt, first_two, start + timedelta(minutes=5))
    db.session.commit()
    with pytest.raises(services.AttemptClosed):
        services.save_answers(attempt, answers, start + timedelta(minutes=11))
    db.session.rollback()
    services.submit_attempt(attempt, answers, start + timedelta(minutes=11))
    db.session.commit()
    assert attempt.status == AttemptStatus.EXPIRED and attempt.score == 40 and not attempt.passed


def test_grace_period_absorbs_a_slow_submit(ctx, world):
    """Does a submit arriving within the grace seconds after the deadline still count fully?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    start = clock.now_utc()
    attempt = services.start_attempt(person, program, AttemptKind.POST, start)
    services.submit_attempt(attempt, correct_answers(attempt), start + timedelta(minutes=10, seconds=20))
    db.session.commit()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 100


def test_double_submit_scores_once_and_finished_attempt_is_closed(ctx, world):
    """Does a second submit (other tab) change nothing, and is saving to a finished attempt refused?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    services.submit_attempt(attempt, correct_answers(attempt, right=False), clock.now_utc())
    db.session.commit()
    services.submit_attempt(attempt, correct_answers(attempt, right=True), clock.now_utc())
    db.session.commit()
    assert attempt.score < 70
    with pytest.raises(services.AttemptClosed):
        services.save_answers(attempt, correct_answers(attempt), clock.now_utc())


def test_closing_job_spares_live_attempts(ctx, world, factory):
    """Does the abandoned-attempt job close only attempts past their time, never a live one?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    other = db.session.get(Person, factory.person(world["tree"]["a1"]).id)
    finish_modules(other.id, program.id)
    start = clock.now_utc()
    old = services.start_attempt(person, program, AttemptKind.POST, start)
    services.save_answers(old, dict(list(correct_answers(old).items())[:1]), start + timedelta(minutes=1))
    live = services.start_attempt(other, program, AttemptKind.POST, start + timedelta(minutes=9))
    db.session.commit()
    assert services.close_abandoned(start + timedelta(minutes=12)) == 1
    db.session.commit()
    db.session.refresh(live)
    assert old.status == AttemptStatus.EXPIRED and old.score == 20
    assert live.status == AttemptStatus.ACTIVE


def test_resuming_returns_the_same_attempt(ctx, world):
    """Does pressing 'Mulai' again resume the active attempt instead of spending another?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    first = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    again = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    assert first.id == again.id and db.session.query(Attempt).count() == 1


def test_a_start_racing_another_takes_the_attempt_that_won(ctx, world, monkeypatch):
    """Two 'Mulai' at the same moment both read "no attempt yet"; the second insert conflicts
    (ON CONFLICT DO NOTHING, no savepoint) and resumes the first one's attempt; the transaction
    stays usable. (The real race, on PostgreSQL: test_races.py.)"""
    person, program = finish_modules(world["learner"].id, world["program"])
    first = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    db.session.commit()
    monkeypatch.setattr(services, "attempts_of", lambda *args, **kwargs: [])  # what the racing request read
    again = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    db.session.commit()
    assert again.id == first.id and db.session.query(Attempt).count() == 1
    assert len(again.questions) == 5


def test_pretest_is_optional_and_kept(ctx, world, factory):
    """Is a pre-test possible before the modules, once, without gating, with its score kept?"""
    factory.quiz_settings(world["program"], question_count=5, pretest_enabled=True)
    person = db.session.get(Person, world["learner"].id)
    program = db.session.get(Program, world["program"])
    course_services.enroll(person, program)
    pre = services.start_attempt(person, program, AttemptKind.PRE, clock.now_utc())
    services.submit_attempt(pre, correct_answers(pre, right=False), clock.now_utc())
    db.session.commit()
    assert db.session.query(Enrollment).one().pretest_score == pre.score
    assert db.session.query(Enrollment).one().quiz_passed_at is None
    with pytest.raises(services.QuizUnavailable):
        services.start_attempt(person, program, AttemptKind.PRE, clock.now_utc())


# --- through the pages ----------------------------------------------------------------------

def start_via_page(client, program_id):
    """'Mulai': answered with the first question page itself, which names its own address."""
    response = client.post(f"/program/{program_id}/kuis/mulai")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert 'id="quiz-form"' in response.get_data(as_text=True)
    return int(response.headers["Content-Location"].rstrip("/").split("/")[-1])


def test_correct_answers_never_reach_the_browser(app, client, world, login_as):
    """Does the attempt page carry the options but nothing that marks the correct ones?"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    page = client.get(f"/program/{world['program']}/kuis/{attempt_id}").get_data(as_text=True)
    assert "Pilihan A" in page and "correct" not in page and "Penjelasan" not in page
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        for item in attempt.questions:
            assert f'name="q-{item.id}"' in page


def test_no_js_flow_save_then_submit_then_review(app, client, world, login_as):
    """Without JavaScript, can a person save, submit and (after passing) see the review?"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        form = {f"q-{k}": [str(v) for v in vals] for k, vals in correct_answers(attempt).items()}
    base = f"/program/{world['program']}/kuis/{attempt_id}"
    assert client.post(f"{base}/simpan", data=form).status_code == 302
    result = client.post(f"{base}/kirim", data={}, follow_redirects=True).get_data(as_text=True)
    assert "100" in result and "Selamat, Anda lulus" in result and "Pembahasan" in result
    assert client.post(f"{base}/simpan", data=form).status_code == 409


def test_a_failed_attempt_still_shows_each_questions_legal_basis_and_the_as_of_date(app, client, world, login_as):
    """After failing (answers hidden until a pass), does the result still give each question's legal
    basis and say "Materi per <date>" of the course, without revealing the right answers?"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        form = {f"q-{k}": [str(v) for v in vals] for k, vals in correct_answers(attempt, right=False).items()}
        texts = [item.snapshot["text"] for item in attempt.questions]
    base = f"/program/{world['program']}/kuis/{attempt_id}"
    result = client.post(f"{base}/kirim", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Belum lulus" in result and "jawaban benar" not in result
    assert "Dasar hukum soal" in result and result.count("Dasar: PP 94/2021") == len(texts)
    assert all(text in result for text in texts)
    assert "Materi per " in result


def test_someone_elses_attempt_is_not_found(app, client, world, factory, login_as):

    """Can a person open or post to another person's attempt by guessing its id? (No.)"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    intruder = factory.person(world["tree"]["a1"])
    other = app.test_client()
    other.post("/masuk", data={"nip": intruder.nip, "password": "Kuat#Sandi-2026"})
    assert other.get(f"/program/{world['program']}/kuis/{attempt_id}").status_code == 404
    assert other.post(f"/program/{world['program']}/kuis/{attempt_id}/kirim").status_code == 404


def test_quiz_outlives_the_csrf_token_lifetime(tmp_root, app, world, factory):
    """With CSRF on, does a quiz left open for hours past the token lifetime still submit?"""
    from tests.conftest import make_app

    csrf_app = make_app(tmp_root, WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=3600)
    factory.quiz_settings(world["program"], question_count=5, time_limit_minutes=0)
    with csrf_app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    client = csrf_app.test_client()
    login_page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/masuk", data={"nip": world["learner"].nip, "password": "Kuat#Sandi-2026", "csrf_token": token})
    overview = client.get(f"/program/{world['program']}/kuis").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', overview).group(1)
    response = client.post(f"/program/{world['program']}/kuis/mulai", data={"csrf_token": token})
    attempt_url = response.headers["Content-Location"]
    page = client.get(attempt_url).get_data(as_text=True)
    quiz_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    clock.freeze(clock.now_utc() + timedelta(hours=3))
    import time as _time
    real_time = _time.time
    _time.time = lambda: real_time() + 3 * 3600  # itsdangerous reads the wall clock
    try:
        assert client.post(attempt_url + "/kirim", data={}).status_code == 400  # no token: refused
        response = client.post(attempt_url + "/kirim", data={"csrf_token": quiz_token, "kirim_tetap": "1"})
    finally:
        _time.time = real_time
    assert response.status_code == 302 and response.headers["Location"].endswith("/hasil")


def test_each_start_draws_from_the_bank_as_it_is_now(app, world, factory):
    """An edited option or a retired question: does the very next start see the change?"""
    from netral_learn.quiz.models import Question, QuestionOption

    people = [world["learner"].id, factory.person(world["tree"]["a1"]).id]

    def start(person_id):
        with app.test_request_context():
            person, program = finish_modules(person_id, world["program"])
            attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
            db.session.commit()
            return {item.question_id: item.snapshot for item in attempt.questions}

    start(people[0])
    with app.test_request_context():
        questions = db.session.scalars(db.select(Question).order_by(Question.id)).all()
        retired = {q.id for q in questions[:7]}  # 5 of 12 stay: every start must draw exactly those
        edited = questions[-1].id
        for question in questions:
            question.active = question.id not in retired
        option = db.session.scalars(db.select(QuestionOption).where(
            QuestionOption.question_id == edited).order_by(QuestionOption.id)).first()
        option.text = "Teks pilihan yang diperbarui"
        db.session.commit()
    drawn = start(people[1])
    assert not retired & set(drawn)
    assert "Teks pilihan yang diperbarui" in [o["text"] for o in drawn[edited]["options"]]


def test_mulai_answers_with_the_first_question_page(app, client, world, login_as):
    """'Mulai' answers with the first question page itself (one round trip, not a redirect whose
    GET queues again behind everyone's POST), as its GET shows it; a reload after an autosave shows
    the saved answer."""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    client.get(f"/program/{world['program']}/kuis")
    response = client.post(f"/program/{world['program']}/kuis/mulai")
    location = response.headers["Content-Location"]
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'id="quiz-form"' in page and "Kirim jawaban" in page and "correct" not in page
    assert f'data-address="{location}"' in page  # quiz.js shows the attempt's address
    assert f'name="next" value="{location}?"' in page  # built as its GET, not as the POST
    reloaded = client.get(location).get_data(as_text=True)
    assert re.findall(r'name="q-(\d+)"', reloaded) == re.findall(r'name="q-(\d+)"', page)
    attempt_id = int(location.rsplit("/", 1)[1])
    with app.app_context():
        first = db.session.get(Attempt, attempt_id).questions[0]
        item_id, chosen = first.id, first.snapshot["options"][0]["id"]
    saved = client.post(f"{location}/simpan", data={f"q-{item_id}": str(chosen)},
                        headers={"Accept": "application/json"})  # as quiz.js sends it
    server_now = datetime.fromisoformat(saved.json["now"])  # for quiz.js to re-sync its countdown
    assert saved.json["status"] == "ok" and abs(server_now - clock.now_utc()) < timedelta(seconds=5)
    assert re.search(rf'value="{chosen}"[^>]*checked', client.get(location).get_data(as_text=True))


def test_mulai_without_redis_answers_with_the_page_too(app, client, world, login_as):
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    assert start_via_page(client, world["program"]) == attempt_id  # 'Mulai' again (a reload): the same attempt
