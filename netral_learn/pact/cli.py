"""``flask keys init`` (development signing key)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..courses.content import GLOBAL_LOADERS
from ..courses.cycle import CARRY_OVER, CHECKS
from ..verify.registry import LOOKUPS
from . import cycle, keys
from .content import load_default_pact
from .verification import lookup_pact

keys_cli = AppGroup("keys", help="Kunci penandatangan dokumen.")


@keys_cli.command("init")
@click.option("--organisation", default="Pemerintah Kabupaten Paser", show_default=True)
@click.option("--name", "common_name", default="BKPSDM Kabupaten Paser", show_default=True)
@click.option("--force", is_flag=True, help="Ganti kunci yang sudah ada.")
def init_keys(organisation: str, common_name: str, force: bool):
    """Buat CA lokal dan kunci penandatangan untuk pengembangan/demo (instance/keys)."""
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("Di production gunakan PKCS#12 dari CA resmi (SIGNING_PKCS12_PATH).")
    folder = Path(current_app.instance_path) / "keys"
    if (folder / "signing.p12").exists() and not force:
        click.echo(f"Kunci sudah ada di {folder} (pakai --force untuk mengganti).")
        return
    paths = keys.create_local_ca(folder, organisation, common_name)
    click.echo(f"Kunci penandatangan dibuat: {paths.pkcs12} (CA: {paths.ca}).")


def register(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    GLOBAL_LOADERS["pakta"] = load_default_pact
    CARRY_OVER["pakta"] = cycle.carry_pact
    CHECKS["pakta"] = cycle.checks
    if lookup_pact not in LOOKUPS:
        LOOKUPS.append(lookup_pact)
