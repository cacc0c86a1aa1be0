"""Issue #4: the synchronized quiz start, the autosaves, the submits; then nothing may be lost.

N participants (all modules read) log in and open the quiz page first (not part of the start
figure). Then all of them press 'Mulai' within ``spread`` seconds: the start figure is POST
/kuis/mulai until the first question page has arrived (the redirect followed). Each person then
ticks one question after another, ``think`` seconds apart (±50 %), and every tick is saved by the
autosave endpoint with the whole form, exactly as static/js/quiz.js does; reloads the page to
check, takes one more look (``think`` ±50 %) and submits. The submits are timed apart by how many
people were in the quiz at that moment: the issue's target is "at 200 concurrent", i.e. with at
least 200 people in the quiz, not 200 POSTs released in the same instant (that burst would need
about 1 ms of machine time per submit on 2 cores, less than a bare Flask 'hello'). Finally the
database is read: one attempt per person, each scored, every answer stored as last sent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from netral_learn.courses.models import Enrollment
from netral_learn.extensions import db
from netral_learn.quiz.models import Attempt, AttemptQuestion, AttemptStatus

from .harness import Database, note
from .load import (
    StepReport,
    Target,
    busy_since,
    gunicorn,
    hello_rate,
    in_client_process,
    machine_busy,
    postgres,
    results_dir,
    seeded_site,
    server_shape,
    unavailable_reasons,
)
from .quizstart_client import CROWD, START, SUBMIT, Options, drive
from .table import Measurement

#: The machine-speed reference taken before the run (as the journey's page-vs-hello comparison).
HELLO_CONCURRENCY, HELLO_SECONDS = 50, 5.0

TARGETS = {
    START: Target(2000, "p95 < 2 s"),
    "answer save (autosave)": Target(300, "p95 < 300 ms"),
    SUBMIT: Target(100, f"p95 < 100 ms at {CROWD} concurrent"),
}


@dataclass
class Check:
    """What the database says after the run (counts of what went wrong; all 0 when clean)."""

    attempts: int
    duplicates: int
    unscored: int
    best_mismatch: int
    lost: int
    answers: int

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.unscored or self.best_mismatch or self.lost)


def _verify(program_id: int, people: int, sent: dict[int, list[int]]) -> Check:
    """Read back from the database: one attempt per person, scored once, every sent answer stored."""
    attempts = db.session.scalars(select(Attempt).where(Attempt.program_id == program_id)).all()
    per_person: dict[int, int] = {}
    for attempt in attempts:
        per_person[attempt.person_id] = per_person.get(attempt.person_id, 0) + 1
    unscored = sum(1 for a in attempts if a.status != AttemptStatus.SUBMITTED or a.score is None
                   or a.finished_at is None or any(q.credit is None for q in a.questions))
    best = dict(db.session.execute(select(Enrollment.person_id, Enrollment.quiz_best_score)
                                   .where(Enrollment.program_id == program_id)).all())
    mismatch = sum(1 for a in attempts if a.score is not None and best.get(a.person_id) != a.score)
    stored = dict(db.session.execute(select(AttemptQuestion.id, AttemptQuestion.selected)
                                     .where(AttemptQuestion.id.in_(list(sent)))).all()) if sent else {}
    lost = sum(1 for question, chosen in sent.items() if sorted(stored.get(question) or []) != chosen)
    return Check(len(attempts), sum(n - 1 for n in per_person.values()) + (people - len(per_person)), unscored,
                 mismatch, lost, len(sent))


def _spread(counts: list[int]) -> str:
    if not counts:
        return "–"
    ordered = sorted(counts)
    return f"max {ordered[-1]} · median {ordered[len(ordered) // 2]} · min {ordered[0]}"


def run(databases: list[Database], options: Options) -> list[Measurement]:
    database = postgres(databases)
    if database is None:
        return []
    with seeded_site(database, options.people) as site:
        logs = results_dir("quizstart")
        hello = hello_rate(site.env, logs, HELLO_CONCURRENCY, HELLO_SECONDS)
        busy = machine_busy()
        started = time.perf_counter()
        with gunicorn("app:app", site.env, logs) as server:
            outcome, client_cpu = in_client_process(drive, server.url, site.world, options)
            report = StepReport(database.label, outcome.recorder, server.requests())
        wall, machine = time.perf_counter() - started, busy_since(busy)
        with site.app.app_context():
            check = _verify(site.world.program_id, options.people, outcome.sent)
    for message in report.error_messages():
        note(f"quizstart error: {message}")
    for reason in unavailable_reasons(logs):
        note(f"quizstart 503: {reason}")
    note(f"quizstart: gunicorn logs in {logs}")
    label = database.label
    errors = report.error_total() + report.server_errors()
    return [
        *report.rows(TARGETS),
        Measurement(f"quizstart: {options.people} people, start window", label,
                    f"{outcome.start_window:.1f} s", f"first 'Mulai' → last first question; presses spread over "
                    f"{options.spread:g} s"),
        Measurement("quizstart: people in the quiz at each submit", label, _spread(outcome.in_quiz),
                    f"the submits came over {outcome.submit_window:.0f} s, as people finished"),
        Measurement("quizstart: errors", label, f"{errors}",
                    f"client-side failures {report.error_total()}, HTTP 5xx in the access log {report.server_errors()}",
                    "0", errors == 0),
        Measurement("quizstart: answers read back", label, f"{check.lost + outcome.unsaved} lost of {check.answers}",
                    f"after autosave (page reloaded) {outcome.unsaved}, after submit (database) {check.lost}; "
                    f"{check.attempts} attempts; {check.duplicates} people without exactly one; {check.unscored} not "
                    f"scored; {check.best_mismatch} best-score mismatches", "0 lost, each scored once",
                    check.clean and not outcome.unsaved),
        Measurement("quizstart: machine", label, f"{wall:.0f} s wall, CPU {machine:.0%} busy",
                    f"gunicorn {server_shape()}; the aiohttp client (1 process) shares the same cores and used "
                    f"{client_cpu:.0f} CPU-s"),
        Measurement("quizstart: machine speed (bare Flask hello)", "–", f"{hello[0]:,.0f} req/s",
                    f"just before the run, same gunicorn settings, {HELLO_CONCURRENCY} concurrent for "
                    f"{HELLO_SECONDS:g} s ({hello[1]} ok, {hello[2]} errors): compare runs made at different "
                    "moments by it"),
    ]
