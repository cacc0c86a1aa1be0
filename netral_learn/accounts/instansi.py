"""A new instansi (a regency on a provincial deployment) and its first admin, in one step.

The admin gets no password: they activate through a one-time link (see activation.py), which the
superadmin (or whoever ran the command) hands over. Services flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..core import audit
from ..core.errors import NotAllowed
from .scope import subtree_clause
from ..extensions import db
from . import activation
from .models import Person, Role, Unit
from .people import PersonData, clean
from .units import create_unit


@dataclass
class NewInstansi:
    """What the superadmin's form (or the command line) gives."""

    name: str
    timezone: str
    admin: PersonData
    code: str = ""


@dataclass
class InstansiCreated:
    instansi: Unit
    admin: Person
    credential: activation.NewCredential


def create_instansi(actor: Person | None, data: NewInstansi) -> InstansiCreated:
    """Create the root unit and its first admin (scope: the whole instansi), with a one-time
    activation link for the admin. ``actor`` None: the command line."""
    if actor is not None and actor.role != Role.SUPERADMIN:
        raise NotAllowed()
    root = create_unit(actor, None, data.name, code=data.code or None, timezone=data.timezone)
    data.admin.unit_id = root.id
    values = clean(data.admin)
    admin = Person(role=Role.ADMIN, scope_unit_id=root.id, active=True, must_change_password=True, **values)
    db.session.add(admin)
    db.session.flush()
    credential = activation.issue_activation_link(actor, admin)
    audit.record(actor, "instansi.create", f"unit:{root.id}", name=root.name, admin=f"person:{admin.id}")
    return InstansiCreated(root, admin, credential)


@dataclass
class InstansiRow:
    unit: Unit
    people: int
    admins: list[Person]


def overview() -> list[InstansiRow]:
    """Every instansi with its number of active people and its admins (superadmin page)."""
    rows = []
    for unit in db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)):
        count = db.session.scalar(select(func.count(Person.id)).join(Unit, Person.unit_id == Unit.id)
                                  .where(subtree_clause(Unit.path, unit.path), Person.active.is_(True))) or 0
        admins = list(db.session.scalars(select(Person).where(Person.role == Role.ADMIN,
                                                               Person.scope_unit_id == unit.id).order_by(Person.name)))
        rows.append(InstansiRow(unit, count, admins))
    return rows
