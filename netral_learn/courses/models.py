"""Course → CourseVersion → Module; Program (a campaign) → Enrollment → ModuleProgress."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Jenis, Person, Unit, _enum
from ..core.clock import now_utc
from ..core.types import UTCDateTime
from ..extensions import db


class VersionStatus(enum.StrEnum):
    """A draft is edited; a published version is frozen; an archived one is kept for history."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Course(db.Model):
    """A course; its content lives in numbered versions so completed learning never changes."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: The instansi that owns it; None for content bundled with the app (usable by every instansi).
    instansi_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number")


class CourseVersion(db.Model):
    """One frozen (or draft) edition of a course's text."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number", name="uq_course_versions_course_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(_enum(VersionStatus, "version_status"),
                                                  default=VersionStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: The date up to which the legal content was checked ("Materi per …").
    legal_basis_as_of: Mapped[date | None] = mapped_column(Date)
    review_note: Mapped[str] = mapped_column(Text, default="")
    #: SHA-256 of bundled source files, so `flask content load` knows when they changed.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="versions")
    modules: Mapped[list[Module]] = relationship(
        back_populates="version", order_by="Module.position", cascade="all, delete-orphan")
    reviews: Mapped[list[CourseReview]] = relationship(
        back_populates="version", order_by="CourseReview.reviewed_on.desc()", cascade="all, delete-orphan")

    @property
    def minutes(self) -> int:
        return sum(m.minutes for m in self.modules)

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


class CourseReview(db.Model):
    """A legal review of a version's content: who checked it against the current law, and when."""

    __tablename__ = "course_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    #: The sources checked, one per line, each with its link (JDIH BPK, JDIH BKN, JDIH Bawaslu, …).
    sources: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    version: Mapped[CourseVersion] = relationship(back_populates="reviews")

    @property
    def source_links(self) -> list[tuple[str, str | None]]:
        """Each source line as (label, its http(s) link or None)."""
        items = []
        for line in (self.sources or "").splitlines():
            url = next((t for t in line.split() if t.startswith(("https://", "http://"))), None)
            label = " ".join(t for t in line.split() if t != url).strip(" -\u2013\u2014:") or url
            items.append((label, url))
        return items


class Module(db.Model):
    """One reading unit of a course version; Markdown, sanitized when rendered."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("version_id", "position", name="uq_modules_version_position"),
                      CheckConstraint("min_reading_seconds >= 0", name="min_reading_seconds_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    #: 0-based order inside the version.
    position: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    #: Loaded only when read (the module page, authoring): every learner step counts the modules
    #: (journey state) and would otherwise fetch every module's text each time.
    body_md: Mapped[str] = mapped_column(Text, default="", deferred=True)
    minutes: Mapped[int] = mapped_column(Integer, default=5)
    #: Seconds between opening the module and marking it read, enforced by the server; 0 = off.
    min_reading_seconds: Mapped[int] = mapped_column(Integer, default=0)

    version: Mapped[CourseVersion] = relationship(back_populates="modules")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="module", order_by="Attachment.id", cascade="all, delete-orphan")

    @property
    def min_reading_minutes(self) -> int:
        """The minimum reading time as the admin form shows it (whole minutes)."""
        return (self.min_reading_seconds or 0) // 60


class Attachment(db.Model):
    """A file shown with a module: legal text PDF, image or local video."""

    __tablename__ = "module_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    #: Name under STORAGE_DIR/attachments (content-addressed: the SHA-256 plus extension).
    stored_name: Mapped[str] = mapped_column(String(100))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    module: Mapped[Module] = relationship(back_populates="attachments")


class Program(db.Model):
    """A campaign (e.g. "Sosialisasi Netralitas ASN Pilkada 2026") binding a course version
    to target units and jenis between two dates."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: Comma-separated jenis the program targets, e.g. "PNS,PPPK,NON_ASN".
    target_jenis: Mapped[str] = mapped_column(String(40), default="PNS,PPPK,NON_ASN")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    instansi: Mapped[Unit] = relationship(foreign_keys=[instansi_id])
    course_version: Mapped[CourseVersion] = relationship()
    targets: Mapped[list[ProgramTarget]] = relationship(cascade="all, delete-orphan",
                                                        back_populates="program")

    @property
    def jenis_set(self) -> set[Jenis]:
        return {Jenis(j) for j in self.target_jenis.split(",") if j}


class ProgramTarget(db.Model):
    """A unit whose whole subtree the program targets."""

    __tablename__ = "program_targets"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)

    program: Mapped[Program] = relationship(back_populates="targets")
    unit: Mapped[Unit] = relationship()


class Enrollment(db.Model):
    """A person's journey through one program; each step's time feeds the reports' funnel."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("program_id", "person_id", name="uq_enrollments_program_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    modules_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quiz_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pact_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Best post-test score (0–100) and the pre-test score, kept for the reports.
    quiz_best_score: Mapped[float | None] = mapped_column(db.Numeric(5, 2, asdecimal=False))
    pretest_score: Mapped[float | None] = mapped_column(db.Numeric(5, 2, asdecimal=False))
    #: Copies of the person's unit, jenis and golongan, and whether the person counts in reports
    #: (active, not a witness), written by database triggers on every insert here and every change
    #: of those fields in ``people`` (migration bf860482c9c6), never by the app: the funnel recount
    #: then counts a program's enrollments without joining a million people.
    person_unit_id: Mapped[int | None] = mapped_column(Integer)
    person_jenis: Mapped[str | None] = mapped_column(String(20))
    person_golongan: Mapped[str | None] = mapped_column(String(10))
    person_counted: Mapped[bool | None] = mapped_column(Boolean)

    program: Mapped[Program] = relationship()
    person: Mapped[Person] = relationship()
    progress: Mapped[list[ModuleProgress]] = relationship(back_populates="enrollment",
                                                          cascade="all, delete-orphan")


class ModuleProgress(db.Model):
    """Opening and (confirmed) completion of one module in one enrollment."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id", name="uq_module_progress_enrollment_module"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrollment: Mapped[Enrollment] = relationship(back_populates="progress")
    module: Mapped[Module] = relationship()
