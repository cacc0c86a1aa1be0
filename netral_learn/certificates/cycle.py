"""The certificate's part in the next-cycle checklist: every program of an instansi uses the
instansi's certificate settings (numbering, signer, template), so the new cycle links to them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..courses.cycle import Check
from ..courses.models import CourseVersion, Program
from ..extensions import db
from .models import CertificateSettings


def checks(version: CourseVersion, programs: list[Program]) -> list[Check]:
    """One line per instansi running the cycle: are its certificate settings filled in (signer named)?"""
    items = []
    for instansi_id in dict.fromkeys(p.instansi_id for p in programs):
        settings = db.session.get(CertificateSettings, instansi_id)
        done = settings is not None and bool(settings.signer_name)
        items.append(Check(80, _l("Periksa pengaturan sertifikat (penanda tangan, nomor, templat)"), done,
                           settings.signer_name if done else _l("penanda tangan belum diisi"),
                           "certificates.settings_page", (("instansi", instansi_id),)))
    return items
