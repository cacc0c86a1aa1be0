"""Pact administration: instansi pact templates and their versions, a program's pact and witnesses.

A version is edited only while it is a draft; publishing freezes it for good (signatures point at
it), so changing published text means :func:`new_draft_from`. The bundled default
(``pakta-netralitas``) comes from ``content/pakta`` and is read-only here: an instansi copies it.
Pact text is plain text with the known ``{placeholders}`` of :mod:`.document`; anything else in
braces is refused, so a typo never reaches a signed document. Services flush, the views commit.
"""
from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from ..accounts import services as account_services
from ..accounts.models import ROLE_RANK, Jenis, Person, Role, Unit
from ..accounts.nip import IdentifierError, validate_identifier
from ..core import audit
from ..core.clock import now_utc
from ..core.errors import InvalidInput, NotAllowed, OutOfScope
from ..core.i18n import zone_of
from ..accounts.scope import instansi_in_scope, may_view_person, people_in_scope, unit_in_scope
from ..courses.models import Program
from ..extensions import db
from . import document, services
from .models import PactSignature, PactTemplate, PactTemplateVersion, ProgramPact, ProgramWitness

_BRACED = re.compile(r"\{([^{}]*)\}")
_TEXT_FIELDS = ("title", "opening", "closing", "legal_footer")
MAX_CLAUSES = 50
_SAMPLE_PERSON = {"name": "Dewi Lestari, S.Pd.", "nip": "199204102019032011", "jabatan": "Guru Ahli Muda",
                  "golongan": "III/c"}
_SAMPLE_UNIT = "Dinas Pendidikan"
_SAMPLE_INSTANSI = "Pemerintah Kabupaten Contoh"
_SAMPLE_PROGRAM = "Sosialisasi Netralitas ASN (contoh)"


# --- access --------------------------------------------------------------------------------

def _instansi_of(template: PactTemplate) -> Unit | None:
    return db.session.get(Unit, template.instansi_id) if template.instansi_id else None


def may_read_template(actor: Person, template: PactTemplate) -> bool:
    """Admins read the bundled default and their instansi's templates; superadmins every template."""
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        return False
    return template.instansi_id is None or unit_in_scope(actor, _instansi_of(template))


def may_edit_template(actor: Person, template: PactTemplate) -> bool:
    """Instansi templates are edited by their admins; the bundled default only through its file."""
    return template.instansi_id is not None and may_read_template(actor, template)


def get_template_for(actor: Person, template_id: int) -> PactTemplate:
    """Load a pact template by id for ``actor``, or raise OutOfScope (404) whatever the reason."""
    template = db.session.get(PactTemplate, template_id)
    if template is None or not may_read_template(actor, template):
        raise OutOfScope()
    return template


def get_version_for(actor: Person, version_id: int) -> PactTemplateVersion:
    """Load a pact version by id for ``actor``; OutOfScope (404) outside their templates."""
    version = db.session.get(PactTemplateVersion, version_id)
    if version is None or not may_read_template(actor, version.template):
        raise OutOfScope()
    return version


def templates_for(actor: Person) -> list[PactTemplate]:
    """The templates an admin may read: the bundled default first, then their instansi's."""
    query = select(PactTemplate)
    if actor.role != Role.SUPERADMIN:
        own = instansi_in_scope(actor).with_only_columns(Unit.id).order_by(None)
        query = query.where(or_(PactTemplate.instansi_id.is_(None), PactTemplate.instansi_id.in_(own)))
    return db.session.scalars(query.order_by(PactTemplate.instansi_id.is_not(None), PactTemplate.id)).all()


def _require_edit(actor: Person, template: PactTemplate) -> None:
    if not may_read_template(actor, template):
        raise OutOfScope()
    if not may_edit_template(actor, template):
        raise NotAllowed(_l("Teks pakta bawaan hanya dapat dibaca. Buat templat instansi dari salinannya."))


def _require_draft(actor: Person, version: PactTemplateVersion) -> None:
    _require_edit(actor, version.template)
    if version.published:
        raise InvalidInput(_l("Versi %(n)d sudah terbit dan tidak dapat diubah lagi; buat versi baru.",
                              n=version.number))


def _require_instansi(actor: Person, instansi: Unit) -> None:
    """``actor`` administers ``instansi``, and it is an instansi (a root unit)."""
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        raise NotAllowed()
    if not unit_in_scope(actor, instansi):
        raise OutOfScope()
    if not instansi.is_instansi:
        raise InvalidInput(_l("Pilih sebuah instansi (unit puncak)."))


