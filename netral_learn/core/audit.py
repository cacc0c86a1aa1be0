"""Append-only audit log whose entries are chained by hash, so tampering shows.

Each entry stores ``hash = SHA-256(prev_hash + canonical JSON of its content)`` and a gap-free
sequence number. Appends are serialized (a transaction-scoped advisory lock on PostgreSQL;
SQLite has one writer at a time, and the unique ``seq`` refuses a fork either way), so many
concurrent writers still leave one valid chain. :func:`verify_chain` walks it and names the
first entry that does not fit: an edited byte, a deleted row, two rows swapped.

A walk alone cannot see the newest rows deleted, nor a chain recomputed from an edited row on:
both leave a valid chain. So the head is *anchored* outside the table — signed with the
instansi's key and appended to a file in storage (``pact/audit_anchors.py``), printed on
official reports — and :func:`verify_chain` checks the rows against every anchor it is given.

Each entry also names the instansi it belongs to and the person it concerns (when it concerns
one), resolved here from the target and the actor, so the audit-log page can be scoped and
filtered without every caller saying so. :data:`ACTIONS` names every kind of entry.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .clock import now_utc
from .transactions import on_postgresql
from .types import UTCDateTime

logger = logging.getLogger("netral_learn.audit")
GENESIS = "0" * 64
_ADVISORY_KEY = 0x4E45_5452  # "NETR": the audit-chain lock


class AuditEvent(db.Model):
    """One entry of the audit chain (never updated, never deleted)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_instansi_seq", "instansi_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Position in the chain, 1, 2, 3 … without gaps.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    #: The instansi (root unit) whose admins see this entry; None: superadmins only.
    instansi_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: The person the entry concerns (whose record was viewed, changed, signed…), if any.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(120), index=True)
    #: Canonical JSON (sorted keys) of the details, exactly as hashed.
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, seq: int, created_at: datetime, actor_id, action: str, target: str,
               details: str, instansi_id: int | None = None, subject_id: int | None = None) -> str:
    """The entry's hash. Instansi and subject are hashed only when set, so entries written
    before those columns existed keep their hash."""
    content = {"seq": seq, "at": created_at.isoformat(), "actor": actor_id, "action": action,
               "target": target, "details": details}
    if instansi_id is not None:
        content["instansi"] = instansi_id
    if subject_id is not None:
        content["subject"] = subject_id
    return hashlib.sha256((prev_hash + _canonical(content)).encode()).hexdigest()


def _hash_of(event: AuditEvent) -> str:
    return entry_hash(event.prev_hash, event.seq, event.created_at, event.actor_id, event.action, event.target,
                      event.details, event.instansi_id, event.subject_id)


