"""The personal-data duties of UU 27/2022 that the app itself can carry out.

* the notice: who controls the data and whom to contact, filled in by each instansi;
* access: a person's own data as JSON and as a readable PDF, and which staff acted on their record
  (from the audit trail);
* retention: ``purge`` removes the personal data of people who left before a date, keeping their
  signed documents verifiable under a masked name and NIP.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..accounts.models import LoginSession, Person, Unit
from ..core import audit
from ..core.audit import AuditEvent
from ..core.errors import InvalidInput
from ..extensions import db
from .models import PrivacyNotice

#: What each kind of staff action on a person's record is called on their own page.
ACTION_LABELS = {
    "person.view": "melihat data Anda",
    "person.update": "mengubah data Anda",
    "person.create": "menambahkan Anda",
    "person.move": "memindahkan unit Anda",
    "person.deactivate": "menonaktifkan akun Anda",
    "person.activate": "mengaktifkan akun Anda",
    "person.reset_password": "mengatur ulang kata sandi Anda",
    "person.unlock": "membuka kunci akun Anda",
    "person.role": "mengubah peran Anda",
    "slip.print": "mencetak slip masuk Anda",
    "quiz.grant_attempt": "memberi tambahan percobaan kuis",
    "pact.revoke": "mencabut pakta Anda",
    "certificate.revoke": "mencabut sertifikat Anda",
    "certificate.reissue": "menerbitkan ulang sertifikat Anda",
    "report.export": "mengekspor data yang memuat Anda",
}


def notice_for(instansi_id: int) -> PrivacyNotice | None:
    return db.session.get(PrivacyNotice, instansi_id)


def public_notices() -> list[tuple[Unit, PrivacyNotice | None]]:
    """Every active instansi with its notice details (None where not yet filled in)."""
    roots = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None), Unit.active.is_(True))
                               .order_by(Unit.name)).all()
    notices = {n.instansi_id: n for n in db.session.scalars(select(PrivacyNotice))}
    return [(root, notices.get(root.id)) for root in roots]


def save_notice(actor: Person, instansi: Unit, fields: dict) -> PrivacyNotice:
    """Create or change the instansi's notice details; audited with before and after."""
    if not (fields.get("controller") or "").strip() or not (fields.get("contact_name") or "").strip():
        raise InvalidInput(_l("Nama pengendali data dan nama kontak wajib diisi."))
    if not 1 <= int(fields.get("retention_years") or 0) <= 50:
        raise InvalidInput(_l("Masa simpan harus antara 1 dan 50 tahun."))
    notice = notice_for(instansi.id) or PrivacyNotice(instansi_id=instansi.id)
    names = ("controller", "contact_name", "contact_email", "contact_phone", "address", "retention_years")
    before = {name: getattr(notice, name) for name in names}
    for name in names:
        value = fields.get(name)
        setattr(notice, name, value.strip() or None if isinstance(value, str) else value)
    db.session.add(notice)
    db.session.flush()
    changes = {name: [before[name], getattr(notice, name)] for name in names if before[name] != getattr(notice, name)}
    audit.record(actor, "privacy.notice", f"unit:{instansi.id}", changes=changes)
    return notice


