"""Course authoring for admins: drafts, modules, publishing, legal reviews, copies for a new cycle.

A version is edited only while it is a draft. Publishing freezes it for good: programs pin it and
learners' progress points at its modules, so changing published text means a new draft version.
Admins edit their instansi's courses; bundled courses (no instansi) are read-only for them and
may be copied; only a superadmin edits bundled content. Services flush, the views commit.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import BinaryIO, Literal
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload, undefer

from ..accounts.models import ROLE_RANK, Person, Role, Unit
from ..core import audit
from ..core.clock import now_utc
from ..core.errors import InvalidInput, NotAllowed, OutOfScope
from ..core.markdown import reading_minutes
from ..accounts.scope import instansi_in_scope, unit_in_scope
from ..extensions import db
from . import attachments
from .models import Attachment, Course, CourseReview, CourseVersion, Module, VersionStatus

#: Other features' copiers run by :func:`copy_course` (e.g. the question bank): f(source, copy) → count.
COPY_HOOKS: dict[str, Callable[[Course, Course], int]] = {}

MAX_MINUTES = 600
_TITLE_LENGTH = 200
#: Allowed lifecycle moves; anything else is refused.
_TRANSITIONS = {
    VersionStatus.DRAFT: {VersionStatus.PUBLISHED, VersionStatus.ARCHIVED},
    VersionStatus.PUBLISHED: {VersionStatus.ARCHIVED},
    VersionStatus.ARCHIVED: set(),
}


# --- access --------------------------------------------------------------------------------

def may_read_course(actor: Person, course: Course) -> bool:
    """Admins read bundled courses and their own instansi's; superadmins every course."""
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        return False
    return course.instansi_id is None or unit_in_scope(actor, db.session.get(Unit, course.instansi_id))


def may_edit_course(actor: Person, course: Course) -> bool:
    """Only a superadmin edits bundled content; an admin edits the courses of their instansi."""
    if course.instansi_id is None:
        return actor.role == Role.SUPERADMIN
    return may_read_course(actor, course)


def _readable(actor: Person, course: Course | None) -> Course:
    if course is None or not may_read_course(actor, course):
        raise OutOfScope()
    return course


def get_course_for(actor: Person, course_id: int) -> Course:
    """Load a course by id for ``actor``, or raise OutOfScope (404) whatever the reason."""
    return _readable(actor, db.session.get(Course, course_id))


def get_version_for(actor: Person, version_id: int) -> CourseVersion:
    """Load a course version by id for ``actor``; OutOfScope (404) outside their courses."""
    version = db.session.get(CourseVersion, version_id)
    _readable(actor, version.course if version else None)
    return version


def get_module_for(actor: Person, module_id: int) -> Module:
    """Load a module by id for ``actor``; OutOfScope (404) outside their courses."""
    module = db.session.get(Module, module_id)
    _readable(actor, module.version.course if module else None)
    return module


def courses_for(actor: Person) -> list[Course]:
    """The courses an admin may read: bundled ones first, then their instansi's, oldest first."""
    query = select(Course)
    if actor.role != Role.SUPERADMIN:
        own = instansi_in_scope(actor).with_only_columns(Unit.id).order_by(None)
        query = query.where(or_(Course.instansi_id.is_(None), Course.instansi_id.in_(own)))
    return db.session.scalars(query.order_by(Course.instansi_id.is_not(None), Course.id)).all()


def _require_edit(actor: Person, course: Course) -> None:
    if not may_edit_course(actor, course):
        raise NotAllowed(_l("Materi bawaan hanya dapat diubah superadmin. Salin kursus ini untuk instansi Anda."))


def _require_draft(actor: Person, version: CourseVersion) -> None:
    _require_edit(actor, version.course)
    if not version.is_editable:
        raise InvalidInput(_l("Versi %(n)d sudah terbit dan tidak dapat diubah lagi; buat versi baru.",
                              n=version.number))


def _require_owner(actor: Person, instansi: Unit | None) -> None:
    """May ``actor`` start a course owned by ``instansi`` (None: bundled, superadmin only)?"""
    if actor.rank < ROLE_RANK[Role.ADMIN] or (instansi is None and actor.role != Role.SUPERADMIN):
        raise NotAllowed()
    if instansi is not None and not unit_in_scope(actor, instansi):
        raise OutOfScope()
    if instansi is not None and not instansi.is_instansi:
        raise InvalidInput(_l("Kursus hanya dapat dimiliki instansi (unit puncak)."))