#: Every kind of entry, with the label the audit-log page shows (its filter lists these).
ACTIONS: dict[str, object] = {
    # sign-in and access
    "auth.login": _l("Masuk berhasil"),
    "auth.login_failed": _l("Masuk gagal"),
    "auth.lockout": _l("Akun dikunci (terlalu banyak percobaan)"),
    "api.token_use": _l("Token API dipakai"),
    "person.view": _l("Data pegawai dilihat staf"),
    "slip.print": _l("Slip login dicetak"),
    "report.export": _l("Laporan diekspor"),
    "certificate.bulk_download": _l("Sertifikat diunduh massal"),
    "audit.view": _l("Log audit dilihat"),
    # accounts
    "password.change": _l("Kata sandi diganti"),
    "password.reset": _l("Kata sandi direset"),
    "account.unlock": _l("Akun dibuka kuncinya"),
    "person.activate": _l("Pegawai diaktifkan"),
    "person.deactivate": _l("Pegawai dinonaktifkan"),
    "person.role": _l("Peran pegawai diubah"),
    "roster.import": _l("Roster diimpor"),
    "unit.create": _l("Unit dibuat"),
    "unit.rename": _l("Unit diganti nama"),
    "unit.move": _l("Unit dipindah"),
    "unit.activate": _l("Unit diaktifkan"),
    "unit.deactivate": _l("Unit dinonaktifkan"),
    # content and programs
    "course.create": _l("Kursus dibuat"),
    "course.copy": _l("Kursus disalin"),
    "course_version.update": _l("Versi kursus diubah"),
    "course_version.publish": _l("Versi kursus diterbitkan"),
    "course_version.new_draft": _l("Draf versi kursus dibuat"),
    "course_version.archive": _l("Versi kursus diarsipkan"),
    "course_version.review": _l("Versi kursus ditinjau"),
    "module.create": _l("Modul dibuat"),
    "module.update": _l("Modul diubah"),
    "module.delete": _l("Modul dihapus"),
    "module.move": _l("Modul dipindah"),
    "module.attach": _l("Lampiran modul ditambahkan"),
    "program.create": _l("Program dibuat"),
    "program.update": _l("Program diubah"),
    "program.publish": _l("Program diterbitkan"),
    "program.unpublish": _l("Program ditarik"),
    "quiz.question.create": _l("Soal dibuat"),
    "quiz.question.update": _l("Soal diubah"),
    "quiz.question.activate": _l("Soal diaktifkan"),
    "quiz.question.deactivate": _l("Soal dinonaktifkan"),
    "quiz.bank.import": _l("Bank soal diimpor"),
    "quiz.settings": _l("Pengaturan kuis diubah"),
    # pacts and certificates
    "pact.sign": _l("Pakta ditandatangani"),
    "pact.pdf": _l("PDF pakta dibuat"),
    "pact.witness_sign": _l("Pakta ditandatangani saksi"),
    "pact.revoke": _l("Pakta dicabut"),
    "pact.reopen": _l("Penandatanganan pakta dibuka ulang"),
    "pact_template.create": _l("Templat pakta dibuat"),
    "pact_version.update": _l("Versi pakta diubah"),
    "pact_version.publish": _l("Versi pakta diterbitkan"),
    "pact_version.new_draft": _l("Draf versi pakta dibuat"),
    "program_pact.set": _l("Pakta program ditetapkan"),
    "witness.create": _l("Akun saksi dibuat"),
    "certificate.issue": _l("Sertifikat terbit"),
    "certificate.reissue": _l("Sertifikat diterbitkan ulang"),
    "certificate.revoke": _l("Sertifikat dicabut"),
    "certificate.settings": _l("Pengaturan sertifikat diubah"),
    "certificate.logo": _l("Logo sertifikat diganti"),
    "certificate.signature": _l("Tanda tangan sertifikat diganti"),
    "certificate.template": _l("Templat sertifikat diubah"),
    "certificate.template_reset": _l("Templat sertifikat dikembalikan ke bawaan"),
    "api.client.create": _l("Token API dibuat"),
    "api.client.revoke": _l("Token API dicabut"),
    "report.reminders": _l("Pengingat dikirim"),
    "pledge.open": _l("Ikrar serentak dibuka"),
    # people, instansi and accounts (added with the person-action rule and the roster import)
    "activation.link": _l("Tautan aktivasi dibuat"),
    "activation.use": _l("Akun diaktifkan lewat tautan"),
    "password.set_in_person": _l("Kata sandi diatur langsung oleh admin"),
    "password.renew_expired": _l("Kata sandi awal yang kedaluwarsa diperbarui"),
    "person.create": _l("Pegawai ditambahkan"),
    "person.move": _l("Pegawai dipindah unit"),
    "instansi.create": _l("Instansi dibuat"),
    "roster.operator_import": _l("Izin impor roster untuk operator diubah"),
    "program.carry_over": _l("Pengaturan kuis dan pakta disalin ke program baru"),
    "quiz.attempts_granted": _l("Percobaan kuis tambahan diberikan"),
    "privacy.notice": _l("Pemberitahuan privasi diubah"),
    "privacy.purge": _l("Data pribadi pegawai yang keluar dihapus"),
    "sso.required_for_staff": _l("SSO diwajibkan/tidak lagi diwajibkan untuk staf"),
}


