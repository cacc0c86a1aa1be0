"""``flask certificates issue-pending``: the retry-safe follow-up for completions without a certificate."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..core.clock import now_utc
from ..courses.cycle import CHECKS
from ..extensions import db
from ..pact.services import COMPLETION_HOOKS, REVOCATION_HOOKS
from ..verify.registry import LOOKUPS
from . import cycle, services
from .verification import lookup_certificate

certificates_cli = AppGroup("certificates", help="Sertifikat.")


@certificates_cli.command("issue-pending")
def issue_pending():
    """Terbitkan sertifikat untuk pakta lengkap yang belum bersertifikat."""
    issued = services.issue_pending(now_utc())
    db.session.commit()
    click.echo(f"{issued} sertifikat diterbitkan.")


def register(app: Flask) -> None:
    app.cli.add_command(certificates_cli)
    CHECKS["sertifikat"] = cycle.checks
    if services.issue_certificate not in COMPLETION_HOOKS:
        COMPLETION_HOOKS.append(services.issue_certificate)
    if services.revoke_for_pact not in REVOCATION_HOOKS:
        REVOCATION_HOOKS.append(services.revoke_for_pact)
    if lookup_certificate not in LOOKUPS:
        LOOKUPS.append(lookup_certificate)
