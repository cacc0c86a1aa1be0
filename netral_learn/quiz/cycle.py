"""The quiz's part in opening the next cycle: the bank travels with a copied course, a new program
takes the quiz settings of an earlier one, and the checklist shows both (see courses/cycle.py)."""
from __future__ import annotations

import copy

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Person
from ..courses.cycle import Check
from ..courses.models import Course, CourseVersion, Program
from ..extensions import db
from .bank import draw_shortfalls
from .models import Question, QuestionOption, QuizSettings

#: The settings a new program takes from an earlier one (everything but the program itself).
SETTING_COLUMNS = ("question_count", "per_tag", "min_per_tag", "pass_mark", "max_attempts", "time_limit_minutes",
                   "cooldown_minutes", "grace_seconds", "review_mode", "pretest_enabled")


def copy_bank(source: Course, target: Course) -> int:
    """Copy the active questions of ``source``'s bank (text, options, key, tag, explanation, basis)
    into ``target``'s; the copies are the new course's own, edited without touching the old bank."""
    questions = db.session.scalars(select(Question).where(Question.course_id == source.id, Question.active.is_(True))
                                   .options(selectinload(Question.options)).order_by(Question.id)).all()
    for question in questions:
        twin = Question(course_id=target.id, type=question.type, tag=question.tag, text=question.text,
                        explanation=question.explanation, basis=question.basis, active=True)
        twin.options = [QuestionOption(position=o.position, text=o.text, is_correct=o.is_correct)
                        for o in question.options]
        db.session.add(twin)
    db.session.flush()
    return len(questions)


def carry_settings(actor: Person, program: Program, earlier: Program) -> str | None:
    """Give ``program`` the quiz settings of ``earlier`` (none copied when it kept the defaults)."""
    source = db.session.get(QuizSettings, earlier.id)
    if source is None:
        return None
    target = db.session.get(QuizSettings, program.id) or QuizSettings(program_id=program.id)
    for column in SETTING_COLUMNS:
        setattr(target, column, copy.deepcopy(getattr(source, column)))
    db.session.add(target)
    db.session.flush()
    return "disalin"


def checks(version: CourseVersion, programs: list[Program]) -> list[Check]:
    """The bank of the version's course, and each program's quiz settings (set, and drawable)."""
    active = db.session.scalar(select(func.count(Question.id)).where(
        Question.course_id == version.course_id, Question.active.is_(True))) or 0
    items = [Check(20, _l("Periksa bank soal (disalin bersama kursus)"), active > 0,
                   _l("%(n)d soal aktif", n=active), "quiz.bank_list", (("course_id", version.course_id),))]
    for program in programs:
        stored = db.session.get(QuizSettings, program.id) is not None
        problems = draw_shortfalls(program) if stored else []
        items.append(Check(60, _l("Pengaturan kuis: %(program)s", program=program.title), stored and not problems,
                           problems[0][1] if problems else ("" if stored else _l("masih pengaturan bawaan")),
                           "quiz.program_settings", (("program_id", program.id),)))
    return items
