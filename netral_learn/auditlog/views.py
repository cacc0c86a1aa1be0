"""Log Audit page (admins: their instansi; superadmins: everything): filtered, paged, with the
state of the chain against its newest signed anchor."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from ..core.forms import select_choices
from ..accounts.models import Role
from ..core import audit
from ..core.i18n import zone_of
from ..core.ids import page_number
from ..accounts.scope import requires
from ..extensions import db
from . import anchors, services
from .forms import AuditFilterForm

bp = Blueprint("auditlog", __name__)


@bp.route("/admin/audit")
@requires(Role.ADMIN)
def index():
    form = AuditFilterForm(request.args)
    form.action.choices = select_choices([("", "—")] + services.action_choices())
    filters = {}
    if form.validate():
        filters = {"person": (form.person.data or "").strip() or None, "by": (form.actor.data or "").strip() or None,
                   "action": form.action.data if form.action.data in audit.ACTIONS else None,
                   "date_from": form.date_from.data, "date_to": form.date_to.data}
    zone = zone_of(current_user)
    # Reading the log is itself logged (first, so the commit expires nothing the page shows).
    audit.record(current_user, "audit.view", "audit", page=request.args.get("page", "1")[:6],
                 filters={key: str(value) for key, value in filters.items() if value})
    db.session.commit()
    query = services.events_query(current_user, zone=zone, **filters)
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PER_PAGE"], error_out=False, count=True)
    entries = services.entry_views(page.items)
    state = anchors.chain_state()
    return render_template("auditlog/index.html", form=form, page=page, entries=entries, state=state, zone=zone)
