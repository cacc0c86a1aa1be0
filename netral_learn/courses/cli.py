"""``flask content load``: install the bundled course (idempotent) on any database."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from . import content

content_cli = AppGroup("content", help="Materi bawaan.")


@content_cli.command("load")
def load_command():
    """Pasang atau perbarui materi bawaan (kursus Netralitas ASN)."""
    results, others = content.load_bundled()
    db.session.commit()
    for message in others:
        click.echo(message)
    for result in results:
        state = "dipasang sebagai versi baru" if result.created else "sudah terpasang, tidak berubah"
        extras = "".join(f", {count} {name}" for name, count in result.extras.items())
        click.echo(f"{result.slug}: versi {result.version.number} {state} "
                   f"({len(result.version.modules)} modul{extras}).")


def register(app: Flask) -> None:
    app.cli.add_command(content_cli)
