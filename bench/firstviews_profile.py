"""One module first view's CPU, and where its milliseconds go, in this process: ``python
bench/firstviews_profile.py PEOPLE.json`` run from the root of the tree to measure (it imports that
tree's ``netral_learn``), with the production settings in the environment (firstviews.py passes
them). Each person logs in through the Flask test client and walks the modules as in the load
scenario; the module GETs are timed: CPU (this process), and the wall time spent in SQL (cursor
execution, the database's own time included), in template rendering and in the commit (each
without the SQL run inside it); the rest is the login check, the hooks and Flask. Also the hit rate of
the login copy over those walks (requests that read no login session from the database). Prints
one line of JSON.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time

sys.path.insert(0, os.getcwd())

from flask import before_render_template, template_rendered  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from netral_learn import create_app  # noqa: E402
from netral_learn.extensions import db  # noqa: E402

_HOST = "http://127.0.0.1"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "Kuat#Sandi-2026"
WARM = 5


class Clock:
    """Wall time per part while ``on``; SQL inside a template or a commit counts as SQL only."""

    def __init__(self):
        self.on = False
        self.parts = {"sql": 0.0, "template": 0.0, "commit": 0.0}
        self.statements = 0
        self.counting = False  #: count the login reads (module GETs and 'done' POSTs after the login)
        self.login_reads = 0
        self._open: dict[str, list[float]] = {}  # part → [started, SQL seconds inside it]
        self._sql_started = 0.0

    def begin(self, part: str) -> None:
        if self.on:
            self._open[part] = [time.perf_counter(), 0.0]

    def end(self, part: str) -> None:
        opened = self._open.pop(part, None)
        if opened is not None:
            self.parts[part] += time.perf_counter() - opened[0] - opened[1]

    def sql_begin(self, _conn, _cursor, statement, *_args) -> None:
        self._sql_started = time.perf_counter()
        if self.counting and "FROM login_sessions" in statement:
            self.login_reads += 1

    def sql_end(self, *_args) -> None:
        if not self.on:
            return
        spent = time.perf_counter() - self._sql_started
        self.parts["sql"] += spent
        self.statements += 1
        for opened in self._open.values():
            opened[1] += spent


def main(path: str) -> None:
    spec = json.load(open(path))
    app = create_app({"ENV_MAPPING": dict(os.environ)})
    clock = Clock()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", clock.sql_begin)
    event.listen(engine, "after_cursor_execute", clock.sql_end)
    event.listen(Session, "before_commit", lambda _s: clock.begin("commit"))
    event.listen(Session, "after_commit", lambda _s: clock.end("commit"))
    before_render_template.connect(lambda *_a, **_k: clock.begin("template"), app, weak=False)
    template_rendered.connect(lambda *_a, **_k: clock.end("template"), app, weak=False)
    program = f"/program/{spec['program']}"
    cpu = wall = done_cpu = 0.0
    views = posts = 0
    for index, nip in enumerate(spec["people"]):
        client = app.test_client()
        form = client.get("/masuk", base_url=_HOST)
        client.post("/masuk", base_url=_HOST, data={"nip": nip, "password": PASSWORD,
                                                   "csrf_token": _TOKEN.search(form.get_data(as_text=True))[1]})
        timed = index >= WARM
        clock.counting = timed
        for number in range(1, spec["modules"] + 1):
            clock.on = timed
            started_cpu, started = time.process_time(), time.perf_counter()
            page = client.get(f"{program}/modul/{number}", base_url=_HOST)
            spent_cpu, spent = time.process_time() - started_cpu, time.perf_counter() - started
            clock.on = False
            text = page.get_data(as_text=True)
            if page.status_code != 200 or "Saya sudah membaca" not in text:
                raise SystemExit(f"module {number} answered {page.status_code}")
            started_cpu = time.process_time()
            sent = client.post(f"{program}/modul/{number}/selesai", base_url=_HOST,
                               data={"csrf_token": _TOKEN.search(text)[1]})
            if sent.status_code != 302:
                raise SystemExit(f"'done' on module {number} answered {sent.status_code}")
            if timed:
                cpu, wall, views = cpu + spent_cpu, wall + spent, views + 1
                done_cpu, posts = done_cpu + time.process_time() - started_cpu, posts + 1
        clock.counting = False
    ms = lambda seconds: 1000 * seconds / max(views, 1)  # noqa: E731
    parts = {name: ms(value) for name, value in clock.parts.items()}
    print(json.dumps({"views": views, "cpu_ms": ms(cpu), "wall_ms": ms(wall), "sql_ms": parts["sql"],
                      "template_ms": parts["template"], "commit_ms": parts["commit"],
                      "rest_ms": ms(wall) - sum(parts.values()), "statements": clock.statements / max(views, 1),
                      "done_cpu_ms": 1000 * done_cpu / max(posts, 1),
                      "login_hit_rate": 1 - clock.login_reads / max(views + posts, 1)}))


if __name__ == "__main__":
    main(sys.argv[1])
