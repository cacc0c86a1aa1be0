"""Append-only audit log whose entries are chained by hash, so tampering shows.

Each entry stores ``hash = SHA-256(prev_hash + canonical JSON of its content)`` and a gap-free
sequence number. Appends are serialized (a transaction-scoped advisory lock on PostgreSQL;
SQLite has one writer at a time, and the unique ``seq`` refuses a fork either way), so many
concurrent writers still leave one valid chain. :func:`verify_chain` walks it and names the
first entry that does not fit: an edited byte, a deleted row, two rows swapped. The head hash is
printed on official reports so it is anchored outside the database.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, func, select, text
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

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Position in the chain, 1, 2, 3 … without gaps.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(120), index=True)
    #: Canonical JSON (sorted keys) of the details, exactly as hashed.
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, seq: int, created_at: datetime, actor_id, action: str, target: str,
               details: str) -> str:
    content = _canonical({"seq": seq, "at": created_at.isoformat(), "actor": actor_id, "action": action,
                          "target": target, "details": details})
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


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
    event = AuditEvent(seq=seq, created_at=created_at, actor_id=actor_id, action=action, target=target,
                       details=details_json, prev_hash=prev_hash,
                       hash=entry_hash(prev_hash, seq, created_at, actor_id, action, target, details_json))
    db.session.add(event)
    db.session.flush()
    logger.info("%s %s by %s", action, target, actor_id)
    return event


def head_hash() -> str:
    """The hash of the newest entry (GENESIS for an empty log): print it on official reports."""
    return db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)) or GENESIS


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the chain in order and report the first entry that breaks it."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > last_seq)
                                  .order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return ChainReport(True, checked)
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"entri {expected_seq} hilang (berikutnya {event.seq})")
            if event.prev_hash != expected_prev:
                return ChainReport(False, checked, event.seq, "hash entri sebelumnya tidak cocok (dihapus atau ditukar)")
            recomputed = entry_hash(event.prev_hash, event.seq, event.created_at, event.actor_id, event.action,
                                    event.target, event.details)
            if recomputed != event.hash:
                return ChainReport(False, checked, event.seq, "isi entri berubah setelah dicatat")
            expected_prev, expected_seq = event.hash, event.seq + 1
            checked += 1
            last_seq = event.seq
        db.session.expunge_all()


def count_events() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id))) or 0
