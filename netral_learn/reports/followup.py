"""Tindak lanjut: the targeted people who have not completed a program, and where each one stopped.

The stage is computed in SQL (a CASE over the enrollment's timestamps and the pact signature's
status), so the list filters by stage, unit and jenis and pages in the database.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from ..accounts.models import Jenis, Person, Unit
from ..certificates.models import Certificate
from ..core.clock import now_utc
from ..accounts.scope import subtree_clause
from ..courses.models import Enrollment, Module, ModuleProgress, Program
from ..core.transactions import on_postgresql
from ..extensions import db
from ..pact.models import PactSignature, SignatureStatus
from ..quiz.models import Attempt, AttemptGrant, AttemptKind, AttemptStatus
from ..quiz.services import settings_for as quiz_settings_for
from .funnel import JENIS_LABELS, population, targeted_unit_ids
from .models import ReminderChannel, SentReminder


class Stage(enum.StrEnum):
    """Where a person who has not completed stopped (values appear in URLs)."""

    NOT_STARTED = "belum-mulai"
    MODULES = "modul"
    QUIZ = "kuis"
    PACT = "pakta"
    WITNESS = "saksi"
    CERTIFICATE = "sertifikat"
    REVOKED = "dicabut"


STAGE_LABELS = {
    Stage.NOT_STARTED: _l("Belum mulai"),
    Stage.MODULES: _l("Membaca modul"),
    Stage.QUIZ: _l("Kuis"),
    Stage.PACT: _l("Pakta"),
    Stage.WITNESS: _l("Menunggu saksi"),
    Stage.CERTIFICATE: _l("Menunggu sertifikat"),
    Stage.REVOKED: _l("Sertifikat dicabut"),
}


@dataclass
class FollowupRow:
    """One person in the list, with the facts the page, the exports and the reminders need."""

    person_id: int
    name: str
    nip: str
    jenis: Jenis
    golongan: str | None
    email: str | None
    unit_name: str
    stage: Stage
    modules_done: int
    best_score: float | None
    phone: str | None = None
    #: Finished post-test attempts, and the extra attempts granted (for "perlu bantuan").
    attempts_used: int = 0
    extra_granted: int = 0
    locked_until: datetime | None = None
    #: Out of quiz attempts or locked out of login: the operator must act, not remind.
    help: Help | None = None
    #: The latest reminder about this program: when, and by which channel (ReminderChannel value).
    reminded_at: datetime | None = None
    reminded_by: str | None = None
    #: Never logged in, and the first password on their slip no longer works.
    first_password_expired: bool = False


class Help(enum.StrEnum):
    """Why a person needs an operator rather than a reminder (values appear in URLs)."""

    OUT_OF_ATTEMPTS = "percobaan-habis"
    LOCKED = "terkunci"
    FIRST_PASSWORD_EXPIRED = "sandi-awal-kedaluwarsa"


HELP_LABELS = {
    Help.OUT_OF_ATTEMPTS: _l("Percobaan kuis habis"),
    Help.LOCKED: _l("Akun terkunci"),
    Help.FIRST_PASSWORD_EXPIRED: _l("Kata sandi awal kedaluwarsa"),
}
CHANNEL_LABELS = {
    ReminderChannel.WHATSAPP.value: _l("WhatsApp"),
    ReminderChannel.EMAIL.value: _l("email"),
}
HELP_ACTIONS = {
    Help.OUT_OF_ATTEMPTS: _l("Beri percobaan tambahan"),
    Help.LOCKED: _l("Buka kunci akun"),
    Help.FIRST_PASSWORD_EXPIRED: _l("Buat kata sandi awal baru"),
}


def module_count(program: Program) -> int:
    """How many modules the program's course version has (the n of "modul x dari n")."""
    return db.session.scalar(select(func.count(Module.id)).where(Module.version_id == program.course_version_id)) or 0


def _stage_column(program: Program):
    """SQL CASE naming the stage of a person of :func:`funnel.population`."""
    awaiting = exists(select(PactSignature.id).where(
        PactSignature.program_id == program.id, PactSignature.person_id == Person.id,
        PactSignature.status == SignatureStatus.AWAITING_WITNESSES))
    earlier = aliased(Certificate)  # the outer query already joins the valid certificate
    revoked = exists(select(earlier.id).where(
        earlier.program_id == program.id, earlier.person_id == Person.id, earlier.revoked_at.is_not(None)))
    return case(
        (Enrollment.id.is_(None), Stage.NOT_STARTED.value),
        (Enrollment.modules_completed_at.is_(None), Stage.MODULES.value),
        (Enrollment.quiz_passed_at.is_(None), Stage.QUIZ.value),
        (and_(Enrollment.pact_signed_at.is_(None), awaiting), Stage.WITNESS.value),
        (Enrollment.pact_signed_at.is_(None), Stage.PACT.value),
        (revoked, Stage.REVOKED.value),
        else_=Stage.CERTIFICATE.value,
    )


