"""Question bank per course; QuizSettings per program; Attempt → AttemptQuestion (frozen) → answers."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Person, _enum
from ..core.clock import now_utc
from ..core.types import UTCDateTime
from ..extensions import db


class QuestionType(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class ReviewMode(enum.StrEnum):
    """When a person may see the correct answers of their attempt."""

    IMMEDIATELY = "immediately"
    AFTER_PASS = "after_pass"
    NEVER = "never"


class AttemptKind(enum.StrEnum):
    PRE = "pre"    # optional pre-test, never gating
    POST = "post"  # the quiz that unlocks the pact


class AttemptStatus(enum.StrEnum):
    ACTIVE = "active"
    SUBMITTED = "submitted"
    EXPIRED = "expired"  # closed by the clock; scored on what was saved in time


class Question(db.Model):
    """One question of a course's bank."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    type: Mapped[QuestionType] = mapped_column(_enum(QuestionType, "question_type"))
    #: Module slug or topic, for drawing per tag and for statistics.
    tag: Mapped[str] = mapped_column(String(80), default="")
    text: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: Legal basis shown with the explanation, e.g. "PP 94/2021 Pasal 8".
    basis: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Stable key of bundled questions, so reloading content updates instead of duplicating.
    source_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question", order_by="QuestionOption.position", cascade="all, delete-orphan")


class QuestionOption(db.Model):
    __tablename__ = "question_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[Question] = relationship(back_populates="options")


class QuizSettings(db.Model):
    """How a program's quiz is drawn, timed and passed."""

    __tablename__ = "quiz_settings"
    __table_args__ = (
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark_range"),
        CheckConstraint("question_count > 0", name="question_count_positive"),
        CheckConstraint("min_per_tag >= 0", name="min_per_tag_not_negative"),
        CheckConstraint("max_extra_attempts >= 0", name="max_extra_attempts_nonnegative"),
    )

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    question_count: Mapped[int] = mapped_column(Integer, default=10)
    #: Optional {"tag": n} draw per tag; the rest of question_count is drawn from any tag.
    per_tag: Mapped[dict] = mapped_column(JSON, default=dict)
    #: At least this many questions from every module (tag) of the bank, so no attempt skips a module.
    min_per_tag: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    pass_mark: Mapped[int] = mapped_column(Integer, default=70)
    #: 0 means unlimited.
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    #: 0 means no time limit.
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=20)
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: Extra seconds after the deadline during which a submit still counts (server load at the bell).
    grace_seconds: Mapped[int] = mapped_column(Integer, default=60)
    review_mode: Mapped[ReviewMode] = mapped_column(_enum(ReviewMode, "review_mode"), default=ReviewMode.AFTER_PASS)
    #: Show the review after a failed attempt once no attempt is left, whatever ``review_mode`` says.
    review_after_last_attempt: Mapped[bool] = mapped_column(Boolean, default=False)
    pretest_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: How many extra attempts operators and admins may grant one person in all (0: none).
    max_extra_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")


class Attempt(db.Model):
    """One sitting of the quiz; its questions and option order are frozen at the start."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("program_id", "person_id", "kind", "number", name="uq_attempts_program_person_kind_number"),
        # At most one active attempt per person, program and kind, even under racing requests.
        Index("uq_attempts_one_active", "program_id", "person_id", "kind", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[AttemptKind] = mapped_column(_enum(AttemptKind, "attempt_kind"), default=AttemptKind.POST)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[AttemptStatus] = mapped_column(_enum(AttemptStatus, "attempt_status"), default=AttemptStatus.ACTIVE)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: None when the quiz has no time limit.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grace_seconds: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 0–100, with two decimals.
    score: Mapped[float | None] = mapped_column(db.Numeric(5, 2, asdecimal=False))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    pass_mark: Mapped[int] = mapped_column(Integer, default=70)

    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan")


class AttemptQuestion(db.Model):
    """A question as it was drawn for one attempt (text, shuffled options and key frozen)."""

    __tablename__ = "attempt_questions"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_attempt_questions_attempt_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    #: {"type", "text", "tag", "explanation", "basis", "options": [{"id", "text"}], "correct": [ids]}
    snapshot: Mapped[dict] = mapped_column(JSON)
    #: Option ids chosen, as last saved.
    selected: Mapped[list | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 0–1 credit, set when the attempt is scored.
    credit: Mapped[float | None] = mapped_column(db.Numeric(4, 3, asdecimal=False))

    attempt: Mapped[Attempt] = relationship(back_populates="questions")


class AttemptGrant(db.Model):
    """Extra quiz attempts an operator or admin gave a person who ran out, and why (append-only)."""

    __tablename__ = "attempt_grants"
    __table_args__ = (
        # Two racing grants cannot both count the same step: each names the running total it reaches.
        UniqueConstraint("program_id", "person_id", "total_extra", name="uq_attempt_grants_program_person_total"),
        CheckConstraint("extra BETWEEN 1 AND 50", name="extra_range"),
        CheckConstraint("total_extra >= extra", name="total_covers_extra"),
        CheckConstraint("length(reason) >= 5", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    extra: Mapped[int] = mapped_column(Integer)
    #: The person's extra attempts in this program in all, this grant included.
    total_extra: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    granted_by: Mapped[Person | None] = relationship(foreign_keys=[granted_by_id])
