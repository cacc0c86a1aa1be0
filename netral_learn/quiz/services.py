"""Quiz attempts: start (frozen draw), autosave, submit (scored exactly once), close abandoned.

Concurrency: an attempt row is the lock. Saving locks it (SELECT … FOR UPDATE on PostgreSQL;
SQLite serializes writers), and finishing is a conditional UPDATE ``… WHERE status = 'active'``,
so of two submits (two tabs, a double click, the closing job) exactly one scores. The attempt
limit holds under racing starts because (program, person, kind, number) is unique and only one
active attempt per person may exist (a partial unique index).
"""
from __future__ import annotations

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, event, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import Person
from ..core.errors import DomainError, OutOfScope
from ..core.i18n import local_today
from ..core.transactions import insert_or_nothing
from ..courses import services as course_services
from ..courses.models import Enrollment, Program
from ..courses import progress
from ..extensions import db
from . import grading
from .draw import NotEnoughQuestions, draw_questions, shuffled_options
from .models import (
    Attempt,
    AttemptKind,
    AttemptGrant,
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionOption,
    QuizSettings,
    ReviewMode,
)

ABANDONED_AFTER = timedelta(hours=24)


class QuizUnavailable(DomainError):
    status = 403
    default_message = _l("Kuis tidak dapat dimulai saat ini.")


class AttemptClosed(DomainError):
    status = 409
    default_message = _l("Percobaan ini sudah selesai; jawaban tidak dapat diubah lagi.")


# --- settings ------------------------------------------------------------------------------

def settings_for(program: Program) -> QuizSettings:
    """The program's quiz settings, or the defaults when an admin has not set any."""
    settings = db.session.get(QuizSettings, program.id)
    if settings is None:
        settings = QuizSettings(program_id=program.id, question_count=10, per_tag={}, min_per_tag=1, pass_mark=70,
                                max_attempts=3, time_limit_minutes=20, cooldown_minutes=0, grace_seconds=60,
                                review_mode=ReviewMode.AFTER_PASS, pretest_enabled=False,
                                review_after_last_attempt=False, max_extra_attempts=3)
    return settings


def bank_by_tag(course_id: int) -> dict[str, list[int]]:
    """Ids of the active questions of a course's bank, grouped by tag."""
    bank: dict[str, list[int]] = defaultdict(list)
    for question_id, tag in db.session.execute(
            select(Question.id, Question.tag).where(Question.course_id == course_id, Question.active.is_(True))):
        bank[tag or ""].append(question_id)
    return dict(bank)


@dataclass(frozen=True)
class Bank:
    """A course's active questions as an attempt freezes them (options in stored order)."""

    by_tag: dict[str, list[int]]
    questions: dict[int, dict]


def bank_of(course_id: int) -> Bank:
    """The bank for drawing and freezing: the active questions with their options, read as plain
    rows in one statement (no ORM objects: a bank has hundreds of options, and every 'Mulai' reads it)."""
    rows = db.session.execute(
        select(Question.id, Question.type, Question.text, Question.tag, Question.explanation, Question.basis,
               QuestionOption.id, QuestionOption.text, QuestionOption.is_correct)
        .join(QuestionOption, QuestionOption.question_id == Question.id)
        .where(Question.course_id == course_id, Question.active.is_(True))
        .order_by(Question.id, QuestionOption.position))
    by_tag: dict[str, list[int]] = defaultdict(list)
    questions: dict[int, dict] = {}
    for question_id, kind, text, tag, explanation, basis, option_id, option_text, correct in rows:
        frozen = questions.get(question_id)
        if frozen is None:
            by_tag[tag or ""].append(question_id)
            frozen = questions[question_id] = {"type": kind.value, "text": text, "tag": tag, "explanation": explanation,
                                               "basis": basis, "options": [], "correct": []}
        frozen["options"].append({"id": option_id, "text": option_text})
        if correct:
            frozen["correct"].append(option_id)
    return Bank(dict(by_tag), questions)


# --- reading attempts ----------------------------------------------------------------------

