"""After an attempt: score against the pass mark, attempts left, modules to read again, the review
as the settings allow, a time-out told as such, and blank answers caught before they are sent."""
from datetime import timedelta

import pytest

from netral_learn.core import clock
from netral_learn.extensions import db
from netral_learn.quiz import services
from netral_learn.quiz.models import Attempt, AttemptKind, AttemptStatus, QuizSettings

from .test_attempts import correct_answers, finish_modules, start_via_page


@pytest.fixture
def world(factory):
    tree = factory.tree()
    version = factory.course(modules=3)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=12, tags=("m0", "m1", "bukan-modul"))  # module slugs are m0, m1, m2
    factory.quiz_settings(program, question_count=6, pass_mark=70, max_attempts=2, time_limit_minutes=10,
                          grace_seconds=30, review_mode="after_pass")
    learner = factory.person(tree["a1"])
    return {"tree": tree, "program": program, "learner": learner, "version": version}


def fail(person, program, when=None):
    attempt = services.start_attempt(person, program, AttemptKind.POST, when or clock.now_utc())
    services.submit_attempt(attempt, correct_answers(attempt, right=False), when or clock.now_utc())
    db.session.commit()
    return attempt


def test_failed_attempt_names_the_modules_to_read_again(ctx, world):
    """Does a failed attempt tell the attempts left and the modules of the missed questions, in course order?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    attempt = fail(person, program)
    outcome = services.outcome_of(person, program, attempt)
    assert outcome.attempts_left == 1 and not outcome.review and not outcome.expired
    tags = [item.snapshot["tag"] for item in attempt.questions]
    expected = [(n + 1, f"Modul Uji {n + 1}", tags.count(f"m{n}")) for n in range(3) if f"m{n}" in tags]
    assert [(m.number, m.title, m.missed) for m in outcome.reread] == expected
    assert "setelah Anda lulus" in str(outcome.review_note)


def test_passed_attempt_sends_nobody_back_to_the_modules(ctx, world):
    """After passing, is the review shown and no module listed to read again?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    services.submit_attempt(attempt, correct_answers(attempt), clock.now_utc())
    db.session.commit()
    outcome = services.outcome_of(person, program, attempt)
    assert outcome.review and outcome.reread == [] and outcome.review_note is None


def test_review_after_the_last_failed_attempt_when_the_admin_allows(ctx, world, factory):
    """With 'review after the last attempt' on, is the review shown after the last failure only?"""
    factory.quiz_settings(world["program"], question_count=6, max_attempts=2, review_mode="after_pass",
                          review_after_last_attempt=True)
    person, program = finish_modules(world["learner"].id, world["program"])
    first = fail(person, program)
    assert not services.outcome_of(person, program, first).review  # one attempt left: no answers given away
    second = fail(person, program)
    outcome = services.outcome_of(person, program, second)
    assert outcome.attempts_left == 0 and outcome.review


def test_review_setting_is_saved_from_the_admin_form(app, client, world, factory, login_as):
    """Can an admin turn on the review after the last failed attempt on the quiz settings page?"""
    admin = factory.person(world["tree"]["root"], role="admin", scope=world["tree"]["root"])
    login_as(admin)
    url = f"/admin/program/{world['program']}/kuis"
    page = client.get(url)
    assert "percobaan terakhir yang tidak lulus" in page.get_data(as_text=True)
    form = {"question_count": "6", "pass_mark": "70", "max_attempts": "2", "time_limit_minutes": "10",
            "cooldown_minutes": "0", "grace_seconds": "30", "review_mode": "after_pass",
            "review_after_last_attempt": "y", "min_per_tag": "0", "max_extra_attempts": "3"}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        assert db.session.get(QuizSettings, world["program"]).review_after_last_attempt is True


