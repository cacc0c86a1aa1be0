"""Certificate admin pages: an instansi's settings and template editor, and a program's certificates as one ZIP.

Thin: parse a form, load through the access rule (404 outside scope), call one service in
settings.py or bulk.py, commit once. Everything works without JavaScript.
"""
from __future__ import annotations

import io
from dataclasses import fields

from flask import (Response, abort, current_app, flash, redirect, render_template, request, send_file,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ..core.forms import ActionForm, select_choices
from ..accounts.models import Role, Unit
from ..accounts.units import unit_options
from ..core.errors import InvalidInput
from ..core.ids import query_id
from ..accounts.scope import instansi_in_scope, requires, subtree_clause
from ..core.transactions import attempt
from ..core.zipstream import stream_zip
from ..core import audit
from ..extensions import db
from . import bulk, services
from . import settings as certificate_settings
from .forms import BulkFilterForm, InstansiForm, SettingsForm, TemplateForm
from .views import bp

#: The preview page shows the rendered template in <iframe sandbox srcdoc>, which inherits this
#: page's policy; inline styles are allowed for it, scripts stay forbidden (and the sandbox blocks them).
PREVIEW_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
               "script-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")


# --- settings and template -----------------------------------------------------------------

def _instansi():
    return certificate_settings.get_instansi_for(current_user, query_id("instansi"))


def _settings_page(instansi: Unit, *, settings_form=None, template_form=None, error=None, preview=None):
    settings = services.settings_for(instansi.id)
    choices = [(unit.id, unit.name) for unit in db.session.scalars(instansi_in_scope(current_user))]
    picker = InstansiForm(formdata=None, instansi=instansi.id)
    picker.instansi.choices = select_choices(choices)
    response = Response(render_template(
        "certificates/settings.html", instansi=instansi, settings=settings, error=error, preview=preview,
        settings_form=settings_form or SettingsForm(formdata=None, obj=settings),
        template_form=template_form or TemplateForm(formdata=None,
                                                    template_html=services.template_source(settings)),
        picker=picker if len(choices) > 1 else None, action_form=ActionForm(), fields=services.TEMPLATE_FIELDS,
        custom_template=settings.template_html is not None))
    if preview is not None:
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


def _back(instansi: Unit):
    return redirect(url_for("certificates.settings_page", instansi=instansi.id))


def _settings_values(form: SettingsForm) -> tuple:
    """(values, images) from the settings form: an image is a stream to store, or None to remove it."""
    values = certificate_settings.SettingsValues(**{field.name: getattr(form, field.name).data
                                                    for field in fields(certificate_settings.SettingsValues)})
    images = {}
    for which in certificate_settings.IMAGE_COLUMNS:
        upload = getattr(form, which).data
        if upload:
            images[which] = upload.stream
        elif getattr(form, f"remove_{which}").data:
            images[which] = None
    return values, images


@bp.route("/admin/sertifikat/pengaturan", methods=["GET", "POST"])
@requires(Role.ADMIN)
def settings_page():
    instansi = _instansi()
    form = SettingsForm(obj=services.settings_for(instansi.id))
    error = None
    if form.validate_on_submit():
        values, images = _settings_values(form)
        error = attempt(lambda: certificate_settings.save_settings(current_user, instansi, values, images))[1]
        if error is None:
            flash(_("Pengaturan sertifikat disimpan. Berlaku untuk sertifikat yang PDF-nya dibuat sesudah ini."),
                  "success")
            return _back(instansi)
    return _settings_page(instansi, settings_form=form, error=error)


@bp.route("/admin/sertifikat/pengaturan/templat", methods=["POST"])
@requires(Role.ADMIN)
def template_post():
    """One form, three buttons: save, preview on the page, or download the preview as PDF."""
    instansi = _instansi()
    form = TemplateForm()
    if not form.validate_on_submit():
        return _settings_page(instansi, template_form=form)
    action = request.form.get("action", "simpan")
    if action == "simpan":
        error = attempt(lambda: certificate_settings.save_template(current_user, instansi, form.template_html.data))[1]
        if error is None:
            flash(_("Templat disimpan. Sertifikat yang PDF-nya sudah dibuat tidak berubah."), "success")
            return _back(instansi)
        return _settings_page(instansi, template_form=form, error=error)
    try:
        if action == "pdf":
            pdf = certificate_settings.preview_pdf(instansi, form.template_html.data)
            return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                             download_name="pratinjau-sertifikat.pdf")
        preview = certificate_settings.preview_html(instansi, form.template_html.data)
    except InvalidInput as exc:
        return _settings_page(instansi, template_form=form, error=exc.message)
    return _settings_page(instansi, template_form=form, preview=preview)