def attempts_of(person: Person, program: Program, kind: AttemptKind = AttemptKind.POST) -> list[Attempt]:
    return db.session.scalars(select(Attempt).where(
        Attempt.program_id == program.id, Attempt.person_id == person.id, Attempt.kind == kind,
    ).order_by(Attempt.number)).all()


def get_attempt_for(person: Person, program: Program, attempt_id: int, *, lock: bool = False) -> Attempt:
    """The person's own attempt in this program; 404 for anyone else's. ``lock``: read it with
    its row lock and questions at once, as the save or submit that follows would."""
    attempt = _locked(attempt_id) if lock else db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.person_id != person.id or attempt.program_id != program.id:
        raise OutOfScope()
    return attempt


def cutoff(attempt: Attempt) -> datetime | None:
    """The last moment an answer counts: deadline plus grace (None without a time limit)."""
    if attempt.deadline_at is None:
        return None
    return attempt.deadline_at + timedelta(seconds=attempt.grace_seconds)


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    limit = cutoff(attempt)
    return limit is not None and now > limit


@dataclass
class StartCheck:
    """Whether a new attempt may start now, and if not, why (in Indonesian)."""

    allowed: bool
    reason: object = None
    attempts_left: int | None = None


def can_start(person: Person, program: Program, kind: AttemptKind, now: datetime) -> StartCheck:
    """The rules before 'Mulai': right step, not passed yet, attempts left, cooldown over."""
    def journey():
        return course_services.journey_state(program, course_services.find_enrollment(person, program))

    return _start_check(settings_for(program), attempts_of(person, program, kind), kind, journey,
                        lambda: bool(attempts_of(person, program, AttemptKind.POST)), now,
                        lambda: extra_attempts(person, program))


def extra_attempts(person: Person, program: Program) -> int:
    """How many extra attempts operators and admins granted the person in this program (0 if none)."""
    return db.session.scalar(select(func.coalesce(func.max(AttemptGrant.total_extra), 0)).where(
        AttemptGrant.program_id == program.id, AttemptGrant.person_id == person.id)) or 0


def _start_check(settings: QuizSettings, attempts: list[Attempt], kind: AttemptKind, journey, has_post_test,
                 now: datetime, extra=lambda: 0) -> StartCheck:
    """can_start's rules on what the caller has loaded; ``journey``, ``has_post_test`` and
    ``extra`` (granted attempts) are asked only when the rule needs them."""
    if kind == AttemptKind.PRE:
        if not settings.pretest_enabled:
            return StartCheck(False, _l("Program ini tidak memakai pra-tes."))
        if attempts or has_post_test():
            return StartCheck(False, _l("Pra-tes hanya dapat dikerjakan sekali, sebelum kuis."))
        return StartCheck(True, attempts_left=1)
    if not journey().modules_done:
        return StartCheck(False, _l("Selesaikan semua modul terlebih dahulu."))
    if any(a.passed for a in attempts):
        return StartCheck(False, _l("Anda sudah lulus kuis ini."))
    finished = [a for a in attempts if a.status != AttemptStatus.ACTIVE]
    left = None if settings.max_attempts == 0 else max(settings.max_attempts - len(attempts), 0)
    if left == 0:  # only then are grants read: the crowd pressing 'Mulai' never pays for them
        left = max(settings.max_attempts + extra() - len(attempts), 0)
    if left == 0 and not any(a.status == AttemptStatus.ACTIVE for a in attempts):
        return StartCheck(False, _l("Kesempatan mengerjakan kuis sudah habis. Hubungi operator atau BKPSDM."), 0)
    if finished and settings.cooldown_minutes:
        ready_at = finished[-1].finished_at + timedelta(minutes=settings.cooldown_minutes)
        if now < ready_at:
            minutes = int((ready_at - now).total_seconds() // 60) + 1
            return StartCheck(False, _l("Tunggu %(n)d menit lagi sebelum mencoba kembali.", n=minutes), left)
    return StartCheck(True, attempts_left=left)


# --- starting ------------------------------------------------------------------------------

def active_attempt(person: Person, program: Program, kind: AttemptKind) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(
        Attempt.program_id == program.id, Attempt.person_id == person.id, Attempt.kind == kind,
        Attempt.status == AttemptStatus.ACTIVE))


