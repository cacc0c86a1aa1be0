"""Opening the next election cycle: what carries over from a program of the last cycle, and the
checklist an admin works through on a course copied for the new one.

Other features register here (from their ``cli.register``, like the content loaders):
``CARRY_OVER`` copies their per-program setup from an earlier program into a new one (the quiz
settings, the pact version and witnesses); ``CHECKS`` add their lines to the checklist. Courses
never import those features, so the package graph keeps no cycle.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..accounts.models import Person
from ..core import audit
from ..core.errors import InvalidInput
from .models import CourseVersion, Program, VersionStatus
from .programs import create_program


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what to do, whether it is done, and where to do it."""

    #: Place in the list: 10 content, 20 bank, 30 review, 40 publish version, 50 program, 60 quiz
    #: settings, 70 pact, 80 certificate settings, 90 publish program.
    order: int
    label: object
    done: bool
    detail: object = ""
    endpoint: str | None = None
    values: tuple[tuple[str, object], ...] = ()


#: f(actor, new program, earlier program) → a short note of what was carried over (or None).
CARRY_OVER: dict[str, Callable[[Person, Program, Program], object]] = {}
#: f(version, its programs) → the feature's lines of the checklist.
CHECKS: dict[str, Callable[[CourseVersion, list[Program]], list[Check]]] = {}


def carry_over(actor: Person, program: Program, earlier: Program) -> dict[str, object]:
    """Give ``program`` the setup of ``earlier`` (same instansi): each registered feature copies its part."""
    if earlier.id == program.id or earlier.instansi_id != program.instansi_id:
        raise InvalidInput(_l("Pengaturan hanya dapat disalin dari program lain milik instansi yang sama."))
    notes = {name: copy(actor, program, earlier) for name, copy in CARRY_OVER.items()}
    audit.record(actor, "program.carry_over", f"program:{program.id}", source=earlier.id,
                 **{name: str(note) for name, note in notes.items() if note is not None})
    return notes


def open_program(actor: Person, instansi, *, earlier: Program | None = None, **values) -> Program:
    """A new program, set up like ``earlier`` (its quiz settings and pact) when one is given."""
    program = create_program(actor, instansi, **values)
    if earlier is not None:
        carry_over(actor, program, earlier)
    return program


def checklist(version: CourseVersion, programs: list[Program]) -> list[Check]:
    """What opening a cycle on this version needs, in order, with what is already done; ``programs``
    are the programs on this version the admin manages."""
    checks = [
        Check(10, _l("Periksa dan perbarui isi modul"), bool(version.modules), _l("%(n)d modul", n=len(version.modules))),
        Check(11, _l("Perbarui tanggal \u201cMateri per\u201d"), version.legal_basis_as_of is not None),
        Check(30, _l("Catat peninjauan hukum (sumber JDIH)"), bool(version.reviews)),
        Check(40, _l("Terbitkan versi"), version.status == VersionStatus.PUBLISHED),
        Check(50, _l("Buat program pada versi ini, dengan pengaturan disalin dari program sebelumnya"), bool(programs),
              ", ".join(p.title for p in programs), "courses.admin_program_new", (("versi", version.id),)),
        Check(90, _l("Terbitkan program"), any(p.published for p in programs)),
    ]
    for check in CHECKS.values():
        checks += check(version, programs)
    return sorted(checks, key=lambda c: c.order)
