"""PactTemplate → PactTemplateVersion (frozen once published); PactSignature (+ witnesses)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Person, _enum
from ..core.clock import now_utc
from ..core.types import UTCDateTime
from ..extensions import db


class PactTemplate(db.Model):
    """A pact text, in numbered versions."""

    __tablename__ = "pact_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: The owning instansi; None for the template bundled with the app.
    instansi_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    versions: Mapped[list[PactTemplateVersion]] = relationship(
        back_populates="template", order_by="PactTemplateVersion.number")


class PactTemplateVersion(db.Model):
    """One edition of a pact text; never changes once published (signatures point at it)."""

    __tablename__ = "pact_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number", name="uq_pact_template_versions_template_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("pact_templates.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(String(200))
    opening: Mapped[str] = mapped_column(Text, default="")
    #: [{"text": "...", "requires_agreement": true}, ...] with {nama}-style placeholders.
    clauses: Mapped[list] = mapped_column(JSON, default=list)
    closing: Mapped[str] = mapped_column(Text, default="")
    legal_footer: Mapped[str] = mapped_column(Text, default="")
    source_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    template: Mapped[PactTemplate] = relationship(back_populates="versions")


class ProgramPact(db.Model):
    """Which pact version a program uses, and whether witnesses must countersign."""

    __tablename__ = "program_pacts"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("pact_template_versions.id"))

    template_version: Mapped[PactTemplateVersion] = relationship()
    witnesses: Mapped[list[ProgramWitness]] = relationship(
        order_by="ProgramWitness.position", cascade="all, delete-orphan",
        primaryjoin="ProgramPact.program_id == foreign(ProgramWitness.program_id)")


class ProgramWitness(db.Model):
    """A person who must countersign every pact of a program (e.g. the Bawaslu representative)."""

    __tablename__ = "program_witnesses"
    __table_args__ = (UniqueConstraint("program_id", "person_id", name="uq_program_witnesses_program_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    #: What the witness signs as, e.g. "Perwakilan Bawaslu Kabupaten Paser".
    capacity: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    person: Mapped[Person] = relationship()


class SignatureStatus(enum.StrEnum):
    AWAITING_WITNESSES = "awaiting_witnesses"
    COMPLETE = "complete"
    REVOKED = "revoked"


class PactSignature(db.Model):
    """A signed pact: who, which version, the exact text and its hash, when, from where, the PDF."""

    __tablename__ = "pact_signatures"
    __table_args__ = (
        # One open signature per person and program; a revoked one set aside by "reopen" no longer counts.
        Index("uq_pact_signatures_open", "program_id", "person_id", unique=True,
              postgresql_where=text("reopened_at IS NULL"), sqlite_where=text("reopened_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("pact_template_versions.id"))
    status: Mapped[SignatureStatus] = mapped_column(_enum(SignatureStatus, "signature_status"))
    #: The exact text the person saw and signed (placeholders filled), and its SHA-256.
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    typed_name: Mapped[str] = mapped_column(String(200))
    #: Optional drawn signature, as a PNG data URL (size-limited).
    drawn_signature: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    #: Unguessable code printed under the QR and typed on the verification page.
    verify_code: Mapped[str] = mapped_column(String(32), unique=True)
    pdf_path: Mapped[str | None] = mapped_column(String(200))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    #: Hashes of earlier revisions of the PDF (before each witness's signature was added).
    pdf_history: Mapped[list] = mapped_column(JSON, default=list)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    #: When an admin reopened signing after the revocation (the person may sign again).
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    template_version: Mapped[PactTemplateVersion] = relationship()
    witness_signatures: Mapped[list[WitnessSignature]] = relationship(
        back_populates="signature", order_by="WitnessSignature.signed_at", cascade="all, delete-orphan")


class WitnessSignature(db.Model):
    """A witness's countersignature of one pact, with the same care (re-authentication, text hash)."""

    __tablename__ = "witness_signatures"
    __table_args__ = (UniqueConstraint("signature_id", "witness_id", name="uq_witness_signatures_signature_witness"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("pact_signatures.id", ondelete="CASCADE"), index=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("program_witnesses.id"))
    text_sha256: Mapped[str] = mapped_column(String(64))
    typed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    signature: Mapped[PactSignature] = relationship(back_populates="witness_signatures")
    witness: Mapped[ProgramWitness] = relationship()
