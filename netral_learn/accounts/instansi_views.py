"""Superadmin pages: the instansi of this deployment, and a new instansi with its first admin."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..core.errors import InvalidInput
from .scope import requires
from ..extensions import db
from . import instansi as instansi_services
from .forms import InstansiForm
from .models import Role
from .people import PersonData, PersonInvalid
from .views import bp

_ADMIN_FIELDS = {"nip": "admin_nip", "name": "admin_name", "jenis": "admin_jenis", "email": "admin_email",
                 "phone": "admin_phone", "unit": "name"}


@bp.route("/admin/instansi")
@requires(Role.SUPERADMIN)
def instansi_list():
    return render_template("accounts/instansi.html", rows=instansi_services.overview())


@bp.route("/admin/instansi/baru", methods=["GET", "POST"])
@requires(Role.SUPERADMIN)
def instansi_new():
    form = InstansiForm()
    error = None
    if form.validate_on_submit():
        data = instansi_services.NewInstansi(
            name=form.name.data, timezone=form.timezone.data, code=form.code.data or "",
            admin=PersonData(nip=form.admin_nip.data, jenis=form.admin_jenis.data, name=form.admin_name.data,
                             unit_id=None, email=form.admin_email.data or "", phone=form.admin_phone.data or ""))
        try:
            created = instansi_services.create_instansi(current_user, data)
        except PersonInvalid as exc:
            db.session.rollback()
            for field, message in exc.fields.items():
                getattr(form, _ADMIN_FIELDS.get(field, field)).errors = [message]
            error = exc.message
        except InvalidInput as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            return render_template("accounts/instansi_created.html", created=created)
    elif form.errors:
        error = _("Periksa kembali isian yang ditandai.")
    return render_template("accounts/instansi_form.html", form=form, error=error), (400 if error else 200)