def start_attempt(person: Person, program: Program, kind: AttemptKind, now: datetime,
                  rng: random.Random | None = None) -> Attempt:
    """Resume the active attempt, or start a new one with a frozen random draw.

    Everyone presses 'Mulai' in the same minute after an apel, so the database is asked for only
    the person's attempts (the active one among them), enrollment, settings and bank, then one
    insert for the attempt and one for its questions."""
    attempts = attempts_of(person, program, kind)
    current = next((a for a in attempts if a.status == AttemptStatus.ACTIVE), None)
    if current is not None:
        if not is_overdue(current, now):
            return current
        finish_attempt(current, now, AttemptStatus.EXPIRED)
    course_services.require_open(program, local_today(person))
    enrollment = course_services.find_enrollment(person, program)
    state = course_services.journey_state(program, enrollment)
    if kind == AttemptKind.POST and not progress.may_take_quiz(state):
        raise course_services.StepLocked()
    settings = settings_for(program)
    check = _start_check(settings, attempts, kind, lambda: state,
                         lambda: bool(attempts_of(person, program, AttemptKind.POST)), now,
                         lambda: extra_attempts(person, program))
    if not check.allowed:
        raise QuizUnavailable(check.reason)
    rng = rng or random.Random(secrets.randbits(64))
    bank = bank_of(program.course_version.course_id)
    try:
        question_ids = draw_questions(bank.by_tag, settings.question_count, settings.per_tag or {}, rng,
                                      settings.min_per_tag or 0)
    except NotEnoughQuestions:
        raise QuizUnavailable(_l("Bank soal kuis ini belum lengkap. Hubungi BKPSDM.")) from None
    # INSERT … ON CONFLICT DO NOTHING … RETURNING: no row when another request started an attempt
    # (the same number, or a second active one) at the same moment; then use that one. No savepoint.
    attempt = db.session.scalars(insert_or_nothing(Attempt).returning(Attempt), [dict(
        program_id=program.id, person_id=person.id, kind=kind, number=max((a.number for a in attempts), default=0) + 1,
        status=AttemptStatus.ACTIVE, started_at=now, last_activity_at=now, pass_mark=settings.pass_mark,
        grace_seconds=settings.grace_seconds,
        deadline_at=now + timedelta(minutes=settings.time_limit_minutes) if settings.time_limit_minutes else None,
    )]).first()
    if attempt is None:
        current = active_attempt(person, program, kind)
        if current is None:
            raise QuizUnavailable(_l("Percobaan lain sedang dimulai. Muat ulang halaman."))
        return current
    # The questions in one INSERT … RETURNING, loaded as the attempt's collection: the first
    # question page is built without reading them.
    questions = db.session.scalars(
        insert(AttemptQuestion).returning(AttemptQuestion, sort_by_parameter_order=True),
        [{"attempt_id": attempt.id, "position": i, "question_id": qid, "snapshot": _snapshot(bank.questions[qid], rng)}
         for i, qid in enumerate(question_ids)]).all()
    set_committed_value(attempt, "questions", questions)
    if kind == AttemptKind.POST and enrollment is None:
        course_services.enroll(person, program)
    return attempt


def _snapshot(frozen: dict, rng: random.Random) -> dict:
    """The question as this attempt shows it: its options in this attempt's own order."""
    by_id = {o["id"]: o for o in frozen["options"]}
    order = shuffled_options(list(by_id), frozen["type"], rng)
    return {**frozen, "options": [by_id[oid] for oid in order], "correct": list(frozen["correct"])}


# --- answering -----------------------------------------------------------------------------

def _lock(attempt: Attempt) -> Attempt:
    """Re-read the attempt (and its questions) with a row lock, so saves and submits of one
    attempt take turns; once per transaction (a submit's own save does not lock again)."""
    if attempt.id in db.session.info.get("locked_attempts", ()):
        return attempt
    return _locked(attempt.id)


