"""How a certificate answers the public verification page."""
from __future__ import annotations

from flask_babel import gettext as _

from ..core.i18n import format_datetime_zone, zone_of
from ..verify.registry import Verification
from . import services


def lookup_certificate(code: str) -> Verification | None:
    certificate = services.find_by_code(code)
    if certificate is None:
        return None
    note = ""
    if certificate.revoked_at is not None:
        note = _("Dicabut pada %(when)s. Alasan: %(reason)s",
                 when=format_datetime_zone(certificate.revoked_at, zone_of(certificate.person)),
                 reason=certificate.revoked_reason)
    return Verification(
        kind=_("Sertifikat"), status="revoked" if certificate.revoked_at else "genuine", status_note=note,
        facts=services.masked_facts(certificate),
        check_upload=lambda data: services.check_upload(certificate, data),
    )
