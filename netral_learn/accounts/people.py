"""Correcting one person from a form: add, edit, move (deactivate/reactivate: services.py).

Operators act within their subtree on lower ranks, admins within their instansi; the rule is
:func:`~netral_learn.accounts.scope.may_act_on`. Every change is audited with its before and after
values. The field rules are the roster import's, so a person typed by hand and a person imported
from a file are held to the same standard. Services flush, never commit.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core import audit
from ..core.errors import InvalidInput, NotAllowed
from .scope import Action, may_add_in_unit, require
from ..extensions import db
from . import activation
from .models import Jenis, Person, Role, Unit
from .nip import IdentifierError, validate_identifier
from .roster import _EMAIL, _PHONE, _golongan  # the import's field rules, shared on purpose

#: Fields a form may change, in the order the audit trail lists them.
FIELDS = ("nip", "jenis", "name", "jabatan", "golongan", "unit_id", "email", "phone")


@dataclass
class PersonData:
    """What the add/edit form sends, as typed (validated by :func:`clean`)."""

    nip: str
    jenis: str
    name: str
    unit_id: int | None
    jabatan: str = ""
    golongan: str = ""
    email: str = ""
    phone: str = ""


class PersonInvalid(InvalidInput):
    """One or more fields are wrong; ``fields`` maps each form field to its message."""

    def __init__(self, fields: dict[str, object]):
        self.fields = fields
        super().__init__(_l("Periksa kembali isian yang ditandai."))


def _text(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit + 1]


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in text)


def clean(data: PersonData, *, exclude_id: int | None = None, today: date | None = None) -> dict:
    """The values to store, or PersonInvalid naming every wrong field (nothing is written)."""
    errors: dict[str, object] = {}
    values: dict = {}
    try:
        jenis = Jenis(data.jenis)
    except ValueError:
        errors["jenis"] = _l("Pilih jenis pegawai: PNS, PPPK atau Non-ASN.")
        jenis = None
    values["jenis"] = jenis
    if jenis is not None:
        try:
            values["nip"] = validate_identifier(data.nip, jenis.value, today)
        except IdentifierError as exc:
            errors["nip"] = exc.message
        else:
            taken = db.session.scalar(select(func.count()).select_from(Person).where(
                Person.nip == values["nip"], Person.id != (exclude_id or 0)))
            if taken:
                errors["nip"] = _l("NIP/ID ini sudah dipakai pegawai lain.")
    name = _text(data.name, 200)
    if not name:
        errors["name"] = _l("Nama wajib diisi.")
    elif len(name) > 200:
        errors["name"] = _l("Nama maksimal 200 karakter.")
    values["name"] = name
    values["jabatan"] = _text(data.jabatan, 200)[:200] or None
    if jenis is not None:
        values["golongan"], message = _golongan(_text(data.golongan, 10), jenis)
        if message:
            errors["golongan"] = message
    email = _text(data.email, 254).lower()
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        errors["email"] = _l("Alamat email tidak valid.")
    values["email"] = email or None
    phone = _text(data.phone, 32)
    if phone and not _PHONE.match(phone):
        errors["phone"] = _l("Nomor telepon hanya boleh berisi angka, spasi, tanda hubung dan + di depan.")
    values["phone"] = phone or None
    for key in ("name", "jabatan", "email", "phone"):
        if values.get(key) and _has_control(values[key]) and key not in errors:
            errors[key] = _l("Isian memuat karakter kendali yang tidak terlihat; ketik ulang isian ini.")
    values["unit_id"] = data.unit_id
    if not data.unit_id:
        errors["unit"] = _l("Pilih unit kerja.")
    if errors:
        raise PersonInvalid(errors)
    return values


def _unit_for(actor: Person, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not may_add_in_unit(actor, unit):
        raise PersonInvalid({"unit": _l("Unit kerja ini di luar wewenang Anda.")})
    if not unit.active:
        raise PersonInvalid({"unit": _l("Unit kerja ini tidak aktif.")})
    return unit


def _plain(value):
    return value.value if hasattr(value, "value") else value


def create_person(actor: Person, data: PersonData) -> tuple[Person, activation.NewCredential]:
    """Add one participant to a unit in the actor's scope, with a first password to hand over."""
    if not actor.is_staff:
        raise NotAllowed()
    values = clean(data)
    _unit_for(actor, values["unit_id"])
    person = Person(role=Role.PARTICIPANT, active=True, **values)
    db.session.add(person)
    db.session.flush()
    password = activation.give_first_password(person)
    db.session.flush()
    audit.record(actor, "person.create", f"person:{person.id}",
                 changes={f: [None, _plain(values[f])] for f in FIELDS if values.get(f) is not None})
    return person, activation.NewCredential(password=password,
                                            expires_at=activation.first_password_expires_at(person))


def update_person(actor: Person, person: Person, data: PersonData) -> dict[str, list]:
    """Correct a person's fields (and move them when the unit changes); returns
    ``{field: [before, after]}`` as audited, empty when nothing changed."""
    require(actor, person, Action.EDIT)
    values = clean(data, exclude_id=person.id)
    if values["unit_id"] != person.unit_id:
        require(actor, person, Action.MOVE)
        _unit_for(actor, values["unit_id"])
    changes = {f: [_plain(getattr(person, f)), _plain(values[f])] for f in FIELDS
               if getattr(person, f) != values[f]}
    if not changes:
        return {}
    for field in changes:
        setattr(person, field, values[field])
    db.session.flush()
    db.session.refresh(person, ["unit"])
    audit.record(actor, "person.move" if set(changes) == {"unit_id"} else "person.edit",
                 f"person:{person.id}", changes=changes)
    return changes


def last_correction_at(person_id: int):
    """When the person's data was last corrected by hand (documents issued before show old data)."""
    from ..core.audit import AuditEvent

    return db.session.scalar(select(AuditEvent.created_at).where(
        AuditEvent.target == f"person:{person_id}", AuditEvent.action == "person.edit")
        .order_by(AuditEvent.seq.desc()).limit(1))