def _locked(attempt_id: int) -> Attempt | None:
    attempt = db.session.scalars(select(Attempt).where(Attempt.id == attempt_id).options(
        selectinload(Attempt.questions)).with_for_update().execution_options(populate_existing=True)).first()
    if attempt is not None:
        db.session.info.setdefault("locked_attempts", set()).add(attempt.id)
    return attempt


def _forget_locks(session, *_args) -> None:
    session.info.pop("locked_attempts", None)


for _end in ("after_commit", "after_soft_rollback"):  # a savepoint rolled back gives up its row locks too
    event.listen(Session, _end, _forget_locks)


def _store_answers(attempt: Attempt, answers: dict[int, list[int]], now: datetime) -> int:
    """Put the chosen options of the given questions on the attempt (in memory); how many changed."""
    by_id = {aq.id: aq for aq in attempt.questions}
    saved = 0
    for question_id, selected in answers.items():
        item = by_id.get(question_id)
        if item is None:
            continue
        option_ids = [o["id"] for o in item.snapshot["options"]]
        try:
            clean = grading.kind_of(item.snapshot["type"]).clean(selected, option_ids)
        except grading.InvalidSelection:
            continue
        if clean != (item.selected or []) or item.saved_at is None:
            item.selected = clean
            item.saved_at = now
            saved += 1
    attempt.last_activity_at = now
    return saved


def save_answers(attempt: Attempt, answers: dict[int, list[int]], now: datetime) -> int:
    """Autosave: store the chosen options of the given questions; refused once finished or late."""
    attempt = _lock(attempt)
    if attempt.status != AttemptStatus.ACTIVE:
        raise AttemptClosed()
    if is_overdue(attempt, now):
        raise AttemptClosed(_l("Waktu kuis sudah habis; jawaban yang tersimpan sebelumnya akan dinilai."))
    saved = _store_answers(attempt, answers, now)
    db.session.flush()
    return saved


def blank_questions(attempt: Attempt, answers: dict[int, list[int]], now: datetime) -> list[int]:
    """Before a submit: keep the posted answers and list the numbers (1-based) of the questions still
    blank, so the person can be asked first. Empty when nothing is blank, or when the attempt is
    finished or past its time (the submit then goes ahead and scores what counts)."""
    attempt = _lock(attempt)
    if attempt.status != AttemptStatus.ACTIVE or is_overdue(attempt, now):
        return []
    _store_answers(attempt, answers, now)
    db.session.flush()
    return [number for number, item in enumerate(attempt.questions, 1) if not item.selected]


def submit_attempt(attempt: Attempt, answers: dict[int, list[int]] | None, now: datetime) -> Attempt:
    """Save the last answers (if still in time) and score the attempt, exactly once. The last
    answers, the score and the credits go to the database together, in the scoring's flush."""
    attempt = _lock(attempt)
    if attempt.status != AttemptStatus.ACTIVE:
        return attempt
    overdue = is_overdue(attempt, now)
    if _claim(attempt, now, AttemptStatus.EXPIRED if overdue else AttemptStatus.SUBMITTED):
        if answers and not overdue:
            _store_answers(attempt, answers, now)
        _score(attempt, now)
    return attempt


def finish_attempt(attempt: Attempt, now: datetime, status: AttemptStatus) -> bool:
    """Claim the attempt (active → finished) and score it; False if someone else finished it first."""
    if not _claim(attempt, now, status):
        return False
    _score(attempt, now)
    return True


