"""The bundled "Netralitas ASN" question bank: what `flask content load` and `flask demo seed`
install, what every bundled question carries, and how a reload treats the bank."""
from __future__ import annotations

import tomllib
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from netral_learn.courses.content import CONTENT_DIR
from netral_learn.courses.models import Course, CourseVersion, Program
from netral_learn.extensions import db
from netral_learn.quiz import grading
from netral_learn.quiz.content import BankFileError, load_questions
from netral_learn.quiz.models import Question, QuestionType

SLUG = "netralitas-asn"


def _bundled_bank(app) -> list[Question]:
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        assert course is not None
        questions = db.session.scalars(select(Question).where(Question.course_id == course.id)
                                       .options(selectinload(Question.options))).all()
        db.session.expunge_all()
        return questions


def test_flask_content_load_installs_the_bank_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "load"])
    assert first.exit_code == 0, first.output
    questions = _bundled_bank(app)
    active = [q for q in questions if q.active]
    specs = tomllib.loads((CONTENT_DIR / SLUG / "questions.toml").read_text(encoding="utf-8"))["questions"]
    assert len(active) == len(specs) >= 60  # 55 before the legal review of December 2026, 67 after

    assert set(Counter(q.type for q in active)) == set(QuestionType)
    for question in active:
        assert question.explanation.strip() and question.basis.strip() and question.tag, question.text
        options = [o.text for o in question.options]
        assert not grading.kind_of(question.type.value).check_key(options, [o.is_correct for o in question.options])
    again = runner.invoke(args=["content", "load"])
    assert again.exit_code == 0 and "tidak berubah" in again.output
    assert len(_bundled_bank(app)) == len(questions)  # nothing twice


def test_flask_demo_seed_opens_a_program_on_the_bundled_bank(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--people", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        program = db.session.scalars(select(Program)).one()
        bank = db.session.scalar(select(func.count()).select_from(Question).where(
            Question.course_id == program.course_version.course_id, Question.active.is_(True)))
    assert bank >= 40


def test_the_bank_file_keeps_to_its_format():
    """Every bundled question states its legal basis and how sure the reference is of it."""
    specs = tomllib.loads((CONTENT_DIR / SLUG / "questions.toml").read_text(encoding="utf-8"))["questions"]
    texts = [spec["text"].strip() for spec in specs]
    assert len(texts) == len(set(texts))
    assert all(spec.get("confidence") in ("tinggi", "sedang") for spec in specs)


def _bank_file(folder, questions: str) -> None:
    (folder / "questions.toml").write_text(questions, encoding="utf-8")


ONE = '''
[[questions]]
type = "single"
tag = "uji"
text = "Soal satu?"
options = ["A", "B"]
correct = [0]
explanation = "Karena A."
basis = "UU 20/2023"
'''
TWO = ONE.replace("Soal satu?", "Soal dua?")


def test_a_reload_updates_in_place_adds_and_retires(ctx, factory, tmp_path):
    """Reloading after an edit updates options and explanations in place, adds new questions and
    retires removed ones (attempts keep their frozen copies)."""
    course = db.session.get(CourseVersion, factory.course(modules=1)).course
    _bank_file(tmp_path, ONE + TWO)
    assert load_questions(tmp_path, course) == 2
    first = db.session.scalar(select(Question).where(Question.text == "Soal satu?"))
    _bank_file(tmp_path, ONE.replace('"Karena A."', '"Karena A, diperbarui."').replace('["A", "B"]', '["A", "C"]'))
    assert load_questions(tmp_path, course) == 1
    db.session.expire_all()
    same = db.session.scalar(select(Question).where(Question.text == "Soal satu?"))
    assert same.id == first.id and same.explanation == "Karena A, diperbarui." and same.active
    assert [o.text for o in same.options] == ["A", "C"]
    assert not db.session.scalar(select(Question).where(Question.text == "Soal dua?")).active


@pytest.mark.parametrize("change, message", [
    (('type = "single"', 'type = "essay"'), "unknown type"),
    (("correct = [0]", "correct = [5]"), "correct indices"),
    (("correct = [0]", "correct = [0, 1]"), "question 2"),
])
def test_a_broken_bank_file_is_refused_whole(ctx, factory, tmp_path, change, message):
    course = db.session.get(CourseVersion, factory.course(modules=1)).course
    _bank_file(tmp_path, TWO + ONE.replace(*change))
    with pytest.raises(BankFileError, match=message):
        load_questions(tmp_path, course)
    assert db.session.scalar(select(func.count()).select_from(Question).where(Question.course_id == course.id)) == 0