@bp.route("/admin/sertifikat/pengaturan/templat/bawaan", methods=["POST"])
@requires(Role.ADMIN)
def template_reset():
    instansi = _instansi()
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: certificate_settings.reset_template(current_user, instansi))
    flash(_("Templat bawaan dipakai lagi untuk sertifikat yang PDF-nya dibuat sesudah ini."), "success")
    return _back(instansi)


# --- bulk download -------------------------------------------------------------------------

def _continuation() -> URLSafeTimedSerializer:
    """Signed 'keep preparing' tokens: a GET may render the next batch only after a POST started it."""
    return URLSafeTimedSerializer(current_app.secret_key, salt="certificates.bulk-prepare")


def _token_for(scope: bulk.BulkScope) -> str:
    return _continuation().dumps([current_user.id, scope.program.id, scope.unit.id if scope.unit else 0])


def _token_valid(token: str | None, scope: bulk.BulkScope) -> bool:
    if not token:
        return False
    try:
        return _continuation().loads(token, max_age=600) == [current_user.id, scope.program.id,
                                                             scope.unit.id if scope.unit else 0]
    except BadSignature:
        return False


def _bulk_args(scope: bulk.BulkScope) -> dict:
    return {"program": scope.program.id, **({"unit": scope.unit.id} if scope.unit else {})}


def _bulk_filters(scope: bulk.BulkScope | None) -> BulkFilterForm:
    form = BulkFilterForm(request.args)
    form.program.choices = select_choices((p.id, p.title) for p in bulk.programs_for_staff(current_user))
    units = unit_options(current_user)
    if scope is not None:
        own = set(db.session.scalars(select(Unit.id).where(subtree_clause(Unit.path, scope.program.instansi.path))))
        units = [(i, label) for i, label in units if i in own]
    form.unit.choices = select_choices([("", _("Semua unit dalam cakupan"))] + [(str(i), label) for i, label in units])
    return form


def _prepare(scope: bulk.BulkScope) -> int | None:
    """Render one batch and commit; None (after a message) when a template error stopped it."""
    done, error = attempt(lambda: bulk.prepare_batch(scope))
    if error is not None:
        flash(error, "error")
    return done


@bp.route("/admin/sertifikat/unduh", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def bulk_page():
    program_id = query_id("program")
    if not program_id:
        return render_template("certificates/bulk.html", filters=_bulk_filters(None), scope=None)
    scope = bulk.get_scope(current_user, program_id, query_id("unit"))
    preparing = False
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        if _prepare(scope) is not None:
            total, rendered = bulk.progress(scope)
            if rendered < total:
                return redirect(url_for("certificates.bulk_page", **_bulk_args(scope), lanjut=_token_for(scope)))
        return redirect(url_for("certificates.bulk_page", **_bulk_args(scope)))
    if _token_valid(request.args.get("lanjut"), scope):
        preparing = _prepare(scope) is not None
    total, rendered = bulk.progress(scope)
    refresh = (url_for("certificates.bulk_page", **_bulk_args(scope), lanjut=_token_for(scope))
               if preparing and rendered < total else None)
    return render_template("certificates/bulk.html", filters=_bulk_filters(scope), scope=scope, total=total,
                           rendered=rendered, refresh=refresh, args=_bulk_args(scope), action_form=ActionForm(),
                           batch=bulk.BATCH_SIZE)


@bp.route("/admin/sertifikat/unduh.zip")
@requires(Role.OPERATOR)
def bulk_zip():
    scope = bulk.get_scope(current_user, query_id("program") or 0, query_id("unit"))
    total, rendered = bulk.progress(scope)
    if not total or rendered < total:
        flash(_("Siapkan semua PDF terlebih dahulu, lalu unduh ZIP."), "error")
        return redirect(url_for("certificates.bulk_page", **_bulk_args(scope)))
    audit.record(current_user, "certificate.bulk_download", f"program:{scope.program.id}", rendered=rendered)
    db.session.commit()
    members = bulk.zip_members(scope)
    response = Response(stream_with_context(stream_zip(members)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{bulk.zip_name(scope)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
