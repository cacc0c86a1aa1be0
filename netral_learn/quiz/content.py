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
from .models import Question, QuestionOption, QuestionType


class BankFileError(ValueError):
    """A questions file breaks the format (see content/README.md)."""


def _key(spec: dict) -> str:
    return hashlib.sha256(f"{spec['type']}\n{spec['text'].strip()}".encode()).hexdigest()[:32]


def _check(number: int, spec: dict) -> None:
    kind = spec.get("type")
    if kind not in {t.value for t in QuestionType}:
        raise BankFileError(f"question {number}: unknown type {kind!r}")
    options, correct = spec.get("options", []), spec.get("correct", [])
    if kind == "true_false" and options != ["Benar", "Salah"]:
        raise BankFileError(f"question {number}: true_false options must be ['Benar', 'Salah']")
    if len(options) < 2 or not correct or any(not 0 <= c < len(options) for c in correct):
        raise BankFileError(f"question {number}: needs 2+ options and valid correct indices")
    if kind != "multiple" and len(correct) != 1:
        raise BankFileError(f"question {number}: exactly one correct option for {kind}")
    if kind == "multiple" and len(correct) < 2:
        raise BankFileError(f"question {number}: a multiple-answer question needs 2+ correct options")


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
