"""Admin pages of the pact: templates and versions (/admin/pakta), a program's pact and witnesses.

Thin: parse a form, load every object through a scope check (404 outside scope), call one service
in templates_admin.py, commit once, redirect. Everything works without JavaScript: adding a clause
or a witness row posts the form back with one more empty row.
"""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.forms import ActionForm, select_choices
from ..accounts.models import Role
from ..core.clock import now_utc
from ..core.ids import page_number
from ..accounts.scope import get_unit, instansi_in_scope, requires
from ..core.transactions import attempt
from ..courses.models import Program
from ..courses.programs import get_program_for_admin, programs_for_admin
from ..extensions import db
from . import services
from . import templates_admin as admin
from .forms import NewTemplateForm, NewWitnessForm, PactVersionForm, ProgramPactForm
from .models import PactTemplateVersion
from .views import bp

PLACEHOLDER_LABELS = {
    "nama": _l("nama lengkap"), "nip": _l("NIP / NI PPPK / ID"), "jabatan": _l("jabatan"),
    "golongan": _l("pangkat/golongan"), "unit": _l("unit kerja"), "instansi": _l("nama instansi"),
    "tempat": _l("daerah instansi, tempat penandatanganan"), "tanggal": _l("tanggal penandatanganan"),
    "program": _l("judul program"),
    "pegawai": _l("\u201cAparatur Sipil Negara\u201d bagi PNS dan PPPK, \u201cPegawai Non-ASN\u201d bagi pegawai non-ASN"),
}
STATUS_LABELS = {"awaiting_witnesses": _l("Menunggu saksi"), "complete": _l("Lengkap"), "revoked": _l("Dicabut")}


# --- templates and versions ----------------------------------------------------------------

def _instansi_names() -> dict[int, str]:
    return {unit.id: unit.name for unit in db.session.scalars(instansi_in_scope(current_user))}


def _new_template_form() -> NewTemplateForm:
    form = NewTemplateForm()
    form.instansi.choices = select_choices(_instansi_names().items())
    return form


def _templates_page(form: NewTemplateForm, error=None):
    return render_template("pact/admin/templates.html", templates=admin.templates_for(current_user), form=form,
                           error=error, owners=_instansi_names(), programs=programs_for_admin(current_user))


@bp.route("/admin/pakta")
@requires(Role.ADMIN)
def admin_templates():
    return _templates_page(_new_template_form())


@bp.route("/admin/pakta/baru", methods=["POST"])
@requires(Role.ADMIN)
def admin_template_new():
    form = _new_template_form()
    template, error = None, None
    if form.validate_on_submit():
        template, error = attempt(lambda: admin.create_template(
            current_user, get_unit(current_user, form.instansi.data), form.title.data,
            copy_default=form.copy_default.data))
    if template is None:
        return _templates_page(form, error)
    flash(_("Templat pakta dibuat sebagai draf versi 1."), "success")
    return redirect(url_for("pact.admin_version", version_id=template.versions[0].id))


def _editor_form(version: PactTemplateVersion) -> PactVersionForm:
    """The editor prefilled from the draft, with one empty clause row to type into."""
    form = PactVersionForm(data={"title": version.title, "opening": version.opening, "clauses": version.clauses,
                                 "closing": version.closing, "legal_footer": version.legal_footer})
    if version.clauses:  # an empty draft already shows its one (minimum) row
        _add_row(form.clauses)
    return form


def _add_row(rows) -> None:
    if not rows.max_entries or len(rows.entries) < rows.max_entries:
        rows.append_entry()


