"""Ikrar serentak: admins open an event; a public big-screen page shows the live tally."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..core.forms import select_choices
from ..accounts.models import Role
from ..core.clock import now_utc
from ..core.errors import InvalidInput
from ..core.i18n import ZONE_ABBREVIATIONS, format_datetime_zone, zone_of
from ..core.ids import coerce_id
from ..accounts.scope import requires, unit_in_scope
from ..courses.models import Program
from ..extensions import db
from . import services

bp = Blueprint("pledge", __name__)


class EventForm(FlaskForm):
    program = SelectField(_l("Program"), coerce=coerce_id)
    title = StringField(_l("Judul acara"), validators=[DataRequired(_l("Judul acara wajib diisi.")), Length(max=200)],
                        default="Ikrar Netralitas ASN")
    starts_at = DateTimeLocalField(_l("Mulai"), validators=[DataRequired(_l("Isi waktu mulai."))])
    ends_at = DateTimeLocalField(_l("Selesai"), validators=[DataRequired(_l("Isi waktu selesai."))])


def _programs_in_scope():
    programs = db.session.query(Program).filter(Program.published.is_(True)).order_by(Program.starts_on.desc()).all()
    return [p for p in programs if unit_in_scope(current_user, p.instansi)]


@bp.route("/admin/ikrar", methods=["GET", "POST"])
@requires(Role.ADMIN)
def manage():
    form = EventForm()
    programs = {p.id: p for p in _programs_in_scope()}
    form.program.choices = select_choices((p.id, p.title) for p in programs.values())
    zone = zone_of(current_user)
    error = None
    if form.validate_on_submit():
        program = programs.get(form.program.data)
        if program is None:
            abort(404)
        local = ZoneInfo(zone)
        try:
            event = services.open_event(current_user, program, form.title.data,
                                        form.starts_at.data.replace(tzinfo=local), form.ends_at.data.replace(tzinfo=local))
        except InvalidInput as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("Acara ikrar dibuka. Tampilkan halaman layar lebar di proyektor."), "success")
            return redirect(url_for("pledge.manage", _anchor=f"acara-{event.id}"))
    return render_template("pledge/manage.html", form=form, error=error, events=services.events_for(current_user),
                           zone=ZONE_ABBREVIATIONS.get(zone, zone))


@bp.route("/ikrar/<code>")
def screen(code: str):
    """The projector page: public, cached, refreshed by the browser every few seconds (no WebSockets)."""
    event = services.find_event(code)
    if event is None:
        abort(404)
    zone = event.program.instansi.timezone or "Asia/Makassar"
    data = services.tally(event)
    html = render_template(
        "pledge/screen.html", event=event, data=data, state=services.event_state(event, now_utc()),
        refresh=services.REFRESH_SECONDS, window=f"{format_datetime_zone(event.starts_at, zone)} – "
                                                 f"{format_datetime_zone(event.ends_at, zone)}",
        as_of=format_datetime_zone(datetime.fromisoformat(data["as_of"]), zone))
    response = make_response(html)
    response.headers["Cache-Control"] = f"public, max-age={services.REFRESH_SECONDS // 2}"
    return response