# --- small rules ---------------------------------------------------------------------------

def _title(value: str | None, message) -> str:
    title = " ".join((value or "").split())
    if not title:
        raise InvalidInput(message)
    if len(title) > _TITLE_LENGTH:
        raise InvalidInput(_l("Judul terlalu panjang (maksimal %(n)d karakter).", n=_TITLE_LENGTH))
    return title


def _slugify(text: str, fallback: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-") or fallback


def _unique_course_slug(title: str) -> str:
    base = _slugify(title, "kursus")
    taken = set(db.session.scalars(select(Course.slug).where(Course.slug.startswith(base))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _minutes(value: int | None, body_md: str) -> int:
    if not value:
        return reading_minutes(body_md)
    if not 1 <= value <= MAX_MINUTES:
        raise InvalidInput(_l("Perkiraan waktu baca harus antara 1 dan %(n)d menit.", n=MAX_MINUTES))
    return value


def _move_to(version: CourseVersion, status: VersionStatus) -> None:
    if status not in _TRANSITIONS[version.status]:
        raise InvalidInput(_l("Versi %(n)d tidak dapat berpindah ke status ini.", n=version.number))
    version.status = status


def _copy_content(source: CourseVersion, target: CourseVersion) -> None:
    """Copy modules and their attachment rows (the stored files are shared, never duplicated).
    One read of the modules with their texts (deferred otherwise) and one of their attachments."""
    modules = db.session.scalars(select(Module).where(Module.version_id == source.id).order_by(Module.position)
                                 .options(undefer(Module.body_md), selectinload(Module.attachments))).all()
    for module in modules:
        copy = Module(position=module.position, slug=module.slug, title=module.title, body_md=module.body_md,
                      minutes=module.minutes, min_reading_seconds=module.min_reading_seconds)
        copy.attachments = [Attachment(filename=a.filename, stored_name=a.stored_name, mime=a.mime, size=a.size,
                                       sha256=a.sha256) for a in module.attachments]
        target.modules.append(copy)


def _new_version(course: Course, number: int, source: CourseVersion, title: str | None = None) -> CourseVersion:
    version = CourseVersion(number=number, status=VersionStatus.DRAFT, title=title or source.title,
                            summary=source.summary, legal_basis_as_of=source.legal_basis_as_of,
                            review_note=source.review_note)
    _copy_content(source, version)
    course.versions.append(version)
    return version


# --- courses and versions ------------------------------------------------------------------

def create_course(actor: Person, instansi: Unit | None, title: str, summary: str = "") -> Course:
    """A new course of ``instansi`` (None: bundled) with an empty draft version 1."""
    _require_owner(actor, instansi)
    title = _title(title, _l("Judul kursus wajib diisi."))
    course = Course(slug=_unique_course_slug(title), instansi_id=instansi.id if instansi else None)
    course.versions.append(CourseVersion(number=1, status=VersionStatus.DRAFT, title=title,
                                         summary=(summary or "").strip()))
    db.session.add(course)
    db.session.flush()
    audit.record(actor, "course.create", f"course:{course.id}", title=title)
    return course


def update_version(actor: Person, version: CourseVersion, title: str, summary: str,
                   legal_basis_as_of: date | None, review_note: str) -> CourseVersion:
    """Change a draft's title, summary, 'Materi per' date and review note."""
    _require_draft(actor, version)
    version.title = _title(title, _l("Judul kursus wajib diisi."))
    version.summary = (summary or "").strip()
    version.legal_basis_as_of = legal_basis_as_of
    version.review_note = (review_note or "").strip()
    db.session.flush()
    audit.record(actor, "course_version.update", f"course_version:{version.id}")
    return version


def publish_version(actor: Person, version: CourseVersion, *, acknowledge_unreviewed: bool = False) -> CourseVersion:
    """Freeze a draft so programs can use it; from now on its text never changes.

    A version nobody has reviewed against the law is published only with the author's explicit
    acknowledgement, which the audit log keeps."""
    _require_draft(actor, version)
    if not version.modules:
        raise InvalidInput(_l("Tambahkan paling sedikit satu modul sebelum menerbitkan."))
    unreviewed = not version.reviews
    if unreviewed and not acknowledge_unreviewed:
        raise InvalidInput(_l("Versi ini belum ditinjau secara hukum. Catat peninjauannya dahulu, atau centang "
                              "pernyataan bahwa Anda tetap menerbitkannya tanpa peninjauan."))
    _move_to(version, VersionStatus.PUBLISHED)
    version.published_at = now_utc()
    db.session.flush()
    audit.record(actor, "course_version.publish", f"course_version:{version.id}", number=version.number,
                 unreviewed_acknowledged=unreviewed)
    return version


def new_draft_from(actor: Person, version: CourseVersion) -> CourseVersion:
    """Start the next draft of a course from a published (or archived) version's text and files."""
    course = version.course
    _require_edit(actor, course)
    if version.is_editable:
        raise InvalidInput(_l("Versi ini masih draf; ubah langsung tanpa membuat versi baru."))
    draft = next((v for v in course.versions if v.is_editable), None)
    if draft is not None:
        raise InvalidInput(_l("Masih ada draf versi %(n)d; selesaikan atau arsipkan dahulu.", n=draft.number))
    copy = _new_version(course, max(v.number for v in course.versions) + 1, version)
    db.session.flush()
    audit.record(actor, "course_version.new_draft", f"course_version:{copy.id}", source=version.id)
    return copy


def archive(actor: Person, version: CourseVersion) -> CourseVersion:
    """Retire a version: no longer offered for new programs; programs that pinned it keep it."""
    _require_edit(actor, version.course)
    _move_to(version, VersionStatus.ARCHIVED)
    db.session.flush()
    audit.record(actor, "course_version.archive", f"course_version:{version.id}")
    return version


MAX_SOURCES = 30


def clean_sources(text: str | None) -> str:
    """The sources a reviewer checked: one per line, each naming its http(s) link (JDIH …)."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise InvalidInput(_l("Sebutkan sumber yang diperiksa, satu per baris, masing-masing dengan tautan JDIH-nya."))
    if len(lines) > MAX_SOURCES or any(len(line) > 500 for line in lines):
        raise InvalidInput(_l("Paling banyak %(n)d sumber, masing-masing paling panjang 500 karakter.", n=MAX_SOURCES))
    for line in lines:
        links = [t for t in line.split() if "://" in t or t.lower().startswith("www.")]
        if not links:
            raise InvalidInput(_l("Sumber \u201c%(line)s\u201d belum memiliki tautan (mis. https://jdih.bkn.go.id/…).",
                                  line=line[:80]))
        for link in links:
            parts = urlsplit(link)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise InvalidInput(_l("Tautan \u201c%(link)s\u201d harus diawali http:// atau https://.", link=link[:80]))
    return "\n".join(lines)


def record_review(actor: Person, version: CourseVersion, reviewed_on: date, reviewer: str,
                  note: str = "", sources: str | None = None) -> CourseReview:
    """Record a legal review of a version (reviewer, date, sources checked with their links, remarks);
    allowed on drafts and on published text. Learners then read "ditinjau <reviewer>, <date>"."""
    _require_edit(actor, version.course)
    sources = clean_sources(sources)
    reviewer = " ".join((reviewer or "").split())
    if not reviewer or len(reviewer) > 200:
        raise InvalidInput(_l("Nama peninjau wajib diisi (maksimal 200 karakter)."))
    if reviewed_on is None or reviewed_on > now_utc().date() + timedelta(days=1):  # UTC lags WIB/WITA/WIT
        raise InvalidInput(_l("Tanggal peninjauan wajib diisi dan tidak boleh di masa depan."))
    review = CourseReview(version_id=version.id, reviewed_on=reviewed_on, reviewer=reviewer,
                          note=(note or "").strip(), sources=sources, recorded_by_id=getattr(actor, "id", None))
    db.session.add(review)
    db.session.flush()
    db.session.expire(version, ["reviews"])
    audit.record(actor, "course_version.review", f"course_version:{version.id}", reviewer=reviewer,
                 reviewed_on=reviewed_on.isoformat(), sources=len(sources.splitlines()))
    return review


def copy_course(actor: Person, version: CourseVersion, instansi: Unit | None, title: str) -> Course:
    """A new course (draft version 1) from a published version, e.g. for the next election cycle.

    The source course, its programs and everybody's progress stay exactly as they were.
    """
    _readable(actor, version.course)
    if version.is_editable:
        raise InvalidInput(_l("Hanya versi yang sudah terbit yang dapat disalin."))
    _require_owner(actor, instansi)
    title = _title(title, _l("Judul kursus wajib diisi."))
    course = Course(slug=_unique_course_slug(title), instansi_id=instansi.id if instansi else None)
    db.session.add(course)
    _new_version(course, 1, version, title)
    db.session.flush()
    copied = {name: hook(version.course, course) for name, hook in COPY_HOOKS.items()}
    audit.record(actor, "course.copy", f"course:{course.id}", source=version.id, title=title, **copied)
    return course


# --- modules -------------------------------------------------------------------------------

def add_module(actor: Person, version: CourseVersion, title: str, body_md: str = "",
               minutes: int | None = None) -> Module:
    """Append a module to a draft."""
    _require_draft(actor, version)
    title = _title(title, _l("Judul modul wajib diisi."))
    position = len(version.modules)
    module = Module(position=position, slug=_slugify(title, f"modul-{position + 1}"), title=title,
                    body_md=body_md or "", minutes=_minutes(minutes, body_md))
    version.modules.append(module)
    db.session.flush()
    audit.record(actor, "module.create", f"module:{module.id}", version=version.id)
    return module


def update_module(actor: Person, module: Module, title: str, body_md: str, minutes: int | None,
                  min_reading_minutes: int | None = None) -> Module:
    """Change a draft module's title, text, reading time (estimated from the text when empty) and
    minimum reading time (None keeps it; 0 turns it off)."""
    _require_draft(actor, module.version)
    module.title = _title(title, _l("Judul modul wajib diisi."))
    module.body_md = body_md or ""
    module.minutes = _minutes(minutes, module.body_md)
    if min_reading_minutes is not None:
        if not 0 <= min_reading_minutes <= MAX_MINUTES:
            raise InvalidInput(_l("Waktu baca minimum harus antara 0 dan %(n)d menit.", n=MAX_MINUTES))
        module.min_reading_seconds = min_reading_minutes * 60
    db.session.flush()
    audit.record(actor, "module.update", f"module:{module.id}")
    return module


def delete_module(actor: Person, module: Module) -> None:
    """Remove a module from a draft and close the gap in the numbering."""
    version = module.version
    _require_draft(actor, version)
    version.modules.remove(module)
    db.session.flush()
    _renumber(version)
    audit.record(actor, "module.delete", f"module:{module.id}", version=version.id, title=module.title)


def _renumber(version: CourseVersion) -> None:
    """Positions 0..n-1 in the current order, one row at a time (positions are unique per version)."""
    for index, module in enumerate(sorted(version.modules, key=lambda m: m.position)):
        if module.position != index:
            module.position = index
            db.session.flush()


def move_module(actor: Person, module: Module, direction: Literal["up", "down"]) -> Module:
    """Swap a draft module with its neighbour above or below (nothing happens at either end)."""
    version = module.version
    _require_draft(actor, version)
    modules = sorted(version.modules, key=lambda m: m.position)
    index = modules.index(module)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(modules):
        return module
    other = modules[other_index]
    mine, theirs = module.position, other.position
    module.position = -1  # free the slot first: (version, position) is unique
    db.session.flush()
    other.position = mine
    db.session.flush()
    module.position = theirs
    db.session.flush()
    db.session.expire(version, ["modules"])
    audit.record(actor, "module.move", f"module:{module.id}", direction=direction)
    return module


def attach(actor: Person, module: Module, filename: str, stream: BinaryIO) -> Attachment:
    """Store an uploaded file for a draft module (type checked by its content, not its name)."""
    _require_draft(actor, module.version)
    item = attachments.add_attachment(module, filename, stream)
    db.session.expire(module, ["attachments"])
    audit.record(actor, "module.attach", f"module:{module.id}", filename=item.filename, sha256=item.sha256)
    return item
