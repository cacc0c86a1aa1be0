"""``flask backup create|verify|restore|keygen``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from .archive import ArchiveError, new_key_file

backup_cli = AppGroup("backup", help="Cadangan dan pemulihan (basis data, berkas, manifest).")

_KEY = click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
                    help="Kunci age (dari `flask backup keygen`) untuk mengenkripsi atau membuka arsip.")


def _say(message: str) -> None:
    click.echo(message, err=True)


@backup_cli.command("create")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Berkas arsip baru.")
@_KEY
@click.option("--with-keys", is_flag=True, help="Sertakan kunci penandatangan (hanya dalam arsip terenkripsi).")
def create_command(output: Path, key_file: Path | None, with_keys: bool):
    """Buat satu arsip: basis data, semua berkas tersimpan dan manifest (SHA-256, jumlah baris)."""
    from .services import create_backup

    try:
        manifest = create_backup(output, key_file=key_file, with_keys=with_keys, progress=_say)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Cadangan dibuat: {output} — {len(manifest.files)} berkas, "
               f"{sum(manifest.row_counts.values())} baris, revisi {manifest.migration_head}"
               + (", terenkripsi" if key_file else "") + ".")


@backup_cli.command("verify")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_KEY
def verify_command(archive: Path, key_file: Path | None):
    """Periksa arsip tanpa memulihkannya."""
    from .services import verify_backup

    try:
        manifest = verify_backup(archive, key_file)
    except ArchiveError as exc:
        raise click.ClickException(f"Arsip DITOLAK: {exc}") from exc
    click.echo(f"Arsip utuh: dibuat {manifest.created_at} oleh versi {manifest.app_version}, "
               f"basis data {manifest.dialect} revisi {manifest.migration_head}, {len(manifest.files)} berkas, "
               f"{sum(manifest.row_counts.values())} baris, {manifest.audit_events} entri audit.")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_KEY
@click.option("--force", is_flag=True, help="Timpa instalasi yang sudah berisi data.")
def restore_command(archive: Path, key_file: Path | None, force: bool):
    """Pulihkan arsip ke instalasi ini (kosong), lalu periksa setiap dokumen dan rantai audit."""
    from .services import restore_backup

    try:
        report = restore_backup(archive, key_file, force=force, progress=_say)
    except ArchiveError as exc:
        raise click.ClickException(f"Pemulihan DIBATALKAN, tidak ada yang diubah: {exc}") from exc
    manifest = report.manifest
    click.echo(f"Dipulihkan dari cadangan {manifest.created_at}: {sum(manifest.row_counts.values())} baris, "
               f"{report.files} berkas, {report.documents_checked} dokumen diperiksa.")
    if report.keys_folder:
        click.echo(f"Kunci penandatangan dari cadangan ada di {report.keys_folder}: arahkan SIGNING_* ke sana.")
    if report.problems:
        for problem in report.problems:
            click.echo(f"  MASALAH: {problem}")
        raise click.ClickException(f"{len(report.problems)} masalah ditemukan setelah pemulihan.")
    click.echo("Semua dokumen cocok dengan basis data; rantai audit utuh.")


@backup_cli.command("keygen")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
def keygen_command(key_file: Path):
    """Buat kunci enkripsi cadangan (age X25519). Simpan terpisah dari cadangannya."""
    if key_file.exists():
        raise click.ClickException(f"{key_file} sudah ada.")
    click.echo(f"Kunci dibuat: {key_file} (kunci publik {new_key_file(key_file)}).")


def register(app: Flask) -> None:
    app.cli.add_command(backup_cli)
