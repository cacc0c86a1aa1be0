"""Issue #4, in-process: what one "Mulai" costs the app itself, with no queueing and no client.

The quizstart scenario's p95 is mostly waiting for a free core: 500 starts share 2 cores, so its
figure follows the machine's time per start. This scenario measures that time where it is steady:
the production app (APP_ENV=production, PostgreSQL, Redis: login copies) called through Flask's test client in this process. N people log in (form, CSRF token,
POST, beranda) and open the quiz page, as in quizstart; then each presses "Mulai" once and must get
the first question page (200, the quiz form). Timed: the CPU time of this process over the
presses (the database's own work is not in it), the SQL statements they sent, and the wall time
per start. The first ``WARM`` presses are not timed (first use of each statement and template).
"""
from __future__ import annotations

import os
import time

from sqlalchemy import event

from netral_learn import create_app
from netral_learn.extensions import db

from .harness import Database, note
from .load import postgres, seeded_site
from .load_client import PASSWORD, csrf_token
from .table import Measurement

PEOPLE = 150
WARM = 10
_HOST = "http://127.0.0.1"  # the site's TRUSTED_HOSTS


def run(databases: list[Database], people: int = PEOPLE) -> list[Measurement]:
    database = postgres(databases)
    if database is None:
        return []
    with seeded_site(database, people) as site:
        app = create_app({"ENV_MAPPING": {**os.environ, **site.env}})
        path = f"/program/{site.world.program_id}/kuis"
        note(f"startcost: {people} people log in and open the quiz page in-process")
        ready = [_ready(app, nip, path) for nip, _name in site.world.people]
        with app.app_context():
            engine = db.engine
        sent = [0]

        def count(*_args):
            sent[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        try:
            for client, token in ready[:WARM]:
                _start(client, path, token)
            sent[0] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for client, token in ready[WARM:]:
                _start(client, path, token)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            event.remove(engine, "before_cursor_execute", count)
    timed = len(ready) - WARM
    return [Measurement(
        "quiz start in-process (POST + first question page)", database.label,
        f"{cpu / timed * 1000:.1f} ms CPU · {sent[0] / timed:.1f} SQL statements",
        f"per start, {timed} starts after {WARM} untimed; wall {wall / timed * 1000:.1f} ms each; production "
        "settings with Redis, Flask test client, this process's CPU only (not PostgreSQL's)")]


def _ready(app, nip: str, path: str):
    """A logged-in test client on the quiz page, and the page's CSRF token."""
    client = app.test_client()
    form = client.get("/masuk", base_url=_HOST)
    landed = client.post("/masuk", base_url=_HOST, follow_redirects=True, data={
        "nip": nip, "password": PASSWORD, "csrf_token": csrf_token(form.get_data(as_text=True))})
    if landed.status_code != 200 or landed.request.path != "/":
        raise RuntimeError(f"startcost: login of {nip} ended with {landed.status_code} at {landed.request.path}")
    page = client.get(path, base_url=_HOST)
    return client, csrf_token(page.get_data(as_text=True))


def _start(client, path: str, token: str) -> None:
    response = client.post(f"{path}/mulai", base_url=_HOST, data={"csrf_token": token})
    if response.status_code != 200 or b'id="quiz-form"' not in response.data:
        raise RuntimeError(f"startcost: 'Mulai' answered {response.status_code}, not the first question page")
