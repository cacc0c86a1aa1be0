"""How a pact answers the public verification page (masked facts only)."""
from __future__ import annotations

from flask_babel import gettext as _

from ..core.i18n import format_date_id, format_datetime_zone, zone_of
from ..courses.models import Program
from ..extensions import db
from ..verify.registry import Verification
from . import services
from .models import SignatureStatus


def lookup_pact(code: str) -> Verification | None:
    signature = services.find_by_code(code)
    if signature is None:
        return None
    person = signature.person
    program = db.session.get(Program, signature.program_id)
    zone = zone_of(person)
    status = {SignatureStatus.COMPLETE: "genuine", SignatureStatus.REVOKED: "revoked"}.get(signature.status, "pending")
    note = ""
    revoked_on = format_date_id(signature.revoked_at, zone) if status == "revoked" else ""
    status_text = _("Berlaku")
    if status == "revoked":  # the public sees the date only: the reason is for the owner and staff
        status_text = _("Dicabut pada %(date)s", date=revoked_on)
    elif status == "pending":
        note = _("Pakta sudah ditandatangani pegawai, tetapi belum semua saksi menandatanganinya.")
        status_text = _("Menunggu tanda tangan saksi")
    witnesses = services.program_pact(program)[1]
    signed_by = {w.witness_id: w for w in signature.witness_signatures}
    signers = [(services.mask_name(person.name), format_datetime_zone(signature.signed_at, zone))]
    for witness in witnesses:
        done = signed_by.get(witness.id)
        signers.append((f"{services.mask_name(witness.person.name)} ({witness.capacity})",
                        format_datetime_zone(done.signed_at, zone) if done else _("belum menandatangani")))
    return Verification(
        kind=_("Pakta Integritas Netralitas"), status=status, status_note=note, revoked_on=revoked_on,
        facts=[(_("Nama"), services.mask_name(person.name)), (_("NIP / ID"), services.mask_nip(person.nip)),
               (_("Unit kerja"), person.unit.name), (_("Program"), program.title),
               (_("Ditandatangani"), format_datetime_zone(signature.signed_at, zone)),
               (_("Versi teks"), f"{signature.template_version.title} v{signature.template_version.number}"),
               (_("SHA-256 teks"), signature.text_sha256), (_("Status"), status_text)],
        signers=signers,
        check_upload=lambda data: services.check_uploaded_pdf(signature, data),
    )
