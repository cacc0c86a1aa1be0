"""Issuing (once, gap-free numbers), rendering (once, atomically), re-issuing, revoking, verifying.

Issuing runs inside the transaction that completes the pact, so a person never has a completed
pact without a certificate or the other way round. The number comes from a per-instansi-year
counter row taken under a row lock in the same savepoint as the certificate row: if the insert
fails, the counter does not move, so numbers have no gaps and never repeat.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import ROLE_RANK, Person, Role, Unit
from ..core import audit
from ..core.errors import InvalidInput, NotAllowed, OutOfScope
from ..core.i18n import format_date_id, zone_of
from ..core.jobs import queue_after_commit, run_in_app
from ..core.pdf import render_pdf
from ..core.sandbox import BoundedSandbox, TemplateTooHeavy
from ..core.storage import storage_root, write_new_file
from ..courses.models import Enrollment, Program
from ..extensions import db
from ..pact.document import qr_data_uri, sha256_hex
from ..pact.services import mask_name, mask_nip
from ..verify.registry import UploadCheck, canonical_code, starts_with_file
from ..verify.registry import new_code as new_verify_code
from . import numbering
from .models import Certificate, CertificateCounter, CertificateSettings

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent.parent / "templates" / "certificates" / "default_certificate.html"
_sandbox = BoundedSandbox(autoescape=True)

#: The fields an admin-edited template can use (documented on the template editor page).
TEMPLATE_FIELDS = {
    "instansi": "Nama instansi (Pemerintah Kabupaten …)", "nama_badan": "Nama badan kepegawaian",
    "logo_url": "Logo instansi (kosong bila belum diunggah)", "nomor": "Nomor sertifikat",
    "nama": "Nama pegawai", "nip": "NIP / NI PPPK / ID (berkelompok)", "golongan": "Pangkat/golongan",
    "jabatan": "Jabatan", "unit": "Unit kerja", "program": "Judul program", "kursus": "Judul kursus",
    "nilai": "Nilai kuis terbaik", "tanggal": "Tanggal terbit (22 November 2026)", "tempat": "Tempat terbit",
    "jp": "Jam pelajaran (0 = tidak dicetak)", "penanda_tangan_jabatan": "Jabatan penanda tangan",
    "penanda_tangan_nama": "Nama penanda tangan", "penanda_tangan_nip": "NIP penanda tangan",
    "penanda_tangan_pangkat": "Pangkat penanda tangan", "tanda_tangan_url": "Gambar tanda tangan (opsional)",
    "qr": "Kode QR (data URI SVG)", "url_verifikasi": "Alamat verifikasi", "kode_verifikasi": "Kode verifikasi",
    "materi_per": "Tanggal \u201cMateri per\u201d kursus (31 Desember 2025)",
    "ditinjau": "Peninjau hukum dan tanggalnya (kosong bila belum ditinjau)",
}


def settings_for(instansi_id: int) -> CertificateSettings:
    settings = db.session.get(CertificateSettings, instansi_id)
    if settings is None:
        settings = CertificateSettings(instansi_id=instansi_id, number_pattern=numbering.DEFAULT_PATTERN,
                                       place="", agency_name="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
                                       signer_title="Kepala BKPSDM", signer_name="", signer_nip="", signer_rank="", jp=0)
    return settings


# --- issuing -------------------------------------------------------------------------------

def _take_number(instansi_id: int, year: int) -> int:
    """Increment the (instansi, year) counter under a row lock; create it on first use."""
    counter = db.session.scalars(select(CertificateCounter).where(
        CertificateCounter.instansi_id == instansi_id, CertificateCounter.year == year).with_for_update()).first()
    if counter is None:
        try:
            with db.session.begin_nested():
                counter = CertificateCounter(instansi_id=instansi_id, year=year, last=0)
                db.session.add(counter)
        except IntegrityError:
            counter = db.session.scalars(select(CertificateCounter).where(
                CertificateCounter.instansi_id == instansi_id, CertificateCounter.year == year)
                .with_for_update()).one()
    counter.last += 1
    db.session.flush()
    return counter.last


def find_certificate(person_id: int, program_id: int) -> Certificate | None:
    """The person's certificate for the program: the valid one, else the newest revoked one."""
    return db.session.scalar(select(Certificate).where(Certificate.person_id == person_id,
                                                       Certificate.program_id == program_id)
                             .order_by(Certificate.revoked_at.is_not(None), Certificate.id.desc()).limit(1))


