"""Which audit entries a viewer may read, filtered: admins their instansi's, superadmins all.

Operators read none: the log holds the sign-ins, refusals and actions of every colleague and
staff member of the instansi, while an operator's duties (their unit's people and reports) need
none of it; what concerns one person stays visible on that person's page through the actions
themselves.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select

from ..accounts.models import Person, Role
from ..accounts.nip import normalize
from ..core import audit
from ..core.audit import AuditEvent
from ..accounts.scope import require_role, scope_path
from ..extensions import db


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _people_matching(text: str):
    """SELECT of the ids of people whose NIP is ``text`` or whose name contains it."""
    digits = normalize(text)
    conditions = [Person.name.ilike(_like(text.strip()), escape="\\")]
    if digits.isdigit():
        conditions.append(Person.nip == digits)
    conditions.append(Person.nip == "".join(text.split()).upper())
    return select(Person.id).where(or_(*conditions))


def _local_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def events_query(actor: Person, *, person: str | None = None, by: str | None = None, action: str | None = None,
                 date_from: date | None = None, date_to: date | None = None, zone: str = "Asia/Jakarta") -> Select:
    """SELECT of the entries ``actor`` may read (NotAllowed below admin), newest first, filtered by
    the person concerned, the person acting (NIP or part of a name), the kind and local dates."""
    require_role(actor, Role.ADMIN)
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    path = scope_path(actor)
    if path is not None:
        query = query.where(AuditEvent.instansi_id == int(path.strip("/").split("/")[0]))
    if person:
        query = query.where(AuditEvent.subject_id.in_(_people_matching(person)))
    if by:
        query = query.where(AuditEvent.actor_id.in_(_people_matching(by)))
    if action:
        query = query.where(AuditEvent.action == action)
    if date_from:
        query = query.where(AuditEvent.created_at >= _local_start(date_from, zone))
    if date_to:
        query = query.where(AuditEvent.created_at < _local_start(date_to + timedelta(days=1), zone))
    return query


@dataclass
class EntryView:
    """One entry as the page lists it."""

    event: AuditEvent
    label: str
    actor: Person | None
    subject: Person | None
    details: list[tuple[str, str]]


def _details(raw: str) -> list[tuple[str, str]]:
    try:
        value = json.loads(raw)
    except ValueError:
        return [("", raw)]
    if not isinstance(value, dict):
        return [("", raw)]
    return [(key, item if isinstance(item, str) else json.dumps(item, ensure_ascii=False))
            for key, item in sorted(value.items())]


def entry_views(events: list[AuditEvent]) -> list[EntryView]:
    """The page's entries with their labels, actors and subjects (one query for all the people)."""
    ids = {i for e in events for i in (e.actor_id, e.subject_id) if i is not None}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    return [EntryView(e, audit.action_label(e.action), people.get(e.actor_id), people.get(e.subject_id),
                      _details(e.details)) for e in events]


def action_choices() -> list[tuple[str, str]]:
    """Every kind of entry, by its label."""
    return sorted(((key, str(label)) for key, label in audit.ACTIONS.items()), key=lambda pair: pair[1])
