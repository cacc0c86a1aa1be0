"""Privacy notice (public), a person's own data and who acted on it, the admin's notice form."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import Role
from ..certificates.settings import get_instansi_for
from ..core.clock import now_utc
from ..core.i18n import local_today
from ..core.ids import query_id
from ..core.pdf import render_pdf
from ..accounts.scope import requires
from ..core.transactions import attempt
from . import services
from .forms import NoticeForm

bp = Blueprint("privacy", __name__)


@bp.route("/privasi")
def notice():
    return render_template("privacy/notice.html", notices=services.public_notices())


@bp.route("/akun/data-saya")
@login_required
def my_data():
    return render_template("privacy/mine.html", data=services.person_data(current_user),
                           accesses=services.staff_accesses(current_user))


@bp.route("/akun/data-saya.json")
@login_required
def my_data_json():
    body = json.dumps(services.person_data(current_user), ensure_ascii=False, indent=2)
    return _download(body.encode(), "application/json", "json")


@bp.route("/akun/data-saya.pdf")
@login_required
def my_data_pdf():
    html = render_template("privacy/mine_pdf.html", data=services.person_data(current_user),
                           accesses=services.staff_accesses(current_user), made_at=now_utc())
    return _download(render_pdf(html), "application/pdf", "pdf")


def _download(body: bytes, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (f'attachment; filename="data-saya-{local_today(current_user)}'
                                               f'.{extension}"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/privasi", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_notice():
    instansi = get_instansi_for(current_user, query_id("instansi"))
    form = NoticeForm(obj=services.notice_for(instansi.id))
    error = None
    if form.validate_on_submit():
        error = attempt(lambda: services.save_notice(current_user, instansi, form.data))[1]
        if error is None:
            flash(_("Pemberitahuan privasi disimpan."), "success")
            return redirect(url_for("privacy.admin_notice", instansi=instansi.id))
    return render_template("privacy/admin.html", form=form, instansi=instansi, error=error)