def _kept(existing: Certificate | None, enrollment: Enrollment) -> bool:
    """Does ``existing`` answer for this enrollment? A valid one always; a revoked one until the person
    signs again after an admin reopened the pact (the enrollment is then no longer completed)."""
    return existing is not None and (existing.revoked_at is None or enrollment.completed_at is not None)


def certificates_of(person_id: int) -> list[Certificate]:
    """A person's certificates still in force, newest first (the staff page lists them so a
    corrected name can be re-issued)."""
    return list(db.session.scalars(select(Certificate).where(
        Certificate.person_id == person_id, Certificate.revoked_at.is_(None)).order_by(Certificate.issued_at.desc())))


def issue_certificate(enrollment: Enrollment, now: datetime) -> Certificate:
    """Issue the certificate for a completed enrollment, exactly once (once more after a reopened pact)."""
    existing = find_certificate(enrollment.person_id, enrollment.program_id)
    if _kept(existing, enrollment):
        return existing
    program = db.session.get(Program, enrollment.program_id)
    settings = settings_for(program.instansi_id)
    local = now.astimezone(ZoneInfo(zone_of(db.session.get(Person, enrollment.person_id))))
    try:
        with db.session.begin_nested():
            seq = _take_number(program.instansi_id, local.year)
            certificate = Certificate(
                program_id=program.id, person_id=enrollment.person_id, instansi_id=program.instansi_id,
                year=local.year, seq=seq, number=numbering.format_number(settings.number_pattern, seq, local.year,
                                                                         local.month),
                verify_code=new_verify_code(), score=enrollment.quiz_best_score, issued_at=now, previous_hashes=[])
            db.session.add(certificate)
    except IntegrityError:
        existing = find_certificate(enrollment.person_id, enrollment.program_id)
        if existing is None or existing.revoked_at is not None:
            raise
        return existing
    if enrollment.completed_at is None:
        enrollment.completed_at = now
    db.session.flush()
    audit.record(None, "certificate.issue", f"certificate:{certificate.id}", number=certificate.number,
                 person=enrollment.person_id)
    # Ahead of the pact PDFs waiting in the queue: the certificate is what the person downloads next.
    queue_after_commit(render_job, certificate.id, urgent=True)
    return certificate


def render_job(certificate_id: int) -> None:
    """Worker job: render a newly issued certificate ahead of its first download."""

    def run():
        certificate = db.session.get(Certificate, certificate_id)
        if certificate is not None and certificate.pdf_path is None and certificate.revoked_at is None:
            ensure_pdf(certificate)
            db.session.commit()

    run_in_app(run)


def issue_pending(now: datetime, limit: int = 500) -> int:
    """Retry-safe follow-up: issue certificates for completed pacts that have none yet."""
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.pact_signed_at.is_not(None), Enrollment.completed_at.is_(None))
        .limit(limit)).all()
    for enrollment in enrollments:
        issue_certificate(enrollment, now)
    return len(enrollments)


# --- rendering -----------------------------------------------------------------------------

def _grouped(nip: str) -> str:
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}" if len(nip) == 18 and nip.isdigit() else nip


def verify_url(code: str) -> str:
    return f"{current_app.config['SITE_URL']}/verifikasi/{code}"


def template_data(certificate: Certificate) -> dict:
    """The plain dict a certificate template renders from (never ORM objects)."""
    person = certificate.person
    program = db.session.get(Program, certificate.program_id)
    instansi = db.session.get(Unit, certificate.instansi_id)
    settings = settings_for(certificate.instansi_id)
    url = verify_url(certificate.verify_code)
    version = program.course_version
    review = version.reviews[0] if version.reviews else None
    return {
        "instansi": instansi.name, **settings_fields(settings),
        "materi_per": format_date_id(version.legal_basis_as_of),
        "ditinjau": f"{review.reviewer}, {format_date_id(review.reviewed_on)}" if review else "",
        "nomor": certificate.number, "nama": person.name, "nip": _grouped(person.nip),
        "golongan": person.golongan or "", "jabatan": person.jabatan or "", "unit": person.unit.name,
        "program": program.title, "kursus": program.course_version.title,
        "nilai": f"{certificate.score:.0f}" if certificate.score is not None else "",
        "tanggal": format_date_id(certificate.issued_at, zone_of(person)),
        "qr": qr_data_uri(url), "url_verifikasi": url, "kode_verifikasi": certificate.verify_code,
    }