def action_label(action: str) -> str:
    """The Indonesian (or English) name of an entry kind; the raw kind when it has none."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action


#: How the instansi and the person an entry concerns are found from its target ("kind:id"):
#: SQL over the tables by name, so this core module imports no feature.
_TARGET_LOOKUPS = {
    "person": "SELECT u.path, p.id FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = :id",
    "unit": "SELECT path, NULL FROM units WHERE id = :id",
    "program": "SELECT u.path, NULL FROM programs g JOIN units u ON u.id = g.instansi_id WHERE g.id = :id",
    "certificate": "SELECT u.path, c.person_id FROM certificates c JOIN units u ON u.id = c.instansi_id "
                   "WHERE c.id = :id",
    "pact": "SELECT u.path, s.person_id FROM pact_signatures s JOIN programs g ON g.id = s.program_id "
            "JOIN units u ON u.id = g.instansi_id WHERE s.id = :id",
    "api_client": "SELECT u.path, NULL FROM api_clients a JOIN units u ON u.id = a.instansi_id WHERE a.id = :id",
}


def _root_of(path: str | None) -> int | None:
    parts = (path or "").strip("/").split("/")
    return int(parts[0]) if parts and parts[0].isdigit() else None


def _resolve(actor, target: str) -> tuple[int | None, int | None]:
    """(instansi id, person id) an entry belongs to: from its target when that names a known row,
    else the actor's own instansi."""
    kind, _, ident = target.partition(":")
    instansi_id = subject_id = None
    if kind in _TARGET_LOOKUPS and ident.isdigit() and len(ident) < 19:
        row = db.session.execute(text(_TARGET_LOOKUPS[kind]), {"id": int(ident)}).first()
        if row is not None:
            instansi_id, subject_id = _root_of(row[0]), row[1]
    if instansi_id is None:
        unit = getattr(actor, "scope_unit", None) or getattr(actor, "unit", None)
        instansi_id = _root_of(getattr(unit, "path", None))
    return instansi_id, subject_id


def _lock_chain() -> None:
    if on_postgresql():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})


def record(actor, action: str, target: str, **details) -> AuditEvent:
    """Append ``actor`` did ``action`` to ``target`` to the chain, in the caller's transaction."""
    _lock_chain()
    head = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
    created_at = now_utc()
    actor_id = getattr(actor, "id", None)
    details_json = _canonical(details)
    instansi_id, subject_id = _resolve(actor, target)
    event = AuditEvent(seq=seq, created_at=created_at, actor_id=actor_id, action=action, target=target,
                       details=details_json, prev_hash=prev_hash, instansi_id=instansi_id, subject_id=subject_id)
    event.hash = _hash_of(event)
    db.session.add(event)
    db.session.flush()
    logger.info("%s %s by %s", action, target, actor_id)
    return event


def head_hash() -> str:
    """The hash of the newest entry (GENESIS for an empty log): print it on official reports."""
    return db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)) or GENESIS


@dataclass(frozen=True)
class Head:
    """Where the chain ends now: what an anchor signs."""

    seq: int
    count: int
    last_id: int | None
    hash: str


def current_head(session=None) -> Head:
    """The newest entry's position, id and hash, and the number of entries (seq 0 and GENESIS
    for an empty log)."""
    session = session or db.session
    row = session.execute(select(AuditEvent.seq, AuditEvent.id, AuditEvent.hash)
                             .order_by(AuditEvent.seq.desc()).limit(1)).first()
    count = session.scalar(select(func.count(AuditEvent.id))) or 0
    if row is None:
        return Head(0, count, None, GENESIS)
    return Head(row.seq, count, row.id, row.hash)


@dataclass(frozen=True)
class Anchor:
    """A head of the chain recorded (and signed) outside the table at ``at``."""

    seq: int
    count: int
    last_id: int | None
    hash: str
    at: datetime | None = None


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""
    #: The newest anchor the rows were checked against, and how many entries came after it.
    last_anchor: Anchor | None = None
    since_anchor: int = 0