@bp.route("/admin/pakta/versi/<int:version_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_version(version_id: int):
    version = admin.get_version_for(current_user, version_id)
    editable = not version.published and admin.may_edit_template(current_user, version.template)
    form, error = None, None
    if request.method == "POST" and not editable:
        abort(403)
    if editable:
        form = PactVersionForm() if request.method == "POST" else _editor_form(version)
    if form is not None and form.validate_on_submit():
        if form.add_clause.data:
            _add_row(form.clauses)
        else:
            clauses = [{"text": row.form.text.data, "requires_agreement": row.form.requires_agreement.data}
                       for row in form.clauses]
            saved, error = attempt(lambda: admin.update_draft(
                current_user, version, title=form.title.data, opening=form.opening.data, clauses=clauses,
                closing=form.closing.data, legal_footer=form.legal_footer.data))
            if saved is not None:
                flash(_("Draf pakta tersimpan."), "success")
                return redirect(url_for("pact.admin_version", version_id=version.id))
    template = version.template
    return render_template(
        "pact/admin/version.html", version=version, template=template, form=form, error=error,
        may_edit=admin.may_edit_template(current_user, template), action_form=ActionForm(),
        placeholders=PLACEHOLDER_LABELS, owners=_instansi_names())


@bp.route("/admin/pakta/versi/<int:version_id>/pratinjau")
@requires(Role.ADMIN)
def admin_preview(version_id: int):
    version = admin.get_version_for(current_user, version_id)
    instansi = (get_unit(current_user, version.template.instansi_id) if version.template.instansi_id
                else db.session.scalars(instansi_in_scope(current_user)).first())
    return render_template("pact/admin/preview.html", version=version,
                           pact=admin.preview(version, instansi, now_utc()))


@bp.route("/admin/pakta/versi/<int:version_id>/<any(terbitkan, 'versi-baru'):action>", methods=["POST"])
@requires(Role.ADMIN)
def admin_version_action(version_id: int, action: str):
    version = admin.get_version_for(current_user, version_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service = admin.publish if action == "terbitkan" else admin.new_draft_from
    result, error = attempt(lambda: service(current_user, version))
    if error:
        flash(error, "error")
        return redirect(url_for("pact.admin_version", version_id=version.id))
    flash(_("Versi %(n)d terbit; teksnya kini tidak dapat diubah.", n=result.number) if action == "terbitkan"
          else _("Draf versi %(n)d dibuat dari versi %(m)d.", n=result.number, m=version.number), "success")
    return redirect(url_for("pact.admin_version", version_id=result.id))


# --- a program's pact ----------------------------------------------------------------------

def _version_label(version: PactTemplateVersion) -> str:
    owner = _("bawaan") if version.template.instansi_id is None else _("instansi")
    return f"{version.title} · {_('versi %(n)d', n=version.number)} ({owner})"


def _pact_form(program: Program, candidates, *, prefill: bool) -> ProgramPactForm:
    """The version and witness rows, prefilled from the program's current pact on GET."""
    data = None
    if prefill:
        try:
            version_id = services.program_pact(program)[0].id
        except services.PactNotConfigured:
            version_id = None
        data = {"version": version_id, "witnesses": [{"person": w.person_id, "capacity": w.capacity}
                                                    for w in admin.current_witnesses(program)]}
    form = ProgramPactForm(formdata=None, data=data) if prefill else ProgramPactForm()
    form.version.choices = select_choices((v.id, _version_label(v)) for v in admin.usable_versions(program))
    if prefill:
        _add_row(form.witnesses)
    _witness_choices(form, candidates)
    return form


def _witness_choices(form: ProgramPactForm, candidates) -> None:
    choices = select_choices([(0, _("— tidak ada —"))] + [(p.id, f"{p.name} · {p.nip}") for p in candidates])
    for row in form.witnesses:
        row.form.person.choices = choices


def _program_page(program: Program, form: ProgramPactForm, new_form: NewWitnessForm | None = None, error=None,
                  created=None):
    page = db.paginate(admin.signatures_in_scope(current_user, program), page=page_number(), per_page=50, error_out=False, count=True)
    response = make_response(render_template(
        "pact/admin/program.html", program=program, form=form, new_form=new_form or NewWitnessForm(formdata=None, prefix="new"),
        error=error, created=created, page=page, signed=admin.signature_count(program), labels=STATUS_LABELS))
    response.headers["Cache-Control"] = "private, no-store"  # may show a first password
    return response


@bp.route("/admin/program/<int:program_id>/pakta", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_program_pact(program_id: int):
    program = get_program_for_admin(current_user, program_id)
    candidates = admin.witness_candidates(current_user, program)
    form = _pact_form(program, candidates, prefill=request.method != "POST")
    error = None
    if form.validate_on_submit():
        if form.add_witness.data:
            _add_row(form.witnesses)
            _witness_choices(form, candidates)
        else:
            by_id = {p.id: p for p in candidates}
            versions = {v.id: v for v in admin.usable_versions(program)}
            witnesses = [(by_id[row.form.person.data], row.form.capacity.data) for row in form.witnesses
                         if row.form.person.data]
            saved, error = attempt(lambda: admin.set_program_pact(
                current_user, program, versions[form.version.data], witnesses))
            if saved is not None:
                flash(_("Pengaturan pakta program tersimpan."), "success")
                return redirect(url_for("pact.admin_program_pact", program_id=program.id))
    return _program_page(program, form, error=error)


@bp.route("/admin/program/<int:program_id>/pakta/saksi-baru", methods=["POST"])
@requires(Role.ADMIN)
def admin_new_witness(program_id: int):
    program = get_program_for_admin(current_user, program_id)
    new_form = NewWitnessForm(prefix="new")
    created, error = None, None
    if new_form.validate_on_submit():
        created, error = attempt(lambda: admin.add_new_witness(
            current_user, program, new_form.name.data, new_form.identifier.data, new_form.capacity.data))
    form = _pact_form(program, admin.witness_candidates(current_user, program), prefill=True)
    return _program_page(program, form, new_form=None if created else new_form, error=error, created=created)