def settings_fields(settings: CertificateSettings) -> dict:
    """The template fields an instansi's settings fill in (images as ``media/…`` URLs for the PDF fetcher)."""
    return {
        "nama_badan": settings.agency_name, "logo_url": f"media/{settings.logo_path}" if settings.logo_path else "",
        "tempat": settings.place, "jp": settings.jp, "penanda_tangan_jabatan": settings.signer_title,
        "penanda_tangan_nama": settings.signer_name, "penanda_tangan_nip": settings.signer_nip,
        "penanda_tangan_pangkat": settings.signer_rank,
        "tanda_tangan_url": f"media/{settings.signature_image_path}" if settings.signature_image_path else "",
    }


def sample_data() -> dict:
    """Made-up values for the template editor's live preview."""
    url = f"{current_app.config['SITE_URL']}/verifikasi/CONT-OHKO-DEVE-RIFY"
    return {
        "instansi": "Pemerintah Kabupaten Contoh", "nama_badan": "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        "logo_url": "", "nomor": "800/0001/NETRAL/BKPSDM/2026", "nama": "Dewi Lestari, S.Pd.",
        "nip": "19920410 201903 2 011", "golongan": "III/b", "jabatan": "Guru Ahli Pertama",
        "unit": "SD Negeri 001", "program": "Sosialisasi Netralitas ASN Pilkada 2026",
        "kursus": "Netralitas ASN dalam Pemilu dan Pemilihan", "nilai": "90", "tanggal": "22 November 2026",
        "tempat": "Tanah Grogot", "jp": 2, "penanda_tangan_jabatan": "Kepala BKPSDM",
        "penanda_tangan_nama": "Nama Kepala, S.Sos., M.Si.", "penanda_tangan_nip": "19700101 199503 1 001",
        "penanda_tangan_pangkat": "Pembina Utama Muda (IV/c)", "tanda_tangan_url": "", "qr": qr_data_uri(url),
        "url_verifikasi": url, "kode_verifikasi": "CONT-OHKO-DEVE-RIFY",
        "materi_per": "31 Desember 2025", "ditinjau": "Bagian Hukum Setda, 1 Desember 2026",
    }


def template_source(settings: CertificateSettings) -> str:
    return settings.template_html or DEFAULT_TEMPLATE.read_text(encoding="utf-8")


def render_html(source: str, data: dict) -> str:
    """Render an (untrusted) certificate template in Jinja's sandbox from a plain dict."""
    try:
        return _sandbox.render_bounded(source, data)
    except TemplateTooHeavy as exc:  # a huge loop or value: refused within its bounds, not a hung worker
        raise InvalidInput(_l("Templat sertifikat terlalu berat untuk dirender: %(reason)s. Sederhanakan "
                              "perulangan atau perhitungannya.", reason=str(exc.reason))) from None
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:  # e.g. {{ 1/0 }}
        raise InvalidInput(_l("Templat sertifikat tidak dapat dipakai: %(error)s", error=str(exc))) from None


def render_certificate_pdf(certificate: Certificate) -> bytes:
    settings = settings_for(certificate.instansi_id)
    return render_pdf(render_html(template_source(settings), template_data(certificate)),
                      media_root=storage_root() / "media")


def ensure_pdf(certificate: Certificate) -> Certificate:
    """Render and store the PDF the first time it is needed; later calls only read."""
    if certificate.pdf_path:
        return certificate
    certificate = db.session.scalars(select(Certificate).where(Certificate.id == certificate.id)
                                     .with_for_update().execution_options(populate_existing=True)).one()
    if certificate.pdf_path is None:
        _store(certificate, render_certificate_pdf(certificate))
    return certificate


