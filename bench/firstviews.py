"""Issue 22: first views, as people really read. Each simulated person logs in fresh and walks
modules 1..n once, in order, marking each read (GET the module, POST "Saya sudah membaca"),
``concurrency`` people at a time. Every module view is a first view: it records "opened".

Under the same gunicorn configuration, in the same run and on the same seeded database: this
code, and, with ``BENCH_OLD_TREE`` set to a checkout of an older commit (``git worktree add``),
that code — each with its own people, so every view is a first one for both — and a bare Flask
'hello'. Reported: requests/s and p95 per step; the gunicorn processes' CPU per walked person and
per request. Then, in this process (``firstviews_profile.py``, run once per tree), the CPU
milliseconds of one module first view and where they go: SQL, template, commit, the rest.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .firstviews_client import DONE, FIRST_VIEW, LOGIN, walk
from .harness import Database, note
from .load import ROOT, StepReport, gunicorn, hello_rate, in_client_process, postgres, results_dir, seeded_site
from .load_client import throughput
from .table import Measurement

PROFILE = Path(__file__).resolve().parent / "firstviews_profile.py"


@dataclass(frozen=True)
class Options:
    people: int = 120  #: per code version
    concurrency: int = 20
    hello_seconds: float = 10.0
    profiled: int = 40  #: people walked in-process for the profile, per code version


def _trees() -> list[tuple[str, Path]]:
    old = os.environ.get("BENCH_OLD_TREE")
    trees = [("this code", ROOT)]
    if old:
        trees.insert(0, (f"old ({_commit(Path(old))})", Path(old)))
    else:
        note("firstviews: set BENCH_OLD_TREE to a worktree of the old code to compare side by side")
    return trees


def _commit(tree: Path) -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True,
                          check=False).stdout.strip() or tree.name


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of gunicorn's master and its workers (live ones, and those it reaped)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def stat(p: int) -> list[str]:
        text = Path(f"/proc/{p}/stat").read_text()
        return text[text.rindex(")") + 2:].split()

    fields = stat(pid)
    total = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        try:
            total += sum(int(v) for v in stat(int(child))[11:13])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / ticks


def run(databases: list[Database], options: Options = Options()) -> list[Measurement]:
    database = postgres(databases)
    if database is None:
        return []
    trees = _trees()
    per_tree = options.people + options.profiled
    rows: list[Measurement] = []
    with seeded_site(database, per_tree * len(trees), unread=10**6) as site:
        logs = results_dir("firstviews")
        people = site.world.people
        for index, (label, tree) in enumerate(trees):
            mine = people[index * per_tree:(index + 1) * per_tree]
            world = replace(site.world, people=mine[:options.people])
            with gunicorn("app:app", site.env, logs, root=tree) as server:
                # warm: the first requests of each worker import and compile templates
                in_client_process(throughput, server.url, "/masuk", options.concurrency, 2.0, None, 0.5)
                note(f"firstviews: {label}: {options.people} people walk {site.world.modules} modules, "
                     f"{options.concurrency} at a time")
                cpu = _cpu_seconds(server.process.pid)
                walked, _client_cpu = in_client_process(walk, server.url, world, options.concurrency)
                cpu = _cpu_seconds(server.process.pid) - cpu
                report = StepReport(label, walked.recorder, server.requests())
            rate = walked.requests / walked.seconds if walked.seconds else 0.0
            views = walked.recorder.latencies.get(FIRST_VIEW, [])
            rows += [row for row in report.rows() if row.benchmark in (LOGIN, FIRST_VIEW, DONE)]
            rows.append(Measurement(
                "first views: the walk", label, f"{rate:,.0f} req/s · {len(views) / walked.seconds:,.1f} views/s",
                f"{walked.people}/{options.people} people walked all {site.world.modules} modules in "
                f"{walked.seconds:.0f} s; errors {report.error_total() + report.server_errors()}; gunicorn CPU "
                f"{cpu * 1000 / max(walked.requests, 1):.1f} ms per request, "
                f"{cpu / max(walked.people, 1):.2f} s per person (the login's argon2 included)"))
            rows.append(_profile(label, tree, site.env, site.world.program_id, site.world.modules,
                                 mine[options.people:]))
        hello, ok, errors = hello_rate(site.env, logs, options.concurrency, options.hello_seconds)
        rows.append(Measurement("bare Flask hello, same gunicorn", "–", f"{hello:,.0f} req/s",
                                f"{ok} ok, {errors} errors; {options.concurrency} concurrent"))
    note(f"firstviews: gunicorn logs in {logs}")
    return rows


def _profile(label: str, tree: Path, env: dict, program_id: int, modules: int, people) -> Measurement:
    """One module first view's CPU and its parts, measured in a process running ``tree``'s code."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"program": program_id, "modules": modules, "people": [nip for nip, _ in people]}, handle)
    note(f"firstviews: {label}: profiling {len(people)} walks in-process")
    done = subprocess.run([sys.executable, str(PROFILE), handle.name], cwd=tree, env={**os.environ, **env},
                          capture_output=True, text=True, check=False)
    os.unlink(handle.name)
    if done.returncode:
        return Measurement("first view: CPU and where it goes", label, "failed", done.stderr[-300:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Measurement(
        "first view: CPU and where it goes", label, f"{figures['cpu_ms']:.1f} ms CPU per first view",
        f"in-process, per module GET ({figures['views']} views): wall {figures['wall_ms']:.1f} ms = SQL "
        f"{figures['sql_ms']:.1f} ms ({figures['statements']:.1f} statements) + template {figures['template_ms']:.1f} "
        f"ms + commit {figures['commit_ms']:.1f} ms + the rest {figures['rest_ms']:.1f} ms (login check, hooks, "
        f"Flask); the 'done' POST: {figures['done_cpu_ms']:.1f} ms CPU; login copy hit rate "
        f"{figures['login_hit_rate']:.0%} of the walks' requests")

