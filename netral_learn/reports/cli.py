"""``flask report …`` commands."""
from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

report_cli = AppGroup("report", help="Laporan.")


def register(app: Flask) -> None:
    app.cli.add_command(report_cli)