def _check_anchor(anchor: Anchor, event: AuditEvent) -> str | None:
    """Why ``event`` (the entry at the anchor's position) does not match the anchor, or None."""
    if event.hash != anchor.hash:
        return (f"entri {anchor.seq} tidak sama dengan jangkar {_at(anchor)} "
                "(rantai dihitung ulang atau diubah)")
    if anchor.last_id is not None and event.id != anchor.last_id:
        return f"entri {anchor.seq} bukan baris yang dijangkarkan {_at(anchor)} (id {event.id} ≠ {anchor.last_id})"
    if anchor.count != anchor.seq:
        return f"jangkar {_at(anchor)} mencatat {anchor.count} entri untuk posisi {anchor.seq}"
    return None


def _at(anchor: Anchor) -> str:
    return f"{anchor.at:%Y-%m-%d %H:%M} UTC" if anchor.at else f"#{anchor.seq}"


def verify_chain(batch: int = 5000, anchors=(), *, start_after: Anchor | None = None, session=None) -> ChainReport:
    """Walk the chain in order and report the first entry that breaks it, or the first anchor
    it does not reach or match: rows recomputed after an edit change the anchored hash, rows
    deleted from the end leave an anchor pointing past the last entry.

    ``start_after`` walks only the entries after that anchor (whose own entry is checked): the
    quick check of the audit-log page; the CLI and every new anchor walk the whole chain."""
    session = session or db.session
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        by_seq.setdefault(anchor.seq, []).append(anchor)
    newest = max(anchors, key=lambda a: a.seq, default=None)
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    if start_after is not None and start_after.seq > 0:
        event = session.scalar(select(AuditEvent).where(AuditEvent.seq == start_after.seq))
        if event is None:
            return ChainReport(False, 0, start_after.seq, _truncated(start_after, None), newest)
        problem = _check_anchor(start_after, event) or (
            "isi entri berubah setelah dicatat" if _hash_of(event) != event.hash else None)
        if problem:
            return ChainReport(False, 0, start_after.seq, problem, newest)
        expected_prev, expected_seq = event.hash, event.seq + 1
    last_seq = expected_seq - 1
    if 0 in by_seq:  # an anchor of the empty log: nothing to match
        by_seq.pop(0)
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.seq > last_seq)
                               .order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"entri {expected_seq} hilang (berikutnya {event.seq})",
                                   newest)
            if event.prev_hash != expected_prev:
                return ChainReport(False, checked, event.seq, "hash entri sebelumnya tidak cocok (dihapus atau ditukar)",
                                   newest)
            if _hash_of(event) != event.hash:
                return ChainReport(False, checked, event.seq, "isi entri berubah setelah dicatat", newest)
            for anchor in by_seq.pop(event.seq, ()):
                problem = _check_anchor(anchor, event)
                if problem:
                    return ChainReport(False, checked, event.seq, problem, newest)
            expected_prev, expected_seq = event.hash, event.seq + 1
            checked += 1
            last_seq = event.seq
        session.expunge_all()
    beyond = [anchor for seq, items in by_seq.items() if seq >= expected_seq for anchor in items]
    if beyond:
        furthest = max(beyond, key=lambda a: a.seq)
        return ChainReport(False, checked, expected_seq, _truncated(furthest, last_seq), newest)
    since = last_seq - newest.seq if newest is not None else last_seq
    return ChainReport(True, checked, last_anchor=newest, since_anchor=max(since, 0))


def _truncated(anchor: Anchor, last_seq: int | None) -> str:
    tail = f"log berakhir di entri {last_seq}" if last_seq is not None else f"entri {anchor.seq} tidak ada"
    return f"jangkar {_at(anchor)} mencatat {anchor.seq} entri, tetapi {tail}: entri terakhir dihapus"


def count_events() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id))) or 0