def test_result_page_shows_score_pass_mark_attempts_left_and_modules(app, client, world, login_as):
    """Does the result page of a failed attempt show the score, the pass mark, the attempts left and links
    to the modules to read again, and say when the review will be shown?"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    base = f"/program/{world['program']}/kuis/{attempt_id}"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        form = {f"q-{k}": [str(v) for v in vals] for k, vals in correct_answers(attempt, right=False).items()}
        tags = {item.snapshot["tag"] for item in attempt.questions}
    form["kirim_tetap"] = "1"
    page = client.post(f"{base}/kirim", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Nilai lulus" in page and "Sisa percobaan" in page and "Belum lulus" in page
    assert "Modul yang perlu dibaca lagi" in page
    for n in range(3):
        assert (f'/program/{world["program"]}/modul/{n + 1}"' in page) == (f"m{n}" in tags)
    assert "Pembahasan soal ditampilkan setelah Anda lulus." in page and "jawaban benar" not in page


def test_time_out_is_told_with_the_answers_saved(ctx, world):
    """When the server closes an attempt at the deadline, does the outcome say so and which answers were saved?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    start = clock.now_utc()
    attempt = services.start_attempt(person, program, AttemptKind.POST, start)
    items = attempt.questions
    services.save_answers(attempt, {items[0].id: items[0].snapshot["correct"],
                                    items[2].id: items[2].snapshot["correct"]}, start + timedelta(minutes=3))
    db.session.commit()
    assert services.close_abandoned(start + timedelta(minutes=11)) == 1
    db.session.commit()
    outcome = services.outcome_of(person, program, attempt)
    assert attempt.status == AttemptStatus.EXPIRED and outcome.expired
    assert outcome.saved == [1, 3] and outcome.unsaved == [2, 4, 5, 6]


def test_time_out_result_page(app, client, world, login_as):
    """Does the result page of an attempt the server closed say 'Waktu habis' and list the saved answers?"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    base = f"/program/{world['program']}/kuis/{attempt_id}"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        first = attempt.questions[1]
        form = {f"q-{first.id}": [str(v) for v in first.snapshot["correct"]]}
    assert client.post(f"{base}/simpan", data=form).status_code == 302
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        services.close_abandoned(attempt.deadline_at + timedelta(seconds=attempt.grace_seconds + 1))
        db.session.commit()
    page = client.get(f"{base}/hasil").get_data(as_text=True)
    assert "Waktu habis" in page and "Jawaban tersimpan: soal 2." in page
    assert "Tidak terjawab atau tidak tersimpan: soal 1, 3, 4, 5, 6." in page


def test_blank_answers_get_a_summary_before_submitting(app, client, world, login_as):
    """Without JavaScript, does a submit with blank questions first show how many and which, keep the
    answers given, and only score after 'Kirim tetap'?"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    attempt_id = start_via_page(client, world["program"])
    base = f"/program/{world['program']}/kuis/{attempt_id}"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        answers = correct_answers(attempt)
        ids = [item.id for item in attempt.questions]
    form = {f"q-{k}": [str(v) for v in vals] for k, vals in answers.items() if k not in (ids[1], ids[4])}
    form["shown"] = [str(i) for i in ids]
    response = client.post(f"{base}/kirim", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "2 dari 6 soal belum dijawab" in page
    assert f'{base}?tersimpan=1#soal-2">soal 2</a>, <a href="{base}?tersimpan=1#soal-5">soal 5</a>' in page
    assert "Kirim tetap" in page and "Kembali" in page
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.ACTIVE
        assert [bool(item.selected) for item in attempt.questions] == [True, False, True, True, False, True]
    response = client.post(f"{base}/kirim", data={"kirim_tetap": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}/hasil")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.SUBMITTED and round(attempt.score) == 67


def test_nothing_blank_submits_at_once(ctx, world):
    """With every question answered, or once the time is up, is there nothing to ask before submitting?"""
    person, program = finish_modules(world["learner"].id, world["program"])
    start = clock.now_utc()
    attempt = services.start_attempt(person, program, AttemptKind.POST, start)
    assert services.blank_questions(attempt, {}, start) == [1, 2, 3, 4, 5, 6]
    assert services.blank_questions(attempt, correct_answers(attempt), start) == []
    assert services.blank_questions(attempt, {}, start + timedelta(minutes=11)) == []
