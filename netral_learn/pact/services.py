"""Signing the pact, countersigning as a witness, revoking, and answering verification.

A signature is one transaction: the row (unique per person and program), the enrollment step,
the audit entry. Re-authentication uses the account's password and counts failures like a login.
The signed PDF (rendered, then PAdES-signed: most of a signing's cost) is made by the worker right
after the commit when a queue is configured, so the person is not kept waiting during a mass
event; without one it is made in the same transaction. Whoever needs it first (a download, a
witness) makes it if it is not there yet; it is written atomically and removed again if its
transaction rolls back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts import services as account_services
from ..accounts.models import ROLE_RANK, Person, Role, Unit
from ..core import audit
from ..core.errors import DomainError, InvalidInput, NotAllowed, OutOfScope
from ..core.i18n import local_today
from ..core.jobs import queue_after_commit, run_in_app
from ..accounts.scope import Action, require
from ..core.storage import storage_root, write_new_file
from ..courses import services as course_services
from ..courses.models import Enrollment, Program
from ..courses.progress import Step
from ..extensions import db
from ..verify.registry import UploadCheck, canonical_code, new_code, starts_with_file
from . import document
from .models import (
    PactSignature,
    PactTemplate,
    PactTemplateVersion,
    ProgramPact,
    ProgramWitness,
    SignatureStatus,
    WitnessSignature,
)

DEFAULT_TEMPLATE_SLUG = "pakta-netralitas"
_TITLE_WORDS = re.compile(r"^(h|hj|dr|drs|dra|ir|prof|kh|h\.|hj\.)\.?$", re.IGNORECASE)
MAX_DRAWN_SIGNATURE = 60_000  # characters of data URL


class AlreadySigned(DomainError):
    status = 409
    default_message = _l("Anda sudah menandatangani pakta program ini. Tanda tangan tidak dapat diulang.")


class WrongPassword(InvalidInput):
    """Re-authentication failed; the failure counter is committed all the same."""

    keep_work = True


class PactNotConfigured(DomainError):
    status = 503
    default_message = _l("Teks pakta untuk program ini belum tersedia. Hubungi BKPSDM.")


# --- which text ----------------------------------------------------------------------------

def program_pact(program: Program) -> tuple[PactTemplateVersion, list[ProgramWitness]]:
    """The pact version a program uses (else the newest published default) and its witnesses."""
    chosen = db.session.get(ProgramPact, program.id)
    if chosen is not None:
        return chosen.template_version, list(chosen.witnesses)
    version = db.session.scalar(
        select(PactTemplateVersion).join(PactTemplate)
        .where(PactTemplate.slug == DEFAULT_TEMPLATE_SLUG, PactTemplateVersion.published.is_(True))
        .order_by(PactTemplateVersion.number.desc()).limit(1))
    if version is None:
        raise PactNotConfigured()
    return version, []


def instansi_of(program: Program) -> Unit:
    return db.session.get(Unit, program.instansi_id)


def filled_pact(person: Person, program: Program, when: datetime) -> document.FilledPact:
    version, _ = program_pact(program)
    instansi = instansi_of(program)
    values = document.placeholder_values(person, program, instansi, place_name(instansi), when)
    return document.fill_version(version, values)


def place_name(instansi: Unit) -> str:
    """'Pemerintah Kabupaten Paser' → 'Kabupaten Paser' for the place line of the closing."""
    return re.sub(r"^Pemerintah\s+", "", instansi.name)


# --- signing -------------------------------------------------------------------------------

def normalize_name(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name or "").casefold().split())


def name_matches(typed: str, full_name: str) -> bool:
    """The typed name equals the full name, with or without academic and religious titles."""
    typed_n = normalize_name(typed)
    core = full_name.split(",")[0]
    without_titles = " ".join(w for w in core.split() if not _TITLE_WORDS.match(w.strip()))
    return bool(typed_n) and typed_n in {normalize_name(full_name), normalize_name(core),
                                         normalize_name(without_titles)}


new_verify_code = new_code


def _reauthenticate(person: Person, password: str, ip: str | None) -> None:
    if not account_services.check_current_password(person, password or ""):
        account_services.record_failed_password(person, ip)
        raise WrongPassword(_l("Kata sandi salah. Tanda tangan memerlukan kata sandi akun Anda."))


def _check_drawn(drawn: str | None) -> str | None:
    if not drawn:
        return None
    if not drawn.startswith("data:image/png;base64,") or len(drawn) > MAX_DRAWN_SIGNATURE:
        raise InvalidInput(_l("Gambar tanda tangan tidak valid atau terlalu besar; hapus lalu gambar ulang."))
    return drawn


@dataclass
class SignRequest:
    agreed: set[int]
    typed_name: str
    password: str
    drawn_signature: str | None
    ip: str | None
    user_agent: str | None


def find_signature(person: Person, program: Program) -> PactSignature | None:
    """The person's signature of the program's pact that still counts (a revoked one reopened by an
    admin does not: the person signs again)."""
    return db.session.scalar(select(PactSignature).where(PactSignature.program_id == program.id,
                                                         PactSignature.person_id == person.id,
                                                         PactSignature.reopened_at.is_(None)))


def sign_pact(person: Person, program: Program, request: SignRequest, now: datetime) -> PactSignature:
    """Sign the program's pact: step check, every required clause ticked, name typed as written,
    password re-entered; then the signature row and the audit entry, in one transaction (the signed
    PDF follows, see below)."""
    course_services.require_open(program, local_today(person))
    enrollment = course_services.require_step(person, program, Step.PACT)
    if find_signature(person, program) is not None:
        raise AlreadySigned()
    pact = filled_pact(person, program, now)
    required = {i for i, clause in enumerate(pact.clauses) if clause["requires_agreement"]}
    if not required <= request.agreed:
        raise InvalidInput(_l("Centang persetujuan pada setiap butir pakta sebelum menandatangani."))
    if not name_matches(request.typed_name, person.name):
        raise InvalidInput(_l("Nama yang diketik tidak sama dengan nama Anda (%(name)s). Ketik nama lengkap Anda.",
                              name=person.name))
    drawn = _check_drawn(request.drawn_signature)
    _reauthenticate(person, request.password, request.ip)
    version, witnesses = program_pact(program)
    text = pact.canonical_text()
    signature = PactSignature(
        program_id=program.id, person_id=person.id, template_version_id=version.id,
        status=SignatureStatus.AWAITING_WITNESSES if witnesses else SignatureStatus.COMPLETE,
        text=text, text_sha256=document.sha256_hex(text), typed_name=request.typed_name.strip()[:200],
        drawn_signature=drawn, signed_at=now, ip=(request.ip or "")[:64] or None,
        user_agent=(request.user_agent or "")[:255] or None, verify_code=new_verify_code(), pdf_history=[],
    )
    try:
        with db.session.begin_nested():
            db.session.add(signature)
    except IntegrityError:
        raise AlreadySigned() from None
    if not witnesses:
        _complete(enrollment, now)
    audit.record(person, "pact.sign", f"pact:{signature.id}", program=program.id, text_sha256=signature.text_sha256,
                 ip=signature.ip)
    # The signed PDF (WeasyPrint + PAdES, the slow part) is never made inside this transaction:
    # with a queue, a worker makes it after the commit; without one (the embedded default), the
    # first download or witness makes it (ensure_pdf), so a burst of signatures holds SQLite's
    # single writer lock only for their rows.
    queue_after_commit(render_job, signature.id)
    return signature


def render_job(signature_id: int) -> None:
    """Worker job: make the signed PDF of a new signature ahead of its first download."""

    def run():
        signature = db.session.get(PactSignature, signature_id)
        if signature is not None and signature.pdf_path is None:
            ensure_pdf(signature)
            db.session.commit()

    run_in_app(run)


def ensure_pdf(signature: PactSignature) -> PactSignature:
    """The signature with its signed PDF, made now if nobody has made it yet. The row is locked
    first, so the worker and a download racing for the same pact make one PDF, not two."""
    if signature.pdf_path:
        return signature
    signature = db.session.scalars(select(PactSignature).where(PactSignature.id == signature.id)
                                   .with_for_update().execution_options(populate_existing=True)).one()
    if signature.pdf_path is None:
        program = db.session.get(Program, signature.program_id)
        pdf = document.render_signed_pdf(signature, signature.person, program, instansi_of(program),
                                         program_pact(program)[1])
        _store_pdf(signature, pdf)
        audit.record(None, "pact.pdf", f"pact:{signature.id}", pdf_sha256=signature.pdf_sha256)
    return signature


def _store_pdf(signature: PactSignature, pdf: bytes) -> None:
    if signature.pdf_sha256:
        signature.pdf_history = [*signature.pdf_history, signature.pdf_sha256]
    digest = document.sha256_hex(pdf)
    relative = f"pacts/{signature.verify_code}-{digest[:12]}.pdf"
    write_new_file(relative, pdf)
    signature.pdf_path, signature.pdf_sha256 = relative, digest
    db.session.flush()


def _complete(enrollment: Enrollment, now: datetime) -> None:
    """The pact step is done: record it (the certificate follows from here)."""
    if enrollment.pact_signed_at is None:
        enrollment.pact_signed_at = now
    db.session.flush()
    for hook in COMPLETION_HOOKS:
        hook(enrollment, now)


#: Called when a pact becomes complete (the certificates feature issues the certificate).
COMPLETION_HOOKS: list = []


def pdf_bytes(signature: PactSignature) -> bytes:
    return (storage_root() / signature.pdf_path).read_bytes()


# --- witnesses -----------------------------------------------------------------------------

def witness_roles(person: Person) -> list[ProgramWitness]:
    return db.session.scalars(select(ProgramWitness).where(ProgramWitness.person_id == person.id)).all()


def pending_for_witness(person: Person) -> list[PactSignature]:
    """Pacts of the programs that name this person as witness, still waiting for them."""
    result = []
    for role in witness_roles(person):
        signatures = db.session.scalars(select(PactSignature).where(
            PactSignature.program_id == role.program_id,
            PactSignature.status == SignatureStatus.AWAITING_WITNESSES)).all()
        result += [s for s in signatures if all(w.witness_id != role.id for w in s.witness_signatures)]
    return result


def get_signature_for_witness(person: Person, signature_id: int) -> tuple[PactSignature, ProgramWitness]:
    signature = db.session.get(PactSignature, signature_id)
    role = next((r for r in witness_roles(person) if signature and r.program_id == signature.program_id), None)
    if signature is None or role is None:
        raise OutOfScope()
    return signature, role


def witness_sign(person: Person, signature_id: int, *, text_sha256: str, typed_name: str, password: str,
                 ip: str | None, user_agent: str | None, now: datetime) -> PactSignature:
    """Countersign one pact; the last witness completes it. The PDF gets one more PAdES signature."""
    signature, role = get_signature_for_witness(person, signature_id)
    signature = db.session.scalars(select(PactSignature).where(PactSignature.id == signature.id)
                                   .with_for_update().execution_options(populate_existing=True)).one()
    if signature.status == SignatureStatus.REVOKED:
        raise InvalidInput(_l("Pakta ini sudah dicabut."))
    if any(w.witness_id == role.id for w in signature.witness_signatures):
        raise AlreadySigned(_l("Anda sudah menandatangani pakta ini sebagai saksi."))
    if text_sha256 != signature.text_sha256:
        raise InvalidInput(_l("Teks pakta yang Anda baca berbeda dengan yang tersimpan. Muat ulang halaman."))
    ensure_pdf(signature)  # the signer's PDF first: the witness's signature is added to it
    if not name_matches(typed_name, person.name):
        raise InvalidInput(_l("Nama yang diketik tidak sama dengan nama Anda (%(name)s).", name=person.name))
    _reauthenticate(person, password, ip)
    signature.witness_signatures.append(WitnessSignature(
        witness_id=role.id, text_sha256=text_sha256, typed_name=typed_name.strip()[:200], signed_at=now,
        ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:255] or None))
    program = db.session.get(Program, signature.program_id)
    pdf = document.add_pades_signature(
        pdf_bytes(signature), field=f"Saksi{len(signature.witness_signatures)}", name=person.name,
        reason=f"Saksi ({role.capacity}): {program.title}", location=instansi_of(program).name)
    _store_pdf(signature, pdf)
    witnesses = program_pact(program)[1]
    if {w.id for w in witnesses} <= {w.witness_id for w in signature.witness_signatures}:
        signature.status = SignatureStatus.COMPLETE
        enrollment = course_services.find_enrollment(signature.person, program)
        _complete(enrollment, now)
    audit.record(person, "pact.witness_sign", f"pact:{signature.id}", witness=role.id,
                 pdf_sha256=signature.pdf_sha256)
    return signature


# --- admin ---------------------------------------------------------------------------------

def revoke(actor: Person, signature: PactSignature, reason: str, now: datetime, *,
           certificate_too: bool = True) -> PactSignature:
    """Revoke a signature with a reason (audit-logged); verification then says so. The person's
    certificate for the program is revoked with the same reason unless the admin explicitly keeps
    it (``certificate_too=False``, recorded in the audit entry): a certificate rests on the pact."""
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        raise NotAllowed()
    require(actor, signature.person, Action.EDIT)
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise InvalidInput(_l("Tuliskan alasan pencabutan."))
    if signature.status == SignatureStatus.REVOKED:
        raise InvalidInput(_l("Pakta ini sudah dicabut."))
    signature.status = SignatureStatus.REVOKED
    signature.revoked_at, signature.revoked_reason, signature.revoked_by_id = now, reason, actor.id
    db.session.flush()
    audit.record(actor, "pact.revoke", f"pact:{signature.id}", reason=reason, certificate_too=certificate_too)
    if certificate_too:
        for hook in REVOCATION_HOOKS:
            hook(actor, signature, reason, now)
    return signature


def reopen(actor: Person, signature: PactSignature, now: datetime) -> PactSignature:
    """After a revocation, let the person sign the pact again: the revoked signature stays (its code
    still verifies as revoked) but no longer counts, and the enrollment is back at the pact step."""
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        raise NotAllowed()
    require(actor, signature.person, Action.EDIT)
    if signature.status != SignatureStatus.REVOKED:
        raise InvalidInput(_l("Hanya pakta yang sudah dicabut yang dapat dibuka untuk ditandatangani ulang."))
    if signature.reopened_at is not None:
        raise InvalidInput(_l("Penandatanganan pakta ini sudah dibuka ulang."))
    signature.reopened_at = now
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.program_id == signature.program_id,
                                                            Enrollment.person_id == signature.person_id))
    if enrollment is not None:
        enrollment.pact_signed_at = None
        enrollment.completed_at = None
    db.session.flush()
    audit.record(actor, "pact.reopen", f"pact:{signature.id}", person=signature.person_id,
                 program=signature.program_id)
    return signature


#: Called when a pact is revoked (the certificates feature revokes the certificate resting on it).
REVOCATION_HOOKS: list = []


# --- verification --------------------------------------------------------------------------

def mask_name(name: str) -> str:
    """'Dewi Lestari, S.Pd.' → 'D*** L******' (titles dropped, first letters kept)."""
    words = [w for w in name.split(",")[0].split() if not _TITLE_WORDS.match(w)]
    return " ".join(w[0] + "*" * (len(w) - 1) for w in words)


def mask_nip(nip: str) -> str:
    """Keep the first four and last three characters: '1992***********011'."""
    return nip[:4] + "*" * max(len(nip) - 7, 0) + nip[-3:] if len(nip) > 7 else "*" * len(nip)


def find_by_code(code: str) -> PactSignature | None:
    canonical = canonical_code(code)
    return db.session.scalar(select(PactSignature).where(PactSignature.verify_code == canonical)) if canonical else None


def check_uploaded_pdf(signature: PactSignature, data: bytes) -> UploadCheck:
    """Do these bytes match the stored PDF (or an earlier revision), do its signatures validate, and
    was anything appended after signing (pyHanko's coverage and modification analysis, and the
    stored file found as the upload's beginning)?"""
    digest = document.sha256_hex(data)
    pdf_check = document.check_pdf_signatures(data)
    current = digest == signature.pdf_sha256
    appended = not current and (
        (pdf_check.all_valid and pdf_check.changed_after_signing)
        or (signature.pdf_path is not None and starts_with_file(data, storage_root() / signature.pdf_path)))
    return UploadCheck(matches_current=current, matches_earlier=digest in (signature.pdf_history or []),
                       appended=appended, signatures=pdf_check)