def staff_accesses(person: Person, limit: int = 200) -> list[dict]:
    """Staff actions recorded on this person's record (newest first), for the person to see."""
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.target == f"person:{person.id}",
                                                         AuditEvent.actor_id.is_not(None),
                                                         AuditEvent.actor_id != person.id)
                                .order_by(AuditEvent.seq.desc()).limit(limit)).all()
    actors = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_({e.actor_id for e in events})))}
    return [{"when": event.created_at, "action": event.action,
             "what": ACTION_LABELS.get(event.action, event.action),
             "actor": actors[event.actor_id].name if event.actor_id in actors else "—",
             "role": actors[event.actor_id].role.value if event.actor_id in actors else ""}
            for event in events]


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def person_data(person: Person) -> dict:
    """Everything the app holds about ``person`` that is theirs to see, as plain values (JSON-ready)."""
    from ..certificates.models import Certificate
    from ..courses.models import Enrollment, Program
    from ..pact.models import PactSignature
    from ..quiz.models import Attempt

    enrollments = db.session.execute(select(Enrollment, Program).join(Program, Program.id == Enrollment.program_id)
                                     .where(Enrollment.person_id == person.id).order_by(Program.id)).all()
    attempts = db.session.scalars(select(Attempt).where(Attempt.person_id == person.id)
                                  .order_by(Attempt.program_id, Attempt.started_at)).all()
    signatures = db.session.scalars(select(PactSignature).where(PactSignature.person_id == person.id)).all()
    certificates = db.session.scalars(select(Certificate).where(Certificate.person_id == person.id)).all()
    titles = {program.id: program.title for _, program in enrollments}
    return {
        "profil": {"nip": person.nip, "nama": person.name, "jenis": person.jenis.value, "jabatan": person.jabatan,
                   "golongan": person.golongan, "unit": person.unit.name, "email": person.email,
                   "telepon": person.phone, "peran": person.role.value, "aktif": person.active,
                   "dibuat": _iso(person.created_at), "masuk_terakhir": _iso(person.last_login_at),
                   "kata_sandi_diganti": _iso(person.password_changed_at)},
        "program": [{"program": program.title, "mulai": _iso(enrollment.started_at),
                     "modul_selesai": _iso(enrollment.modules_completed_at),
                     "kuis_lulus": _iso(enrollment.quiz_passed_at), "nilai_terbaik": enrollment.quiz_best_score,
                     "pakta_ditandatangani": _iso(enrollment.pact_signed_at),
                     "selesai": _iso(enrollment.completed_at)} for enrollment, program in enrollments],
        "percobaan_kuis": [{"program": titles.get(a.program_id, a.program_id), "nomor": a.number,
                            "jenis": a.kind.value, "status": a.status.value, "mulai": _iso(a.started_at),
                            "selesai": _iso(a.finished_at), "nilai": a.score, "lulus": a.passed}
                           for a in attempts],
        "pakta": [{"program": titles.get(s.program_id, s.program_id), "ditandatangani": _iso(s.signed_at),
                   "nama_diketik": s.typed_name, "alamat_ip": s.ip, "perangkat": s.user_agent,
                   "kode_verifikasi": s.verify_code, "sha256_teks": s.text_sha256, "sha256_pdf": s.pdf_sha256,
                   "dicabut": _iso(s.revoked_at)} for s in signatures],
        "sertifikat": [{"program": titles.get(c.program_id, c.program_id), "nomor": c.number,
                        "terbit": _iso(c.issued_at), "nilai": c.score, "kode_verifikasi": c.verify_code,
                        "sha256_pdf": c.pdf_sha256, "dicabut": _iso(c.revoked_at)} for c in certificates],
        "akses_petugas": [{**entry, "when": _iso(entry["when"])} for entry in staff_accesses(person)],
    }


def purge_candidates(left_before: date) -> list[Person]:
    """People deactivated before ``left_before`` (UTC midnight) whose data is still here."""
    cutoff = datetime.combine(left_before, time(0), tzinfo=timezone.utc)
    return list(db.session.scalars(select(Person).where(Person.active.is_(False), Person.purged_at.is_(None),
                                                        Person.deactivated_at < cutoff).order_by(Person.id)))


def purge(actor: Person | None, left_before: date, now: datetime) -> list[int]:
    """Remove the personal data of people who left before ``left_before``; returns their ids.

    Name and NIP are replaced by their masked forms (the ones the public verification page shows),
    so signed pacts and certificates still verify and read the same there; contact details,
    passwords, login sessions and the signing trace (IP, device, drawn signature) are removed; the
    typed name is masked. Scores and steps stay: reports keep counting what happened."""
    from ..pact.models import PactSignature
    from ..pact.services import mask_name, mask_nip

    if left_before > now.date():
        raise InvalidInput(_l("Tanggal batas tidak boleh di masa depan."))
    people = purge_candidates(left_before)
    for person in people:
        person.name, person.nip = mask_name(person.name), mask_nip(person.nip)
        person.email = person.phone = person.jabatan = None
        person.password_hash = person.initial_password_enc = None
        person.purged_at = now
    ids = [person.id for person in people]
    if ids:
        db.session.flush()
        db.session.execute(delete(LoginSession).where(LoginSession.person_id.in_(ids)))
        for signature in db.session.scalars(select(PactSignature).where(PactSignature.person_id.in_(ids))):
            signature.typed_name = mask_name(signature.typed_name)
        db.session.execute(update(PactSignature).where(PactSignature.person_id.in_(ids))
                           .values(ip=None, user_agent=None, drawn_signature=None))
        audit.record(actor, "privacy.purge", f"people:{len(ids)}", left_before=left_before.isoformat(), ids=ids)
    db.session.flush()
    return ids
