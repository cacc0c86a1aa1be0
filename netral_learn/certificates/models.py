"""Certificate (one per person and program), the per-instansi-year counter, and instansi settings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Person
from ..core.types import UTCDateTime
from ..extensions import db


class Certificate(db.Model):
    """The certificate a person keeps; issued once, number never changes (even on re-issue)."""

    __tablename__ = "certificates"
    __table_args__ = (
        # One valid certificate per person and program (a revoked one stays, e.g. before a re-signing).
        Index("uq_certificates_valid", "program_id", "person_id", unique=True,
              postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")),
        UniqueConstraint("instansi_id", "year", "seq", name="uq_certificates_instansi_year_seq"),
        # Numbers are unique per instansi: two regencies may both use "800/0001/NETRAL/BKPSDM/2026".
        UniqueConstraint("instansi_id", "number", name="uq_certificates_instansi_number"),
        # The few revoked certificates of a program, found without reading the others (report counts).
        Index("ix_certificates_revoked", "program_id", postgresql_where=text("revoked_at IS NOT NULL"),
              sqlite_where=text("revoked_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    instansi_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    #: Gap-free sequence within (instansi, year).
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120))
    verify_code: Mapped[str] = mapped_column(String(32), unique=True)
    score: Mapped[float | None] = mapped_column(db.Numeric(5, 2, asdecimal=False))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pdf_path: Mapped[str | None] = mapped_column(String(200))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    #: Hashes of files replaced by a re-issue after a data correction.
    previous_hashes: Mapped[list] = mapped_column(JSON, default=list)
    reissued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class CertificateCounter(db.Model):
    """Last number issued per instansi and year (locked while a number is taken)."""

    __tablename__ = "certificate_counters"

    instansi_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CertificateSettings(db.Model):
    """How an instansi's certificates look and are numbered."""

    __tablename__ = "certificate_settings"

    instansi_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    #: e.g. "800/{nomor:04d}/NETRAL/BKPSDM/{tahun}"; fields: nomor, tahun, bulan_romawi.
    number_pattern: Mapped[str] = mapped_column(String(120), default="800/{nomor:04d}/NETRAL/BKPSDM/{tahun}")
    #: Place printed before the date, e.g. "Tanah Grogot".
    place: Mapped[str] = mapped_column(String(100), default="")
    agency_name: Mapped[str] = mapped_column(String(200), default="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia")
    signer_title: Mapped[str] = mapped_column(String(200), default="Kepala BKPSDM")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_nip: Mapped[str] = mapped_column(String(32), default="")
    signer_rank: Mapped[str] = mapped_column(String(100), default="")
    #: Jam pelajaran credited (ASN have 20 JP of development a year); 0 hides the line.
    jp: Mapped[int] = mapped_column(Integer, default=0)
    #: Admin-edited HTML/CSS template (sandboxed); None uses the bundled default.
    template_html: Mapped[str | None] = mapped_column(Text)
    logo_path: Mapped[str | None] = mapped_column(String(200))
    signature_image_path: Mapped[str | None] = mapped_column(String(200))