def _require_program(actor: Person, program: Program) -> None:
    if actor.rank < ROLE_RANK[Role.ADMIN] or not unit_in_scope(actor, program.instansi):
        raise OutOfScope()


# --- the text ------------------------------------------------------------------------------

def unknown_placeholders(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that :func:`document.fill` would not replace, in order of appearance."""
    found = [m.group(1) for m in _BRACED.finditer(text or "")]
    return list(dict.fromkeys(name for name in found if name not in document.PLACEHOLDERS))


def _clean_clauses(clauses: list[dict]) -> list[dict]:
    """Blank clauses dropped, each clause one paragraph; at least one and at most MAX_CLAUSES."""
    cleaned = [{"text": " ".join((c.get("text") or "").split()), "requires_agreement": bool(c.get("requires_agreement"))}
               for c in clauses]
    cleaned = [c for c in cleaned if c["text"]]
    if not cleaned:
        raise InvalidInput(_l("Pakta harus memuat paling sedikit satu butir."))
    if len(cleaned) > MAX_CLAUSES:
        raise InvalidInput(_l("Pakta paling banyak memuat %(n)d butir.", n=MAX_CLAUSES))
    return cleaned


def _check_content(values: dict) -> None:
    """Refuse a title-less text and any placeholder the document would not fill."""
    if not values["title"]:
        raise InvalidInput(_l("Judul pakta wajib diisi."))
    if len(values["title"]) > 200:
        raise InvalidInput(_l("Judul terlalu panjang (maksimal %(n)d karakter).", n=200))
    texts = [values[name] for name in _TEXT_FIELDS] + [c["text"] for c in values["clauses"]]
    unknown = unknown_placeholders("\n".join(texts))
    if unknown:
        raise InvalidInput(_l("Placeholder tidak dikenal: %(unknown)s. Yang dapat dipakai: %(known)s.",
                              unknown=", ".join("{%s}" % name for name in unknown),
                              known=", ".join("{%s}" % name for name in document.PLACEHOLDERS)))


def _content_of(version: PactTemplateVersion) -> dict:
    return {"title": version.title, "opening": version.opening, "clauses": [dict(c) for c in version.clauses],
            "closing": version.closing, "legal_footer": version.legal_footer}


def _latest_published(template: PactTemplate) -> PactTemplateVersion | None:
    return next((v for v in reversed(template.versions) if v.published), None)


def default_template() -> PactTemplate | None:
    """The bundled default template (installed by ``flask content load``), if any."""
    return db.session.scalar(select(PactTemplate).where(PactTemplate.slug == services.DEFAULT_TEMPLATE_SLUG))


def _new_slug(instansi: Unit) -> str:
    """'pakta-<instansi id>-<n>': the first free n (slugs are unique; titles live in the versions)."""
    base = f"pakta-{instansi.id}"
    taken = set(db.session.scalars(select(PactTemplate.slug).where(PactTemplate.slug.startswith(base))))
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- templates and versions ----------------------------------------------------------------

def create_template(actor: Person, instansi: Unit, title: str = "", *, copy_default: bool = False) -> PactTemplate:
    """A pact template of ``instansi`` with draft version 1: empty, or the bundled default's latest text."""
    _require_instansi(actor, instansi)
    title = " ".join((title or "").split())
    source = None
    if copy_default:
        default = default_template()
        source = _latest_published(default) if default else None
        if source is None:
            raise InvalidInput(_l("Teks pakta bawaan belum dipasang (jalankan flask content load)."))
        content = {**_content_of(source), "title": title or source.title}
    else:
        content = {"title": title, "opening": "", "clauses": [], "closing": "", "legal_footer": ""}
    _check_content(content)
    template = PactTemplate(slug=_new_slug(instansi), instansi_id=instansi.id)
    template.versions.append(PactTemplateVersion(number=1, published=False, **content))
    db.session.add(template)
    db.session.flush()
    audit.record(actor, "pact_template.create", f"pact_template:{template.id}", instansi=instansi.id,
                 copied_from=source.id if source else None)
    return template


def update_draft(actor: Person, version: PactTemplateVersion, *, title: str, opening: str, clauses: list[dict],
                 closing: str, legal_footer: str) -> PactTemplateVersion:
    """Change a draft's text: title, opening, clauses (each maybe requiring agreement), closing, footer."""
    _require_draft(actor, version)
    values = {"title": " ".join((title or "").split()), "opening": (opening or "").strip(),
              "clauses": _clean_clauses(clauses), "closing": (closing or "").strip(),
              "legal_footer": (legal_footer or "").strip()}
    _check_content(values)
    for name, value in values.items():
        setattr(version, name, value)
    db.session.flush()
    audit.record(actor, "pact_version.update", f"pact_version:{version.id}", clauses=len(values["clauses"]))
    return version


def publish(actor: Person, version: PactTemplateVersion) -> PactTemplateVersion:
    """Freeze a draft so programs can use it; from now on its text never changes."""
    _require_draft(actor, version)
    content = _content_of(version)
    content["clauses"] = _clean_clauses(content["clauses"])
    _check_content(content)
    version.published, version.published_at = True, now_utc()
    db.session.flush()
    audit.record(actor, "pact_version.publish", f"pact_version:{version.id}", number=version.number)
    return version


def new_draft_from(actor: Person, version: PactTemplateVersion) -> PactTemplateVersion:
    """Start the next draft of a template from a published version's text."""
    template = version.template
    _require_edit(actor, template)
    if not version.published:
        raise InvalidInput(_l("Versi ini masih draf; ubah langsung tanpa membuat versi baru."))
    draft = next((v for v in template.versions if not v.published), None)
    if draft is not None:
        raise InvalidInput(_l("Masih ada draf versi %(n)d; selesaikan dahulu.", n=draft.number))
    copy = PactTemplateVersion(number=max(v.number for v in template.versions) + 1, published=False,
                               **_content_of(version))
    template.versions.append(copy)
    db.session.flush()
    audit.record(actor, "pact_version.new_draft", f"pact_version:{copy.id}", source=version.id)
    return copy


def preview(version: PactTemplateVersion, instansi: Unit | None, when: datetime) -> document.FilledPact:
    """The version filled for a sample person of ``instansi`` (a sample instansi when None)."""
    instansi = instansi or SimpleNamespace(name=_SAMPLE_INSTANSI, timezone=None)
    unit = SimpleNamespace(name=_SAMPLE_UNIT, parent_id=None, timezone=instansi.timezone or zone_of(None))
    person = SimpleNamespace(unit=unit, **_SAMPLE_PERSON)
    program = SimpleNamespace(title=_SAMPLE_PROGRAM)
    values = document.placeholder_values(person, program, instansi, services.place_name(instansi), when)
    return document.fill_version(version, values)


# --- a program's pact ----------------------------------------------------------------------

def usable_versions(program: Program) -> list[PactTemplateVersion]:
    """Published versions a program may use: the bundled default's and its own instansi's."""
    return db.session.scalars(
        select(PactTemplateVersion).join(PactTemplate)
        .where(PactTemplateVersion.published.is_(True),
               or_(PactTemplate.instansi_id.is_(None), PactTemplate.instansi_id == program.instansi_id))
        .order_by(PactTemplate.instansi_id.is_not(None), PactTemplate.id, PactTemplateVersion.number.desc())).all()


def signature_count(program: Program) -> int:
    """How many pacts of the program were signed (revoked ones included): any locks its pact settings."""
    return db.session.scalar(select(func.count(PactSignature.id)).where(PactSignature.program_id == program.id))


def current_witnesses(program: Program) -> list[ProgramWitness]:
    """The witnesses chosen for the program, in signing order (none while it uses the default pact)."""
    chosen = db.session.get(ProgramPact, program.id)
    return list(chosen.witnesses) if chosen else []


def witness_candidates(actor: Person, program: Program) -> list[Person]:
    """Who may be picked as a witness: active witness accounts in the actor's scope, and the current ones."""
    _require_program(actor, program)
    accounts = db.session.scalars(people_in_scope(actor).where(
        Person.role == Role.WITNESS, Person.active.is_(True)).order_by(Person.name)).all()
    current = [w.person for w in current_witnesses(program)]
    return list({p.id: p for p in [*current, *accounts]}.values())


def _check_witnesses(actor: Person, program: Program, witnesses: list[tuple[Person, str]]) -> list[tuple[Person, str]]:
    current_ids = {w.person_id for w in current_witnesses(program)}
    cleaned, seen = [], set()
    for person, capacity in witnesses:
        capacity = " ".join((capacity or "").split())
        if person.id not in current_ids and not (person.active and may_view_person(actor, person)):
            raise OutOfScope()
        if not capacity or len(capacity) > 200:
            raise InvalidInput(_l("Isi kapasitas saksi %(name)s (maksimal 200 karakter), misalnya "
                                  "\"Perwakilan Bawaslu Kabupaten\".", name=person.name))
        if person.id in seen:
            raise InvalidInput(_l("%(name)s dipilih lebih dari sekali sebagai saksi.", name=person.name))
        seen.add(person.id)
        cleaned.append((person, capacity))
    return cleaned


def set_program_pact(actor: Person, program: Program, version: PactTemplateVersion,
                     witnesses: list[tuple[Person, str]]) -> ProgramPact:
    """Choose the program's published pact version and witnesses; locked once anyone has signed it."""
    _require_program(actor, program)
    if not version.published:
        raise InvalidInput(_l("Program hanya dapat memakai versi pakta yang sudah terbit."))
    if version.template.instansi_id not in (None, program.instansi_id):
        raise InvalidInput(_l("Templat pakta ini milik instansi lain."))
    witnesses = _check_witnesses(actor, program, witnesses)
    chosen = db.session.get(ProgramPact, program.id)
    before = (chosen.template_version_id, [(w.person_id, w.capacity) for w in chosen.witnesses]) if chosen else None
    after = (version.id, [(person.id, capacity) for person, capacity in witnesses])
    if before == after:
        return chosen
    signed = signature_count(program)
    if signed:
        raise InvalidInput(_l("Pakta program ini sudah ditandatangani %(n)d pegawai; versi dan saksinya tidak "
                              "dapat diubah lagi.", n=signed))
    if chosen is None:
        chosen = ProgramPact(program_id=program.id, template_version_id=version.id)
        db.session.add(chosen)
    chosen.template_version = version
    existing = {w.person_id: w for w in chosen.witnesses}
    rows = []
    for position, (person, capacity) in enumerate(witnesses):
        row = existing.get(person.id) or ProgramWitness(program_id=program.id, person_id=person.id, person=person)
        row.capacity, row.position = capacity, position
        rows.append(row)
    chosen.witnesses = rows
    db.session.flush()
    audit.record(actor, "program_pact.set", f"program:{program.id}", version=version.id,
                 witnesses=[[person_id, capacity] for person_id, capacity in after[1]])
    return chosen


def create_witness_account(actor: Person, instansi: Unit, name: str, identifier: str,
                           capacity_hint: str = "") -> tuple[Person, str]:
    """A witness login (non-ASN, in the instansi's root unit) and its generated first password, to hand over."""
    _require_instansi(actor, instansi)
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise InvalidInput(_l("Nama saksi wajib diisi (maksimal 200 karakter)."))
    try:
        login_id = validate_identifier(account_services.normalize_login_id(identifier), Jenis.NON_ASN.value)
    except IdentifierError as exc:
        raise InvalidInput(exc.message) from None
    if db.session.scalar(select(Person.id).where(Person.nip == login_id)) is not None:
        raise InvalidInput(_l("ID %(id)s sudah dipakai akun lain. Pilih ID lain.", id=login_id))
    person = Person(nip=login_id, name=name, jabatan=" ".join((capacity_hint or "").split())[:200] or None,
                    jenis=Jenis.NON_ASN, unit_id=instansi.id, role=Role.WITNESS)
    password = account_services.new_person_password(person)
    db.session.add(person)
    db.session.flush()
    audit.record(actor, "witness.create", f"person:{person.id}", instansi=instansi.id)
    return person, password


def add_new_witness(actor: Person, program: Program, name: str, identifier: str,
                    capacity: str) -> tuple[Person, str]:
    """Create a witness account and add it as the program's last witness, with the pact in use now."""
    _require_program(actor, program)
    try:
        version, witnesses = services.program_pact(program)
    except services.PactNotConfigured:
        raise InvalidInput(_l("Pilih versi pakta program ini terlebih dahulu.")) from None
    person, password = create_witness_account(actor, program.instansi, name, identifier, capacity)
    set_program_pact(actor, program, version, [*((w.person, w.capacity) for w in witnesses), (person, capacity)])
    return person, password


def signatures_in_scope(actor: Person, program: Program) -> Select:
    """SELECT of the program's signatures whose signers the actor may see, newest first."""
    _require_program(actor, program)
    people = people_in_scope(actor).with_only_columns(Person.id).order_by(None)
    return (select(PactSignature).where(PactSignature.program_id == program.id, PactSignature.person_id.in_(people))
            .order_by(PactSignature.signed_at.desc(), PactSignature.id.desc()))
