"""``flask quiz close-expired`` (run every few minutes) and the bank's content loader."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..core.clock import now_utc
from ..courses.authoring import COPY_HOOKS
from ..courses.content import EXTRA_LOADERS
from ..courses.cycle import CARRY_OVER, CHECKS
from ..extensions import db
from . import cycle, services
from .content import load_questions

quiz_cli = AppGroup("quiz", help="Kuis.")


@quiz_cli.command("close-expired")
def close_expired():
    """Nilai percobaan yang waktunya habis atau terbengkalai; yang masih aktif tidak disentuh."""
    closed = services.close_abandoned(now_utc())
    db.session.commit()
    click.echo(f"{closed} percobaan ditutup dan dinilai.")


def register(app: Flask) -> None:
    app.cli.add_command(quiz_cli)
    EXTRA_LOADERS["soal"] = load_questions
    COPY_HOOKS["soal"] = cycle.copy_bank
    CARRY_OVER["kuis"] = cycle.carry_settings
    CHECKS["kuis"] = cycle.checks
