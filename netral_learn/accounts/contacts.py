"""Whom a learner contacts for help: the operators whose scope covers their unit, nearest first,
else the admins (BKPSDM) of their instansi."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from .models import Person, Role, Unit

#: At most this many names are shown: the nearest ones are the ones to call.
MAX_CONTACTS = 3


@dataclass(frozen=True)
class Contact:
    """A helper's name, role and the ways to reach them (plain values for the template)."""

    name: str
    role: Role
    unit_name: str
    phone: str | None
    email: str | None


def contacts_for(person: Person, limit: int = MAX_CONTACTS) -> list[Contact]:
    """Active operators whose scope unit is the person's unit or one of its ancestors (deepest
    first); when there are none, the instansi's admins."""
    ancestors = person.unit.ancestor_ids
    base = (select(Person.name, Person.role, Unit.name, Person.phone, Person.email)
            .join(Unit, Unit.id == Person.scope_unit_id)
            .where(Person.active.is_(True), Person.id != person.id, Person.scope_unit_id.in_(ancestors)))
    operators = db.session.execute(base.where(Person.role == Role.OPERATOR)
                                   .order_by(Unit.depth.desc(), Person.name, Person.id).limit(limit)).all()
    rows = operators or db.session.execute(base.where(Person.role == Role.ADMIN)
                                           .order_by(Person.name, Person.id).limit(limit)).all()
    return [Contact(name, Role(role), unit_name, phone or None, email or None)
            for name, role, unit_name, phone, email in rows]
