"""Funnel snapshots: the figures of a program counted per unit, so any subtree's report is a sum.

A refresh (``reports.snapshot.refresh``) recounts a whole program in one GROUP BY and replaces
its cells; a report page then adds up the cells of the chosen subtree (a few thousand rows
however many people). Completions never write here: nothing in the learner's transaction
waits on report bookkeeping.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import _enum
from ..core.clock import now_utc
from ..core.types import UTCDateTime
from ..extensions import db


class FunnelSnapshot(db.Model):
    """When a program's cells (and its day-by-day history) were last counted; one row per program,
    locked while a refresh runs so two refreshes never interleave."""

    __tablename__ = "funnel_snapshots"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    history_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How long the last count took, shown to admins and in the benchmark.
    count_ms: Mapped[int] = mapped_column(Integer, default=0)


class FunnelCell(db.Model):
    """The funnel of the program's people of one unit, jenis and golongan ('' when none).

    Cells and days are a cache rebuilt whole at each count, of programs and units that are never
    deleted: they carry no foreign keys, which would cost a trigger per row on every count."""

    __tablename__ = "funnel_cells"

    program_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jenis: Mapped[str] = mapped_column(String(20), primary_key=True)
    golongan: Mapped[str] = mapped_column(String(10), primary_key=True)
    targeted: Mapped[int] = mapped_column(Integer)
    started: Mapped[int] = mapped_column(Integer)
    modules: Mapped[int] = mapped_column(Integer)
    quiz: Mapped[int] = mapped_column(Integer)
    pact: Mapped[int] = mapped_column(Integer)
    certificate: Mapped[int] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[float] = mapped_column(Float)
    band_0: Mapped[int] = mapped_column(Integer)
    band_1: Mapped[int] = mapped_column(Integer)
    band_2: Mapped[int] = mapped_column(Integer)
    band_3: Mapped[int] = mapped_column(Integer)
    band_4: Mapped[int] = mapped_column(Integer)
    paired: Mapped[int] = mapped_column(Integer)
    pre_sum: Mapped[float] = mapped_column(Float)
    post_sum: Mapped[float] = mapped_column(Float)


class FunnelDay(db.Model):
    """How many of the program's people of one unit reached each step on one local day."""

    __tablename__ = "funnel_days"

    program_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    started: Mapped[int] = mapped_column(Integer, default=0)
    modules: Mapped[int] = mapped_column(Integer, default=0)
    quiz: Mapped[int] = mapped_column(Integer, default=0)
    pact: Mapped[int] = mapped_column(Integer, default=0)
    certificate: Mapped[int] = mapped_column(Integer, default=0)


class ReminderChannel(enum.StrEnum):
    """How a reminder reached a person."""

    WHATSAPP = "whatsapp"
    EMAIL = "email"


class SentReminder(db.Model):
    """One reminder to one person about one program: who sent it, when, by which channel.

    ``idempotency_key`` comes from the page that sent it (one per page view or batch): the same key
    for the same person is one reminder, so a double click or a resent form never counts twice."""

    __tablename__ = "sent_reminders"
    __table_args__ = (
        UniqueConstraint("idempotency_key", "person_id", name="uq_sent_reminders_key_person"),
        Index("ix_sent_reminders_program_person_sent", "program_id", "person_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[ReminderChannel] = mapped_column(_enum(ReminderChannel, "reminder_channel"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    idempotency_key: Mapped[str] = mapped_column(String(64))