def _claim(attempt: Attempt, now: datetime, status: AttemptStatus) -> bool:
    """active → ``status`` by a conditional UPDATE: of two finishers (two tabs, a double click,
    the closing job) exactly one gets True, on SQLite too where there is no row lock."""
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.ACTIVE)
        .values(status=status, finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.refresh(attempt)  # someone else's result
        return False
    set_committed_value(attempt, "status", status)  # what the UPDATE wrote: no reload needed
    set_committed_value(attempt, "finished_at", now)
    return True


def _score(attempt: Attempt, now: datetime) -> None:
    """Credit each question on what was saved by the cutoff, then the score and the enrollment."""
    credits = []
    for item in attempt.questions:
        item.credit = grading.kind_of(item.snapshot["type"]).credit(
            counted_selection(attempt, item), item.snapshot["correct"], [o["id"] for o in item.snapshot["options"]])
        credits.append(item.credit)
    attempt.score = grading.score_percent(credits)
    attempt.passed = grading.passed(attempt.score, attempt.pass_mark)
    db.session.flush()
    _record_result(attempt, now)


def _record_result(attempt: Attempt, now: datetime) -> None:
    """Keep the best post-test score (and the pre-test score) on the enrollment; passing unlocks
    the pact. One UPDATE that compares in SQL: no read, and no lock held while Python decides."""
    where = (Enrollment.program_id == attempt.program_id, Enrollment.person_id == attempt.person_id)
    if attempt.kind == AttemptKind.PRE:
        values = {"pretest_score": attempt.score}
    else:
        values = {"quiz_best_score": case((or_(Enrollment.quiz_best_score.is_(None),
                                                Enrollment.quiz_best_score < attempt.score), attempt.score),
                                          else_=Enrollment.quiz_best_score)}
        if attempt.passed:
            values["quiz_passed_at"] = func.coalesce(Enrollment.quiz_passed_at, now)
    db.session.execute(update(Enrollment).where(*where).values(**values)
                       .execution_options(synchronize_session="fetch"))


def close_abandoned(now: datetime) -> int:
    """Score attempts whose time ran out, or untimed ones idle for a day; never a live one."""
    candidates = db.session.scalars(select(Attempt).where(
        Attempt.status == AttemptStatus.ACTIVE,
        or_(Attempt.deadline_at.is_not(None), Attempt.last_activity_at < now - ABANDONED_AFTER),
    )).all()
    closed = 0
    for attempt in candidates:
        overdue = is_overdue(attempt, now)
        idle = attempt.deadline_at is None and attempt.last_activity_at < now - ABANDONED_AFTER
        if (overdue or idle) and finish_attempt(attempt, now, AttemptStatus.EXPIRED):
            closed += 1
    return closed


# --- results -------------------------------------------------------------------------------

def may_review(attempt: Attempt, settings: QuizSettings, attempts_left: int | None = None) -> bool:
    """Show correct answers after submit as the program allows: immediately, after passing, never;
    and, when the admin allows it, after a failed attempt that was the last one left."""
    if attempt.status == AttemptStatus.ACTIVE:
        return False
    if settings.review_mode == ReviewMode.IMMEDIATELY:
        return True
    if settings.review_mode == ReviewMode.AFTER_PASS and attempt.passed:
        return True
    return bool(settings.review_after_last_attempt and attempt.kind == AttemptKind.POST
                and not attempt.passed and attempts_left == 0)


def attempts_left(settings: QuizSettings, attempts: list[Attempt]) -> int | None:
    """Post-test attempts a person may still start (None: unlimited)."""
    if settings.max_attempts == 0:
        return None
    return max(settings.max_attempts - len(attempts), 0)


@dataclass(frozen=True)
class ModuleToReread:
    """A module whose questions the person missed, to read again (``number`` is 1-based)."""

    number: int
    title: str
    missed: int


@dataclass(frozen=True)
class AttemptOutcome:
    """Everything the result page says after an attempt: the score against the pass mark, what is
    left to try, which modules to read again, whether the review is shown (and if not, when it
    will be), and for an attempt the clock closed, which answers were saved in time."""

    attempt: Attempt
    attempts_left: int | None
    review: bool
    review_note: object
    reread: list[ModuleToReread]
    expired: bool
    saved: list[int]
    unsaved: list[int]


def counted_selection(attempt: Attempt, item: AttemptQuestion) -> list[int]:
    """The options of one question that count: those saved by the attempt's cutoff."""
    limit = cutoff(attempt)
    if item.saved_at is None or (limit is not None and item.saved_at > limit):
        return []
    return list(item.selected or [])


def modules_to_reread(program: Program, attempt: Attempt) -> list[ModuleToReread]:
    """The modules (by the missed questions' tags = module slugs) in course order; a tag that
    names no module of the program's course is left out."""
    missed: dict[str, int] = defaultdict(int)
    for item in attempt.questions:
        if (item.credit or 0) < 1:
            missed[item.snapshot.get("tag") or ""] += 1
    return [ModuleToReread(module.position + 1, module.title, missed[module.slug])
            for module in program.course_version.modules if missed.get(module.slug)]


def outcome_of(person: Person, program: Program, attempt: Attempt) -> AttemptOutcome:
    """What to tell the person after a finished attempt (see :class:`AttemptOutcome`)."""
    settings = settings_for(program)
    left = attempts_left(settings, attempts_of(person, program)) if attempt.kind == AttemptKind.POST else None
    review = may_review(attempt, settings, left)
    note = None
    if not review and attempt.kind == AttemptKind.POST:
        if settings.review_mode == ReviewMode.AFTER_PASS and settings.review_after_last_attempt:
            note = _l("Pembahasan soal ditampilkan setelah Anda lulus, atau setelah kesempatan terakhir.")
        elif settings.review_mode == ReviewMode.AFTER_PASS:
            note = _l("Pembahasan soal ditampilkan setelah Anda lulus.")
        elif settings.review_after_last_attempt:
            note = _l("Pembahasan soal ditampilkan setelah kesempatan terakhir Anda.")
        else:
            note = _l("Pembahasan soal tidak ditampilkan pada kuis ini.")
    counted = [bool(counted_selection(attempt, item)) for item in attempt.questions]
    return AttemptOutcome(
        attempt=attempt, attempts_left=left, review=review, review_note=note,
        reread=modules_to_reread(program, attempt) if attempt.kind == AttemptKind.POST and not attempt.passed else [],
        expired=attempt.status == AttemptStatus.EXPIRED,
        saved=[n for n, ok in enumerate(counted, 1) if ok],
        unsaved=[n for n, ok in enumerate(counted, 1) if not ok],
    )


def best_score(person: Person, program: Program) -> float | None:
    return db.session.scalar(select(func.max(Attempt.score)).where(
        Attempt.program_id == program.id, Attempt.person_id == person.id, Attempt.kind == AttemptKind.POST))


@dataclass
class QuestionStat:
    question: Question
    answered: int
    percent_correct: float
    top_wrong_option: str | None
    top_wrong_count: int


def question_stats(program: Program) -> list[QuestionStat]:
    """Per question of the program's finished attempts: % fully correct, most-chosen wrong option."""
    rows = db.session.execute(
        select(AttemptQuestion.question_id, AttemptQuestion.credit, AttemptQuestion.selected, AttemptQuestion.snapshot)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.program_id == program.id, Attempt.status != AttemptStatus.ACTIVE,
               Attempt.kind == AttemptKind.POST)
    )
    answered: dict[int, int] = defaultdict(int)
    correct: dict[int, int] = defaultdict(int)
    wrong_picks: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    option_text: dict[int, str] = {}
    for question_id, credit, selected, snapshot in rows:
        answered[question_id] += 1
        correct[question_id] += 1 if (credit or 0) >= 1 else 0
        right = set(snapshot["correct"])
        for option in snapshot["options"]:
            option_text[option["id"]] = option["text"]
        for option_id in selected or []:
            if option_id not in right:
                wrong_picks[question_id][option_id] += 1
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(list(answered))))}
    stats = []
    for question_id, count in answered.items():
        top = max(wrong_picks[question_id].items(), key=lambda kv: kv[1], default=(None, 0))
        stats.append(QuestionStat(questions[question_id], count, round(100 * correct[question_id] / count, 1),
                                  option_text.get(top[0]) if top[0] else None, top[1]))
    return sorted(stats, key=lambda s: s.percent_correct)
