"""``flask worker``: the background job worker (RQ on Redis)."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..core.jobs import QUEUE_NAME, redis_connection


@click.command("worker")
@click.option("--burst", is_flag=True, help="Kerjakan antrean yang ada lalu berhenti.")
@with_appcontext
def worker_command(burst: bool):
    """Jalankan pekerja latar (PDF, ekspor besar). Memerlukan REDIS_URL."""
    connection = redis_connection()
    if connection is None:
        raise click.ClickException("REDIS_URL belum diatur: tanpa Redis, pekerjaan dijalankan langsung.")
    from rq import Queue, Worker

    app = current_app._get_current_object()

    class AppWorker(Worker):
        """Every job runs inside this app's context."""

        def perform_job(self, *args, **kwargs):
            with app.app_context():
                return super().perform_job(*args, **kwargs)

    AppWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
