"""Bundled course content (``content/<slug>/course.toml`` + Markdown modules) → database.

Loading is idempotent: the files' SHA-256 is stored on the version; unchanged files do nothing,
changed files become a new published version (older programs keep the version they pinned).
"""
from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ..core.clock import now_utc
from ..extensions import db
from .models import Course, CourseVersion, Module, VersionStatus

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content"

#: Other features' loaders for files beside a course (question bank, …): f(folder, course) → count.
EXTRA_LOADERS: dict[str, Callable[[Path, Course], int]] = {}
#: Loaders of bundled content that belongs to no course (the default pact text, …): f(root) → message.
GLOBAL_LOADERS: dict[str, Callable[[Path], str]] = {}


@dataclass
class LoadResult:
    slug: str
    version: CourseVersion
    created: bool
    extras: dict[str, int] = field(default_factory=dict)


def course_dirs(root: Path = CONTENT_DIR) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/course.toml"))


def _source_hash(folder: Path, spec: dict) -> str:
    digest = hashlib.sha256((folder / "course.toml").read_bytes())
    for module in spec["modules"]:
        digest.update((folder / module["file"]).read_bytes())
    return digest.hexdigest()


def load_course(folder: Path) -> LoadResult:
    """Create or update the bundled course in ``folder`` as a published version."""
    spec = tomllib.loads((folder / "course.toml").read_text(encoding="utf-8"))
    source_hash = _source_hash(folder, spec)
    course = db.session.scalar(select(Course).where(Course.slug == spec["slug"]))
    if course is None:
        course = Course(slug=spec["slug"], instansi_id=None)
        db.session.add(course)
        db.session.flush()
    current = next((v for v in reversed(course.versions) if v.status == VersionStatus.PUBLISHED), None)
    if current is not None and current.source_hash == source_hash:
        return LoadResult(spec["slug"], current, created=False)
    as_of = spec.get("legal_basis_as_of")
    version = CourseVersion(
        course_id=course.id,
        number=max((v.number for v in course.versions), default=0) + 1,
        status=VersionStatus.PUBLISHED,
        title=spec["title"],
        summary=spec.get("summary", ""),
        legal_basis_as_of=as_of if isinstance(as_of, date) else (date.fromisoformat(as_of) if as_of else None),
        review_note=spec.get("review_note", ""),
        source_hash=source_hash,
        published_at=now_utc(),
    )
    for position, module in enumerate(spec["modules"]):
        version.modules.append(Module(
            position=position, slug=module["slug"], title=module["title"],
            body_md=(folder / module["file"]).read_text(encoding="utf-8"),
            minutes=int(module.get("minutes", 5)),
        ))
    db.session.add(version)
    db.session.flush()
    return LoadResult(spec["slug"], version, created=True)


def load_all(root: Path = CONTENT_DIR) -> list[LoadResult]:
    """Load every bundled course and, through EXTRA_LOADERS, what other features keep beside it."""
    results = []
    for folder in course_dirs(root):
        result = load_course(folder)
        result.extras = {name: loader(folder, result.version.course) for name, loader in EXTRA_LOADERS.items()}
        results.append(result)
    return results


def load_bundled(root: Path = CONTENT_DIR) -> tuple[list[LoadResult], list[str]]:
    """Everything bundled: the courses (with their extras) and the global pieces."""
    courses = load_all(root)
    others = [loader(root) for loader in GLOBAL_LOADERS.values()]
    return courses, others
