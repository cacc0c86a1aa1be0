"""Bundled question bank (``content/<slug>/questions.toml``) → the course's bank, idempotently.

Each bundled question is keyed by a hash of its type and text: reloading updates explanations,
options and tags in place, adds new questions and retires (deactivates) removed ones. Attempts
already taken keep their frozen copies.
"""
from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from sqlalchemy import select

from ..courses.models import Course
from ..extensions import db
from . import grading
from .models import Question, QuestionOption, QuestionType


class BankFileError(ValueError):
    """A questions file breaks the format (see content/README.md)."""


def question_key(kind: str, text: str) -> str:
    """Identity of a question inside a bank: its type and text (what re-imports match on)."""
    return hashlib.sha256(f"{kind}\n{text.strip()}".encode()).hexdigest()[:32]


def _key(spec: dict) -> str:
    return question_key(spec["type"], spec["text"])


def _check(number: int, spec: dict) -> None:
    """The type's own rules come from the registry in grading.py, as for questions made in the app."""
    kind = grading.KINDS.get(spec.get("type"))
    if kind is None:
        raise BankFileError(f"question {number}: unknown type {spec.get('type')!r}")
    options, correct = spec.get("options", []), spec.get("correct", [])
    if any(not 0 <= c < len(options) for c in correct):
        raise BankFileError(f"question {number}: correct indices must point at options")
    problems = kind.check_key(options, [i in correct for i in range(len(options))])
    if problems:
        raise BankFileError(f"question {number}: {problems[0][1]}")


def load_questions(folder: Path, course: Course) -> int:
    """Load ``folder/questions.toml`` into ``course``'s bank; returns the number of active bundled questions."""
    path = folder / "questions.toml"
    if not path.exists():
        return 0
    specs = tomllib.loads(path.read_text(encoding="utf-8")).get("questions", [])
    for number, spec in enumerate(specs, start=1):
        _check(number, spec)
    existing = {q.source_key: q for q in db.session.scalars(
        select(Question).where(Question.course_id == course.id, Question.source_key.is_not(None)))}
    wanted = set()
    for spec in specs:
        key = _key(spec)
        wanted.add(key)
        question = existing.get(key) or Question(course_id=course.id, source_key=key, type=QuestionType(spec["type"]),
                                                 text=spec["text"].strip())
        question.tag = spec.get("tag", "")
        question.explanation = spec.get("explanation", "").strip()
        question.basis = spec.get("basis", "").strip()
        question.active = True
        new_options = [(text.strip(), i in spec["correct"]) for i, text in enumerate(spec["options"])]
        if [(o.text, o.is_correct) for o in question.options] != new_options:
            question.options = [QuestionOption(position=i, text=t, is_correct=c)
                                for i, (t, c) in enumerate(new_options)]
        db.session.add(question)
    for key, question in existing.items():
        if key not in wanted:
            question.active = False
    db.session.flush()
    return len(wanted)