def _help_columns(program: Program):
    """(finished post-test attempts, extra attempts granted, out-of-attempts condition) as SQL."""
    used = (select(func.count(Attempt.id))
            .where(Attempt.program_id == program.id, Attempt.person_id == Person.id,
                   Attempt.kind == AttemptKind.POST, Attempt.status != AttemptStatus.ACTIVE)
            .scalar_subquery())
    extra = (select(func.coalesce(func.max(AttemptGrant.total_extra), 0))
             .where(AttemptGrant.program_id == program.id, AttemptGrant.person_id == Person.id)
             .scalar_subquery())
    base = quiz_settings_for(program).max_attempts
    out = false() if not base else and_(Enrollment.modules_completed_at.is_not(None),
                                         Enrollment.quiz_passed_at.is_(None), used >= base + extra)
    return used, extra, out


def followup_query(program: Program, unit: Unit, *, stage: Stage | None = None, jenis: Jenis | None = None,
                   needs_help: bool = False, now: datetime | None = None):
    """SELECT of the people under ``unit`` who have no valid certificate yet, by unit and name;
    ``needs_help``: only those out of quiz attempts or locked out of login at ``now``."""
    done = (select(func.count(ModuleProgress.id)).join(Module, Module.id == ModuleProgress.module_id)
            .where(ModuleProgress.enrollment_id == Enrollment.id, ModuleProgress.completed_at.is_not(None),
                   Module.version_id == program.course_version_id)
            .scalar_subquery())
    stage_column = _stage_column(program)
    used, extra, out = _help_columns(program)
    expired = _first_password_expired(now)
    latest = (select(SentReminder.sent_at, SentReminder.channel)
              .where(SentReminder.program_id == program.id, SentReminder.person_id == Person.id)
              .order_by(SentReminder.sent_at.desc(), SentReminder.id.desc()).limit(1))
    query = population(
        program, unit, Person.id, Person.name, Person.nip, Person.jenis, Person.golongan, Person.email,
        Unit.name, stage_column.label("stage"), func.coalesce(done, 0), Enrollment.quiz_best_score,
        Person.phone, used, extra, Person.locked_until,
        latest.with_only_columns(SentReminder.sent_at).scalar_subquery(),
        latest.with_only_columns(SentReminder.channel).scalar_subquery(), expired,
        unit_ids=targeted_unit_ids(program, within=unit),
    ).where(Certificate.id.is_(None)).order_by(Unit.name, Unit.id, Person.name, Person.id)
    if stage is not None:
        query = query.where(stage_column == stage.value)
    if jenis is not None:
        query = query.where(Person.jenis == jenis)
    if needs_help:
        query = query.where(or_(out, Person.locked_until > (now or now_utc()), expired))
    return query


def _first_password_expired(now: datetime | None):
    """SQL: the person still holds a generated first password issued before the expiry cutoff."""
    from ..accounts.activation import expiry_cutoff

    return and_(Person.initial_password_enc.is_not(None),
                func.coalesce(Person.initial_password_at, Person.created_at) <= expiry_cutoff(now))


def _channel(value) -> str | None:
    return None if value is None else getattr(value, "value", value)


def _help(row: FollowupRow, base: int, now: datetime) -> Help | None:
    if base and row.stage == Stage.QUIZ and row.attempts_used >= base + row.extra_granted:
        return Help.OUT_OF_ATTEMPTS
    if row.locked_until is not None and row.locked_until > now:
        return Help.LOCKED
    if row.first_password_expired:
        return Help.FIRST_PASSWORD_EXPIRED
    return None


def _rows(result, base: int = 0, now: datetime | None = None) -> list[FollowupRow]:
    now = now or now_utc()
    rows = [FollowupRow(person_id, name, nip, Jenis(jenis), golongan, email, unit_name, Stage(stage), int(done or 0),
                        score, phone, int(used or 0), int(extra or 0), locked, None, reminded_at,
                        _channel(channel), bool(expired))
            for person_id, name, nip, jenis, golongan, email, unit_name, stage, done, score, phone, used, extra, locked,
            reminded_at, channel, expired in result]
    for row in rows:
        row.help = _help(row, base, now)
    return rows


#: PostgreSQL settings for reading a whole list through a cursor, for the rest of the transaction:
#: plan for every row, not the first 10 % (a cursor's default, which picks an index probe per
#: person), and sort in memory rather than on disk. 100,000 of a million people: 6 s → 3 s.
_WHOLE_LIST = {"cursor_tuple_fraction": "1", "work_mem": "64MB", "jit": "off"}


def iter_rows(query, batch: int = 1000, program: Program | None = None):
    """Every row of a follow-up query, fetched ``batch`` at a time (for exports and reminders);
    with ``program``, each row says whether the person needs help."""
    if on_postgresql():
        db.session.execute(select(*(func.set_config(name, value, True) for name, value in _WHOLE_LIST.items())))
    base = quiz_settings_for(program).max_attempts if program is not None else 0
    result = db.session.execute(query.execution_options(yield_per=batch))
    for chunk in result.partitions():
        yield from _rows(chunk, base)


