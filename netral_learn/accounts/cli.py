"""``flask roster import`` and ``flask users …`` commands."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.tabular import error_report_csv
from ..extensions import db
from .scope import Action, acts_on_person
from . import roster, services, throttle
from .models import Unit

roster_cli = AppGroup("roster", help="Impor roster pegawai.")
sessions_cli = AppGroup("sessions", help="Sesi masuk.")


def _instansi_path(name: str | None) -> str | None:
    if not name:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None), Unit.name == name))
    if unit is None:
        raise click.BadParameter(f"instansi {name!r} tidak ditemukan", param_hint="--instansi")
    return unit.path


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Periksa dan tampilkan perubahan tanpa menyimpan.")
@click.option("--instansi", help="Batasi ke satu instansi (nama unit puncak).")
@click.option("--errors-csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Tulis laporan kesalahan per baris ke berkas ini.")
@click.option("--empty-clears", is_flag=True,
              help="Sel kosong mengosongkan data tersimpan (tanpa ini: dibiarkan; tulis (kosongkan) untuk mengosongkan).")
@acts_on_person(Action.IMPORT)
def import_command(file: Path, dry_run: bool, instansi: str | None, errors_csv: Path | None, empty_clears: bool):
    """Impor roster CSV/XLSX: semua baris tersimpan, atau tidak sama sekali."""
    data = file.read_bytes()
    scope = _instansi_path(instansi)
    try:
        with click.progressbar(length=roster.estimate_rows(file.name, data), label="Memeriksa",
                               file=sys.stderr) as bar:
            plan = roster.plan_import(file.name, data, scope_path=scope, today=date.today(),
                                      progress=bar.update, empty_clears=empty_clears)
    except roster.RosterFileError as exc:
        raise click.ClickException(str(exc.message)) from None
    click.echo(f"Baris: {plan.total_rows}  baru: {len(plan.new)}  diperbarui: {len(plan.updates)}  "
               f"tetap: {plan.unchanged}  kesalahan: {len(plan.errors)}")
    click.echo(f"Baris judul: {plan.header_row}" + (f"  enkode: {plan.encoding}" if plan.encoding else ""))
    click.echo("Kolom: " + ", ".join(f"{header} \u2192 {title}" for header, title in plan.mapping if title))
    if plan.ignored_headers:
        click.echo("Kolom diabaikan: " + ", ".join(plan.ignored_headers))
    for title, count in plan.field_counts().items():
        click.echo(f"  {title}: {count['changed']} berubah" + (f", {count['cleared']} dikosongkan" if count["cleared"] else ""))
    if errors_csv and plan.errors:
        errors_csv.write_bytes(error_report_csv(plan))
    if plan.errors:
        for error in plan.errors[:20]:
            click.echo(f"  baris {error.row}, kolom {error.column}: {error.message}", err=True)
        if len(plan.errors) > 20:
            click.echo(f"  … dan {len(plan.errors) - 20} kesalahan lain", err=True)
        raise click.ClickException("Impor dibatalkan: perbaiki kesalahan di atas. Tidak ada data yang disimpan.")
    if dry_run:
        click.echo("Uji coba (--dry-run): tidak ada data yang disimpan.")
        return
    with click.progressbar(length=len(plan.new) + len(plan.updates), label="Menyimpan",
                           file=sys.stderr) as bar:
        result = roster.apply_plan(None, plan, progress=bar.update)
    db.session.commit()
    click.echo(f"Selesai: {result.created} baru, {result.updated} diperbarui, {result.unchanged} tetap.")


@sessions_cli.command("purge")
def purge_sessions():
    """Hapus sesi masuk yang sudah kedaluwarsa dan catatan gagal masuk yang sudah lama."""
    removed = services.purge_expired_sessions()
    quiet = throttle.purge_quiet()
    db.session.commit()
    click.echo(f"{removed} sesi kedaluwarsa dihapus; {quiet} catatan gagal masuk lama dihapus.")




instansi_cli = AppGroup("instansi", help="Instansi (unit puncak) dan admin pertamanya.")


@instansi_cli.command("create")
@click.option("--name", "name", required=True, help="Nama instansi, mis. \"Pemerintah Kabupaten Paser\".")
@click.option("--timezone", type=click.Choice(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
              default="Asia/Makassar", show_default=True, help="Zona waktu dokumen (WIB/WITA/WIT).")
@click.option("--code", default="", help="Kode unit dari sistem kepegawaian (opsional).")
@click.option("--admin-nip", required=True, help="NIP/ID admin pertama.")
@click.option("--admin-name", required=True, help="Nama lengkap admin pertama.")
@click.option("--admin-jenis", type=click.Choice(["PNS", "PPPK", "NON_ASN"]), default="PNS", show_default=True)
@click.option("--admin-email", default="")
@click.option("--admin-phone", default="")
@acts_on_person(Action.RESET)
def create_instansi_command(name, timezone, code, admin_nip, admin_name, admin_jenis, admin_email, admin_phone):
    """Buat instansi baru dan admin pertamanya; cetak tautan aktivasi sekali pakai untuk admin."""
    from ..core.errors import DomainError
    from .instansi import NewInstansi, create_instansi
    from .people import PersonData, PersonInvalid

    data = NewInstansi(name=name, timezone=timezone, code=code, admin=PersonData(
        nip=admin_nip, jenis=admin_jenis, name=admin_name, unit_id=None, email=admin_email, phone=admin_phone))
    try:
        created = create_instansi(None, data)
    except PersonInvalid as exc:
        db.session.rollback()
        raise click.ClickException("; ".join(f"{field}: {message}" for field, message in exc.fields.items())) from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"Instansi dibuat: {created.instansi.name} (id {created.instansi.id}).")
    click.echo(f"Admin: {created.admin.name}, NIP/ID {created.admin.nip}.")
    click.echo("Tautan aktivasi sekali pakai untuk admin (berlaku sampai "
               f"{created.credential.expires_at:%Y-%m-%d %H:%M} UTC); serahkan langsung kepadanya:")
    click.echo(created.credential.link)


def register(app: Flask) -> None:
    app.cli.add_command(roster_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(instansi_cli)
