"""How a certificate answers the public verification page (masked facts, never the revocation reason)."""
from __future__ import annotations

from flask_babel import gettext as _

from ..core.i18n import format_date_id, zone_of
from ..verify.registry import Verification
from . import services


def lookup_certificate(code: str) -> Verification | None:
    certificate = services.find_by_code(code)
    if certificate is None:
        return None
    zone = zone_of(certificate.person)
    revoked_on = format_date_id(certificate.revoked_at, zone) if certificate.revoked_at else ""
    reissued_on = format_date_id(certificate.reissued_at, zone) if certificate.reissued_at else ""
    status_text = _("Dicabut pada %(date)s", date=revoked_on) if revoked_on else _("Berlaku")
    facts = [*services.masked_facts(certificate), (_("Status"), status_text)]
    if reissued_on:
        facts.append((_("Diterbitkan ulang"), reissued_on))
    return Verification(
        kind=_("Sertifikat"), status="revoked" if certificate.revoked_at else "genuine",
        revoked_on=revoked_on, reissued_on=reissued_on, facts=facts,
        check_upload=lambda data: services.check_upload(certificate, data),
    )
