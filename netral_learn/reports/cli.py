"""``flask report …`` commands."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..accounts.models import Unit
from ..courses.models import Program
from ..core import audit
from ..extensions import db
from . import exports

report_cli = AppGroup("report", help="Laporan.")


@report_cli.command("export")
@click.option("--program", "program_id", type=int, required=True, help="Id program.")
@click.option("--unit", "unit_id", type=int, help="Id unit (bawaan: instansi program).")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), required=True, help="xlsx, csv atau pdf.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Berkas tujuan.")
def export_command(program_id: int, unit_id: int | None, fmt: str, output: Path) -> None:
    """Tulis laporan satu program (seluruh instansi atau satu unit) ke berkas XLSX, CSV atau PDF."""
    program = db.session.get(Program, program_id)
    if program is None:
        raise click.ClickException(f"Program {program_id} tidak ada.")
    unit = db.session.get(Unit, unit_id) if unit_id is not None else program.instansi
    if unit is None or unit.root_id != program.instansi_id:
        raise click.ClickException(f"Unit {unit_id} tidak ada di instansi program ini.")
    audit.record(None, "report.export", f"program:{program.id}", unit=unit.id, format=fmt, via="cli")
    db.session.commit()
    partial = output.with_name(f".{output.name}.part")
    try:
        with partial.open("wb") as file:
            report = exports.export_report(program, unit, fmt, file)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"{output}: {report.total.targeted} sasaran, {report.total.certificate} bersertifikat "
               f"({report.total.percent('certificate'):.1f}%).")


def register(app: Flask) -> None:
    app.cli.add_command(report_cli)
