"""API token pages for admins BKPSDM: list, create (the token is shown once), revoke, and a short
description of the endpoints. Thin: parse the form, call one service, commit once."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.forms import ActionForm, select_choices
from ..accounts.models import Role
from ..accounts.units import unit_options
from ..core.clock import now_utc
from ..core.i18n import zone_of
from ..accounts.scope import get_unit, requires
from ..core.transactions import attempt
from . import openapi, services
from .forms import ClientForm

bp = Blueprint("api_admin", __name__)


def _end_of_day(day, zone: str) -> datetime | None:
    """A token 'valid until' a date stays valid to the end of that local day."""
    if day is None:
        return None
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(zone))


@bp.route("/admin/api")
@requires(Role.ADMIN)
def clients():
    return render_template("api/clients.html", clients=services.clients_for(current_user), now=now_utc())


@bp.route("/admin/api/baru", methods=["GET", "POST"])
@requires(Role.ADMIN)
def new_client():
    form = ClientForm()
    form.scope_unit.choices = select_choices(unit_options(current_user))
    if not form.is_submitted():
        form.scope_unit.data = current_user.scope_unit_id
    error = None
    if form.validate_on_submit():
        scope_unit = get_unit(current_user, form.scope_unit.data)
        expires_at = _end_of_day(form.expires_on.data, zone_of(current_user))
        result, error = attempt(lambda: services.create_client(current_user, form.name.data, scope_unit, expires_at,
                                                               now_utc()))
        if error is None:
            client, token = result
            return render_template("api/created.html", client=client, token=token)
    return render_template("api/new.html", form=form, error=error)


@bp.route("/admin/api/<int:client_id>/cabut", methods=["GET", "POST"])
@requires(Role.ADMIN)
def revoke_client(client_id: int):
    client = services.get_client(current_user, client_id)
    form = ActionForm()
    if form.validate_on_submit():
        name = client.name
        _result, error = attempt(lambda: services.revoke_client(current_user, client, now_utc()))
        if error is None:
            flash(_("Token %(name)s dicabut; permintaan berikutnya dengan token itu ditolak.", name=name), "success")
        else:
            flash(error, "error")
        return redirect(url_for("api_admin.clients"))
    return render_template("api/revoke.html", client=client, form=form)


@bp.route("/admin/api/dokumentasi")
@requires(Role.ADMIN)
def docs():
    return render_template("api/docs.html", endpoints=openapi.endpoints(), version=openapi.API_VERSION,
                           per_page_max=openapi.PER_PAGE_MAX)
