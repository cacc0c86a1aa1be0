"""``flask worker``: the background job worker (RQ on Redis)."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..core.jobs import QUEUE_NAME


@click.command("worker")
@click.option("--burst", is_flag=True, help="Kerjakan antrean yang ada lalu berhenti.")
@with_appcontext
def worker_command(burst: bool):
    """Jalankan pekerja latar (PDF, ekspor besar). Memerlukan REDIS_URL."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL belum diatur: tanpa Redis, pekerjaan dijalankan langsung.")
    from redis import Redis
    from rq import Queue, SimpleWorker

    # Not core.jobs.redis_connection(): its short socket timeout would break the worker's
    # blocking wait for the next job.
    connection = Redis.from_url(url)

    app = current_app._get_current_object()

    class AppWorker(SimpleWorker):
        """Every job runs inside this app's context, in this process: RQ's default forks a fresh
        process per job, which would open a new database connection and set up WeasyPrint's
        fonts again for every PDF. Run several workers for more parallel jobs."""

        def perform_job(self, *args, **kwargs):
            with app.app_context():
                return super().perform_job(*args, **kwargs)

    AppWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Hasil sebagai JSON (untuk pemantauan).")
@with_appcontext
def doctor_command(as_json: bool):
    """Periksa instalasi ini: pengaturan, basis data, Redis, penyimpanan, kunci, email, jam, huruf."""
    import json

    from . import doctor

    findings = doctor.run_checks(current_app._get_current_object())
    if as_json:
        click.echo(json.dumps(doctor.as_json(findings), ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            mark = "OK   " if finding.ok else "GAGAL"
            click.echo(f"[{mark}] {finding.check}: {finding.message}")
            if finding.fix:
                click.echo(f"        Perbaikan: {finding.fix}")
        failed = sum(not f.ok for f in findings)
        click.echo("Semua pemeriksaan lulus." if not failed else f"{failed} pemeriksaan gagal.")
    raise SystemExit(0 if all(f.ok for f in findings) else 1)


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(doctor_command)