@dataclass
class RowPage:
    """One page of rows, shaped like Flask-SQLAlchemy's Pagination for the ``pagination`` macro."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def count_rows(query) -> int:
    """How many rows a follow-up query returns (a COUNT over it)."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def page_of(query, page: int, per_page: int, program: Program | None = None) -> RowPage:
    """Rows of ``page`` (1-based; out-of-range pages clamp to the last); with ``program``, each row
    says whether the person needs help."""
    total = count_rows(query)
    page = min(max(1, page), max(1, math.ceil(total / per_page)))
    base = quiz_settings_for(program).max_attempts if program is not None else 0
    items = _rows(db.session.execute(query.limit(per_page).offset((page - 1) * per_page)), base)
    return RowPage(items, page, per_page, total)


def stage_counts(program: Program, unit: Unit) -> dict[Stage, int]:
    """How many people stopped at each stage (one GROUP BY)."""
    stage_column = _stage_column(program).label("stage")
    query = (population(program, unit, stage_column, func.count(Person.id))
             .where(Certificate.id.is_(None)).group_by(stage_column))
    counts = {Stage(stage): int(n) for stage, n in db.session.execute(query)}
    return {stage: counts.get(stage, 0) for stage in Stage}


def help_count(program: Program, unit: Unit, now: datetime | None = None) -> int:
    """How many people under ``unit`` need help ("perlu bantuan")."""
    return count_rows(followup_query(program, unit, needs_help=True, now=now))


def describe_filters(stage: Stage | None, jenis: Jenis | None, needs_help: bool) -> str:
    """The filters of a list in words, for its printed and exported copies ('Kuis · PNS · Perlu bantuan')."""
    parts = [str(STAGE_LABELS[stage]) if stage else gettext("Semua tahap")]
    if jenis is not None:
        parts.append(str(JENIS_LABELS[jenis]))
    if needs_help:
        parts.append(gettext("Hanya yang perlu bantuan"))
    return " · ".join(parts)


def where_stopped(row: FollowupRow, modules: int) -> str:
    """'Belum mulai', 'Modul 2 dari 5', 'Kuis', 'Pakta', 'Menunggu saksi', 'Menunggu sertifikat', …"""
    if row.stage == Stage.MODULES:
        return str(_l("Modul %(done)d dari %(total)d", done=row.modules_done, total=modules))
    return str(STAGE_LABELS[row.stage])


EXPORT_HEADERS = (_l("Nama"), _l("NIP / ID"), _l("Jenis"), _l("Golongan"), _l("Unit kerja"), _l("Email"),
                  _l("Berhenti di"), _l("Nilai kuis terbaik"), _l("Telepon"), _l("Perlu bantuan"),
                  _l("Terakhir diingatkan"))
EXPORT_WIDTHS = (32, 22, 10, 10, 36, 30, 22, 12, 18, 22, 30)
#: XLSX number formats per column: the best score is a number with one decimal.
EXPORT_FORMATS = (None, None, None, None, None, None, None, "#,##0.0", None, None, None)


def export_rows(rows, modules: int, zone: str | None = None):
    """Follow-up rows as plain cell values, in EXPORT_HEADERS order (labels translated once per
    export, not per row: an export may hold hundreds of thousands of rows); times in ``zone``."""
    from ..core.i18n import DEFAULT_ZONE, format_datetime_zone

    jenis = {key: str(label) for key, label in JENIS_LABELS.items()}
    stopped = {stage: str(label) for stage, label in STAGE_LABELS.items()}
    helps = {key: str(label) for key, label in HELP_LABELS.items()}
    channels = {key: str(label) for key, label in CHANNEL_LABELS.items()}
    in_module = gettext("Modul %(done)d dari %(total)d")
    for row in rows:
        stage = in_module % {"done": row.modules_done, "total": modules} if row.stage == Stage.MODULES \
            else stopped[row.stage]
        reminded = "" if row.reminded_at is None else \
            f"{format_datetime_zone(row.reminded_at, zone or DEFAULT_ZONE)} · {channels.get(row.reminded_by, '')}"
        yield [row.name, row.nip, jenis[row.jenis], row.golongan or "", row.unit_name, row.email or "", stage,
               row.best_score if row.best_score is not None else "", row.phone or "",
               helps[row.help] if row.help else "", reminded]


def unit_choices(unit: Unit) -> list[tuple[int, str]]:
    """(id, name with its path below ``unit``) of the active units in ``unit``'s subtree."""
    units = db.session.scalars(select(Unit).where(subtree_clause(Unit.path, unit.path), Unit.active.is_(True))).all()
    names = {u.id: u.name for u in units}
    labels = []
    for u in units:
        parts = [names[i] for i in u.ancestor_ids if i in names]
        labels.append((u.id, " › ".join(parts)))
    return sorted(labels, key=lambda item: item[1].lower())
