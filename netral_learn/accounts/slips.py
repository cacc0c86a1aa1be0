"""Printable login slips for people who have not chosen their own password yet."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import Select

from ..core.pdf import render_pdf
from ..extensions import db
from . import passwords
from .models import Person, Unit

MAX_SLIPS_PER_PDF = 2000


@dataclass
class Slip:
    name: str
    nip: str
    unit: str
    password: str


def pending_slips(query: Select) -> tuple[list[Slip], int]:
    """Slips for the people of ``query`` still on a generated password, and how many of them
    could not be printed (their first password was sealed with an old SECRET_KEY: reset them)."""
    query = (query.where(Person.initial_password_enc.is_not(None), Person.active.is_(True))
             .order_by(Unit.path, Person.name).limit(MAX_SLIPS_PER_PDF + 1))
    slips, unreadable = [], 0
    for person in db.session.scalars(query):
        plain = passwords.decrypt_initial(person.initial_password_enc)
        if plain is None:
            unreadable += 1
            continue
        slips.append(Slip(person.name, _grouped(person.nip), person.unit.name, plain))
    return slips, unreadable


def _grouped(nip: str) -> str:
    if len(nip) == 18 and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return nip


def slips_pdf(slips: list[Slip], instansi: str) -> bytes:
    html = render_template(
        "accounts/slips_pdf.html",
        slips=slips,
        instansi=instansi,
        site_url=current_app.config["SITE_URL"],
        site_name=current_app.config["SITE_NAME"],
    )
    return render_pdf(html)
