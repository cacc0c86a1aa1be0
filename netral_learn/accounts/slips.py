"""Printable login slips for people who have not chosen their own password yet."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import Select

from ..core import audit
from ..core.pdf import render_pdf
from .scope import Action, may_act_on
from ..extensions import db
from . import passwords
from ..core.i18n import format_date_id, zone_of
from .activation import expiry_cutoff, first_password_expires_at
from .models import Person, Unit

MAX_SLIPS_PER_PDF = 2000


#: Slips per A4 sheet: two columns of five, cut along the dashed lines.
SLIPS_PER_PAGE = 10


@dataclass
class Slip:
    name: str
    nip: str
    unit: str
    password: str
    valid_until: str = ""


@dataclass
class SlipBatch:
    """The slips an actor may print from a selection, and the people left out with the reason."""

    slips: list[Slip]
    person_ids: list[int]
    unreadable: int = 0  # sealed with an old SECRET_KEY: reset them
    refused: int = 0  # staff, or people the actor may not act on


def pending_slips(actor: Person | None, query: Select) -> SlipBatch:
    """Slips for the people of ``query`` still on an unexpired generated password whom ``actor``
    may print for (:func:`~netral_learn.accounts.scope.may_act_on` decides each one: never staff)."""
    query = (query.where(Person.initial_password_enc.is_not(None), Person.active.is_(True),
                         not_expired())
             .order_by(Unit.path, Unit.name, Person.name, Person.id).limit(MAX_SLIPS_PER_PDF + 1))
    batch = SlipBatch([], [])
    for person in db.session.scalars(query):
        if not may_act_on(actor, person, Action.PRINT_SLIP):
            batch.refused += 1
            continue
        plain = passwords.decrypt_initial(person.initial_password_enc)
        if plain is None:
            batch.unreadable += 1
            continue
        batch.slips.append(Slip(person.name, _grouped(person.nip), person.unit.name, plain,
                                format_date_id(first_password_expires_at(person), zone_of(person))))
        batch.person_ids.append(person.id)
    return batch


def not_expired():
    """SQL: the first password was issued after the expiry cut-off."""
    from sqlalchemy import func

    return func.coalesce(Person.initial_password_at, Person.created_at) > expiry_cutoff()


@dataclass
class SlipCounts:
    """What the slip page tells the actor about a selection still on first passwords."""

    printable: int
    expired: int
    staff: int


def count_pending(actor: Person | None, query: Select) -> SlipCounts:
    """Counts for the slip page, in SQL (the PDF applies the rule person by person)."""
    from sqlalchemy import func, select

    from .models import Role

    pending = query.where(Person.initial_password_enc.is_not(None), Person.active.is_(True)).subquery()
    staff_roles = [Role.OPERATOR.value, Role.ADMIN.value, Role.SUPERADMIN.value]
    issued = func.coalesce(pending.c.initial_password_at, pending.c.created_at)
    row = db.session.execute(select(
        func.count().filter(pending.c.role.in_(staff_roles)),
        func.count().filter(pending.c.role.not_in(staff_roles), issued <= expiry_cutoff()),
        func.count().filter(pending.c.role.not_in(staff_roles), issued > expiry_cutoff()),
    )).one()
    return SlipCounts(printable=row[2], expired=row[1], staff=row[0])


def renew_expired(actor: Person | None, query: Select) -> list[int]:
    """Give a fresh first password to each person of ``query`` whose first password expired and
    whom ``actor`` may reset (the rule decides each one; staff never get one); returns their ids."""
    from .activation import give_first_password

    query = (query.where(Person.initial_password_enc.is_not(None), Person.active.is_(True), ~not_expired())
             .order_by(Unit.path, Person.name, Person.id).limit(MAX_SLIPS_PER_PDF))
    renewed = []
    for person in db.session.scalars(query):
        if may_act_on(actor, person, Action.RESET):
            give_first_password(person)
            renewed.append(person.id)
    db.session.flush()
    if renewed:
        audit.record(actor, "password.renew_expired", "people", person_ids=renewed, count=len(renewed))
    return renewed


def record_printing(actor: Person | None, batch: SlipBatch) -> None:
    """Audit who printed whose login slips (the first passwords left the system on paper)."""
    audit.record(actor, "slip.print", "people", person_ids=batch.person_ids, count=len(batch.person_ids))


def _grouped(nip: str) -> str:
    if len(nip) == 18 and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return nip


def slips_pdf(slips: list[Slip], instansi: str, *, with_qr: bool = False) -> bytes:
    """The slips on A4, compact (ten per sheet) with cut lines, optionally with a QR code of the
    login page."""
    site_url = current_app.config["SITE_URL"]
    html = render_template(
        "accounts/slips_pdf.html",
        pages=[slips[i:i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)],
        instansi=instansi,
        site_url=site_url,
        site_name=current_app.config["SITE_NAME"],
        qr=login_qr(site_url + "/masuk") if with_qr else None,
    )
    return render_pdf(html)


def login_qr(url: str) -> str:
    """A QR code of ``url`` as an SVG data URI (the PDF renderer accepts data: URLs only)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=0)
