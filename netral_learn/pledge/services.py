"""Opening a pledge event and computing its tally (cached: hundreds of screens cost one query)."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Person, Unit
from ..core import audit
from ..core.cache import cached_json
from ..core.clock import now_utc
from ..core.errors import InvalidInput, OutOfScope
from ..accounts.scope import unit_in_scope
from ..courses.models import Program
from ..extensions import db
from ..reports.funnel import child_rows
from .models import PledgeEvent

REFRESH_SECONDS = 10


def open_event(actor: Person, program: Program, title: str, starts_at: datetime, ends_at: datetime) -> PledgeEvent:
    """Open a timed pledge event for a program the actor manages."""
    if not unit_in_scope(actor, program.instansi):
        raise OutOfScope()
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput(_l("Judul acara wajib diisi."))
    if ends_at <= starts_at:
        raise InvalidInput(_l("Waktu selesai harus setelah waktu mulai."))
    event = PledgeEvent(program_id=program.id, title=title[:200], starts_at=starts_at, ends_at=ends_at,
                        code=secrets.token_urlsafe(12), created_by_id=actor.id)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "pledge.open", f"pledge:{event.id}", program=program.id)
    return event


def events_for(actor: Person) -> list[PledgeEvent]:
    events = db.session.scalars(select(PledgeEvent).order_by(PledgeEvent.starts_at.desc())).all()
    return [e for e in events if unit_in_scope(actor, e.program.instansi)]


def find_event(code: str) -> PledgeEvent | None:
    return db.session.scalar(select(PledgeEvent).where(PledgeEvent.code == code))


def event_state(event: PledgeEvent, now: datetime) -> str:
    if now < event.starts_at:
        return "upcoming"
    return "running" if now <= event.ends_at else "finished"


def tally(event: PledgeEvent) -> dict:
    """Signed / targeted per OPD of the program's instansi, at most REFRESH_SECONDS old."""

    def compute():
        program = db.session.get(Program, event.program_id)
        instansi = db.session.get(Unit, program.instansi_id)
        rows = [{"name": row.label, "signed": row.count("pact"), "targeted": row.targeted}
                for row in child_rows(program, instansi) if row.targeted]
        rows.sort(key=lambda r: (-(r["signed"] / r["targeted"]), r["name"]))
        return {"rows": rows, "signed": sum(r["signed"] for r in rows),
                "targeted": sum(r["targeted"] for r in rows), "as_of": now_utc().isoformat()}

    return cached_json(f"pledge:{event.id}", REFRESH_SECONDS, compute)
