"""``flask audit verify`` (the chain against every anchor) and ``flask audit anchor`` (a timer)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..core import audit
from ..pact import keys
from . import anchors as audit_anchors

audit_cli = AppGroup("audit", help="Log audit.")


def _describe(anchor) -> str:
    return f"entri {anchor.seq}, hash {anchor.hash}, {anchor.at:%Y-%m-%d %H:%M:%S} UTC"


def _parse_expected(value: str | None):
    if not value:
        return None
    seq, _, digest = value.partition(":")
    if not seq.strip().isdigit() or len(digest.strip()) != 64:
        raise click.BadParameter("tulis NOMOR:HASH, mis. 120:3fa4… (seperti tercetak pada laporan resmi)")
    return audit.Anchor(int(seq), int(seq), None, digest.strip().lower())


@audit_cli.command("verify")
@click.option("--expect", "expected", metavar="NOMOR:HASH",
              help="Jangkar yang tercetak pada laporan resmi; rantai harus memuatnya.")
def verify_audit(expected: str | None):
    """Periksa rantai hash log audit terhadap setiap jangkar; laporkan entri pertama yang rusak."""
    extra = _parse_expected(expected)
    try:
        anchors = [a.anchor for a in audit_anchors.load_anchors()]
    except audit_anchors.AnchorFileBroken as error:
        raise click.ClickException(f"Berkas jangkar audit RUSAK: {error}.") from None
    report = audit.verify_chain(anchors=anchors + ([extra] if extra else []))
    if not report.ok:
        raise click.ClickException(
            f"Rantai audit RUSAK pada entri {report.first_broken_seq}: {report.reason} "
            f"({report.checked} entri sebelumnya utuh).")
    click.echo(f"Rantai audit utuh: {report.checked} entri. Hash kepala: {audit.head_hash()}")
    if extra:
        click.echo(f"Jangkar dari laporan cocok: entri {extra.seq}.")
    newest = max(anchors, key=lambda a: a.seq, default=None)
    if newest is None:
        click.echo("Belum ada jangkar: jalankan `flask audit anchor` (berkala, mis. tiap jam).")
    else:
        click.echo(f"{len(anchors)} jangkar cocok; terakhir: {_describe(newest)}; "
                   f"{report.checked - newest.seq} entri sesudahnya.")


@audit_cli.command("anchor")
@click.option("--force", is_flag=True, help="Tanda tangani juga bila kepala rantai belum berubah.")
def anchor_audit(force: bool):
    """Periksa seluruh rantai lalu tanda tangani kepalanya dan tambahkan ke berkas jangkar (berkala)."""
    try:
        result = audit_anchors.anchor(full=True, force=force)
    except (audit_anchors.ChainBroken, audit_anchors.AnchorFileBroken) as error:
        raise click.ClickException(f"Rantai audit RUSAK, tidak dijangkarkan: {error}.") from None
    except keys.SigningKeyMissing as error:
        raise click.ClickException(str(error)) from None
    verb = "Jangkar baru" if result.created else "Kepala rantai belum berubah; jangkar terakhir"
    click.echo(f"{verb}: {_describe(result.anchor)} (ditandatangani {result.anchor.signer}).")


def register(app: Flask) -> None:
    app.cli.add_command(audit_cli)
