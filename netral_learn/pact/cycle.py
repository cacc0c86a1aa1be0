"""The pact's part in opening the next cycle: a new program links the pact of an earlier one (the
newest published text of the same template, with the witnesses still active), and the checklist
shows which pact each program of the cycle will have signed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Person
from ..core.errors import InvalidInput
from ..courses.cycle import Check
from ..courses.models import CourseVersion, Program
from ..extensions import db
from .models import PactTemplateVersion, ProgramPact
from .templates_admin import set_program_pact


def carry_pact(actor: Person, program: Program, earlier: Program) -> str | None:
    """Link ``program`` to the pact ``earlier`` used: the newest published version of its template."""
    chosen = db.session.get(ProgramPact, earlier.id)
    if chosen is None:
        return None  # the earlier program used the default text, as the new one will
    newest = db.session.scalar(select(PactTemplateVersion).where(
        PactTemplateVersion.template_id == chosen.template_version.template_id,
        PactTemplateVersion.published.is_(True)).order_by(PactTemplateVersion.number.desc()).limit(1))
    witnesses = [(w.person, w.capacity) for w in chosen.witnesses if w.person.active]
    try:
        set_program_pact(actor, program, newest or chosen.template_version, witnesses)
    except InvalidInput as refused:
        return str(refused)
    return f"versi {(newest or chosen.template_version).number}"


def checks(version: CourseVersion, programs: list[Program]) -> list[Check]:
    """For each program: the pact version it uses (the bundled default when none was chosen)."""
    items = []
    for program in programs:
        chosen = db.session.get(ProgramPact, program.id)
        detail = (_l("%(title)s, versi %(n)d", title=chosen.template_version.title, n=chosen.template_version.number)
                  if chosen else _l("pakta bawaan terbaru"))
        items.append(Check(70, _l("Pakta integritas: %(program)s", program=program.title), True, detail,
                           "pact.admin_program_pact", (("program_id", program.id),)))
    return items
