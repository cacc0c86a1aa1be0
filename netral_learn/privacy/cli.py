"""``flask privacy purge --left-before DATE``: retention of the personal data of people who left."""
from __future__ import annotations

from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup

from ..core.clock import now_utc
from ..core.errors import InvalidInput
from ..accounts.scope import Action, acts_on_person
from ..extensions import db

privacy_cli = AppGroup("privacy", help="Pelindungan data pribadi.")


@privacy_cli.command("purge")
@click.option("--left-before", "left_before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Hapus data pribadi pegawai yang dinonaktifkan sebelum tanggal ini (TTTT-BB-HH).")
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan berapa orang yang akan dihapus.")
@click.option("--yes", is_flag=True, help="Jangan tanya lagi (untuk timer).")
@acts_on_person(Action.EDIT)
def purge_command(left_before: datetime, dry_run: bool, yes: bool):
    """Hapus data pribadi pegawai yang sudah keluar; pakta dan sertifikatnya tetap dapat diverifikasi."""
    from . import services

    cutoff = left_before.date()
    candidates = services.purge_candidates(cutoff)
    click.echo(f"{len(candidates)} pegawai dinonaktifkan sebelum {cutoff:%Y-%m-%d} dan datanya masih ada.")
    if dry_run or not candidates:
        return
    if not yes:
        click.confirm("Hapus data pribadi mereka sekarang? Ini tidak dapat dibatalkan", abort=True)
    try:
        ids = services.purge(None, cutoff, now_utc())
    except InvalidInput as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Data pribadi {len(ids)} pegawai dihapus (nama dan NIP disamarkan; tercatat di log audit).")


def register(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