def _store(certificate: Certificate, pdf: bytes) -> None:
    digest = sha256_hex(pdf)
    relative = f"certificates/{certificate.year}/{certificate.verify_code}-{digest[:12]}.pdf"
    write_new_file(relative, pdf)
    certificate.pdf_path, certificate.pdf_sha256 = relative, digest
    db.session.flush()


def pdf_path(certificate: Certificate) -> Path:
    return storage_root() / certificate.pdf_path


def download_name(certificate: Certificate) -> str:
    return "sertifikat-" + re.sub(r"[^0-9A-Za-z]+", "-", certificate.number).strip("-") + ".pdf"


# --- admin ---------------------------------------------------------------------------------

def _require_admin(actor: Person) -> None:
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        raise NotAllowed()


def reissue(actor: Person, certificate: Certificate, now: datetime) -> Certificate:
    """After a data correction: render again, keep the number, remember the previous file's hash."""
    _require_admin(actor)
    if certificate.revoked_at is not None:
        raise InvalidInput(_l("Sertifikat yang dicabut tidak dapat diterbitkan ulang."))
    if certificate.pdf_sha256:
        certificate.previous_hashes = [*certificate.previous_hashes, certificate.pdf_sha256]
    certificate.reissued_at = now
    _store(certificate, render_certificate_pdf(certificate))
    audit.record(actor, "certificate.reissue", f"certificate:{certificate.id}", sha256=certificate.pdf_sha256)
    return certificate


def revoke(actor: Person, certificate: Certificate, reason: str, now: datetime) -> Certificate:
    _require_admin(actor)
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise InvalidInput(_l("Tuliskan alasan pencabutan."))
    if certificate.revoked_at is not None:
        raise InvalidInput(_l("Sertifikat ini sudah dicabut."))
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by_id = now, reason, actor.id
    db.session.flush()
    audit.record(actor, "certificate.revoke", f"certificate:{certificate.id}", reason=reason)
    return certificate


def revoke_for_pact(actor: Person, signature, reason: str, now: datetime) -> Certificate | None:
    """A revoked pact takes its certificate with it, with the same reason (hook of pact.services.revoke)."""
    certificate = find_certificate(signature.person_id, signature.program_id)
    if certificate is None or certificate.revoked_at is not None:
        return certificate
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by_id = now, reason, actor.id
    db.session.flush()
    audit.record(actor, "certificate.revoke", f"certificate:{certificate.id}", reason=reason,
                 pact=signature.id)
    return certificate


def get_certificate_for_staff(actor: Person, certificate_id: int, action=None) -> Certificate:
    """A certificate whose holder the actor may see (404 otherwise) and, when ``action`` is given
    (e.g. revoke or re-issue: Action.EDIT), may act on (403 otherwise)."""
    from ..accounts.scope import Action, get_person

    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise OutOfScope()
    get_person(actor, certificate.person_id, action or Action.VIEW)
    if not actor.is_staff:
        raise OutOfScope()
    return certificate


# --- verification --------------------------------------------------------------------------

def find_by_code(code: str) -> Certificate | None:
    canonical = canonical_code(code)
    return db.session.scalar(select(Certificate).where(Certificate.verify_code == canonical)) if canonical else None


def check_upload(certificate: Certificate, data: bytes) -> UploadCheck:
    """Is this the current file, one replaced by a re-issue, or the current file with changes appended?"""
    digest = sha256_hex(data)
    current = digest == certificate.pdf_sha256
    appended = not current and certificate.pdf_path is not None and starts_with_file(data, pdf_path(certificate))
    return UploadCheck(matches_current=current, matches_earlier=digest in (certificate.previous_hashes or []),
                       appended=appended)


def masked_facts(certificate: Certificate) -> list[tuple[str, str]]:
    program = db.session.get(Program, certificate.program_id)
    person = certificate.person
    return [("Nama", mask_name(person.name)), ("NIP / ID", mask_nip(person.nip)), ("Program", program.title),
            ("Nomor", certificate.number), ("Tanggal terbit", format_date_id(certificate.issued_at, zone_of(person)))]
