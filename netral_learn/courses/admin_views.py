"""Admin pages: course authoring (/admin/kursus) and programs (/admin/program).

Thin: parse a form, load every object through a scope check (404 outside scope), call one service
in authoring.py or programs.py, commit once, redirect. Buttons are plain POST forms (no JS needed).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.forms import ActionForm, select_choices
from ..accounts.models import Jenis, Role, Unit
from ..accounts.units import unit_options
from ..core.i18n import local_today
from ..core.ids import query_id
from ..core.markdown import render_markdown
from ..accounts.scope import get_unit, instansi_in_scope, requires
from ..core.transactions import attempt
from ..extensions import csrf, db
from . import attachments, authoring, cycle, programs
from .forms import (
    AttachmentForm,
    CourseForm,
    ModuleForm,
    NewModuleForm,
    ProgramForm,
    ReviewForm,
    VersionForm,
)
from .models import Course, CourseVersion, Module, Program, VersionStatus
from .services import program_status
from .views import bp

VERSION_STATUS_LABELS = {"draft": _l("Draf"), "published": _l("Terbit"), "archived": _l("Arsip")}
PROGRAM_STATUS_LABELS = {"draft": _l("Belum diterbitkan"), "scheduled": _l("Terjadwal"), "open": _l("Dibuka"),
                         "closed": _l("Ditutup")}


def _require_button() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _instansi_names() -> dict[int, str]:
    return {unit.id: unit.name for unit in db.session.scalars(instansi_in_scope(current_user))}


def _owner_choices(with_bundled: bool):
    """The instansi the admin may create for; a superadmin may also make bundled content (0)."""
    choices = list(_instansi_names().items())
    if with_bundled and current_user.role == Role.SUPERADMIN:
        choices.insert(0, (0, _("Materi bawaan (untuk semua instansi)")))
    return select_choices(choices)


def _owner(instansi_id: int) -> Unit | None:
    return get_unit(current_user, instansi_id) if instansi_id else None


# --- courses -------------------------------------------------------------------------------

@bp.route("/admin/kursus")
@requires(Role.ADMIN)
def admin_courses():
    return render_template("courses/admin/courses.html", courses=authoring.courses_for(current_user),
                           owners=_instansi_names(), labels=VERSION_STATUS_LABELS)


@bp.route("/admin/kursus/baru", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_course_new():
    form = CourseForm()
    form.instansi.choices = _owner_choices(with_bundled=True)
    error = None
    if form.validate_on_submit():
        course, error = attempt(lambda: authoring.create_course(
            current_user, _owner(form.instansi.data), form.title.data, form.summary.data))
        if course is not None:
            flash(_("Kursus dibuat sebagai draf versi 1. Tambahkan modulnya."), "success")
            return redirect(url_for("courses.admin_version", version_id=course.versions[0].id))
    return render_template("courses/admin/course_form.html", form=form, error=error)


@bp.route("/admin/kursus/<int:course_id>")
@requires(Role.ADMIN)
def admin_course(course_id: int):
    course = authoring.get_course_for(current_user, course_id)
    return redirect(url_for("courses.admin_version", version_id=course.versions[-1].id))


def _copy_form(version: CourseVersion) -> CourseForm:
    form = CourseForm(prefix="copy")
    form.instansi.choices = _owner_choices(with_bundled=True)
    return form


#: The forms of the version page, each posted to its own URL.
_VERSION_FORMS = {
    "version_form": lambda version: VersionForm(obj=version, prefix="version"),
    "module_form": lambda version: NewModuleForm(prefix="module"),
    "review_form": lambda version: ReviewForm(prefix="review"),
    "copy_form": _copy_form,
}


def _version_page(version: CourseVersion, error=None, **forms):
    """The version page; a form that failed is passed in so its input and errors are shown."""
    forms = {name: forms.get(name) or make(version) for name, make in _VERSION_FORMS.items()}
    mine = [p for p in programs.programs_for_admin(current_user) if p.course_version_id == version.id]
    return render_template(
        "courses/admin/version.html", version=version, course=version.course, error=error,
        checklist=cycle.checklist(version, mine) if version.status != VersionStatus.ARCHIVED else [],
        may_edit=authoring.may_edit_course(current_user, version.course), labels=VERSION_STATUS_LABELS,
        owners=_instansi_names(), action_form=ActionForm(), **forms)


@bp.route("/admin/kursus/versi/<int:version_id>")
@requires(Role.ADMIN)
def admin_version(version_id: int):
    return _version_page(authoring.get_version_for(current_user, version_id))


def _after(result, version: CourseVersion) -> str:
    """Where to go after a version-page action: the module, course or version it made, else back."""
    if isinstance(result, Module):
        return url_for("courses.admin_module", module_id=result.id)
    if isinstance(result, Course):
        return url_for("courses.admin_version", version_id=result.versions[0].id)
    if isinstance(result, CourseVersion):
        return url_for("courses.admin_version", version_id=result.id)
    return url_for("courses.admin_version", version_id=version.id)


#: The forms of the version page by the last part of their URL: (form, service call, success message).
_VERSION_POSTS = {
    "ubah": ("version_form", lambda version, f: authoring.update_version(
        current_user, version, f.title.data, f.summary.data, f.legal_basis_as_of.data, f.review_note.data),
        _l("Keterangan versi disimpan.")),
    "modul": ("module_form", lambda version, f: authoring.add_module(current_user, version, f.title.data),
              _l("Modul ditambahkan. Tulis isinya di bawah.")),
    "tinjauan": ("review_form", lambda version, f: authoring.record_review(
        current_user, version, f.reviewed_on.data, f.reviewer.data, f.note.data, f.sources.data),
        _l("Catatan peninjauan disimpan; peserta melihatnya di halaman program.")),
    "salin": ("copy_form", lambda version, f: authoring.copy_course(
        current_user, version, _owner(f.instansi.data), f.title.data),
        _l("Kursus baru dibuat dari salinan versi ini, beserta bank soalnya. Program lama tidak berubah; "
           "ikuti daftar periksa di bawah untuk membuka siklus berikutnya.")),
}


@bp.route("/admin/kursus/versi/<int:version_id>/<any(ubah, modul, tinjauan, salin):part>", methods=["POST"])
@requires(Role.ADMIN)
def admin_version_post(version_id: int, part: str):
    """One form of the version page: validate, run its service, commit and go on; else show the errors."""
    version = authoring.get_version_for(current_user, version_id)
    form_name, run, message = _VERSION_POSTS[part]
    form = _VERSION_FORMS[form_name](version)
    error = None
    if form.validate_on_submit():
        result, error = attempt(lambda: run(version, form))
        if error is None:
            flash(str(message), "success")
            return redirect(_after(result, version))
        version = authoring.get_version_for(current_user, version_id)
    return _version_page(version, error, **{form_name: form})


_VERSION_ACTIONS = {
    "terbitkan": (lambda actor, version: authoring.publish_version(
        actor, version, acknowledge_unreviewed=request.form.get("tanpa_tinjauan") == "1"),
        _l("Versi diterbitkan. Isinya kini tetap dan dapat dipakai program.")),
    "versi-baru": (authoring.new_draft_from, _l("Draf versi baru dibuat dari versi ini.")),
    "arsipkan": (authoring.archive, _l("Versi diarsipkan; program yang sudah memakainya tetap berjalan.")),
}


@bp.route("/admin/kursus/versi/<int:version_id>/<any(terbitkan, 'versi-baru', arsipkan):action>",
          methods=["POST"])
@requires(Role.ADMIN)
def admin_version_action(version_id: int, action: str):
    _require_button()
    version = authoring.get_version_for(current_user, version_id)
    service, message = _VERSION_ACTIONS[action]
    result, error = attempt(lambda: service(current_user, version))
    flash(str(error or message), "error" if error else "success")
    return redirect(_after(result, version))


# --- modules -------------------------------------------------------------------------------

@bp.route("/admin/kursus/modul/<int:module_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_module(module_id: int):
    module = authoring.get_module_for(current_user, module_id)
    form = ModuleForm(obj=module)
    preview, error = None, None
    if form.validate_on_submit():
        if form.preview.data:
            preview = render_markdown(form.body_md.data, attachments.resolver(module))
        else:
            _result, error = attempt(lambda: authoring.update_module(current_user, module, form.title.data,
                                                                form.body_md.data, form.minutes.data,
                                                                form.min_reading_minutes.data or 0))
            if error is None:
                flash(_("Modul disimpan."), "success")
                return redirect(url_for("courses.admin_module", module_id=module_id))
            module = authoring.get_module_for(current_user, module_id)
    return render_template(
        "courses/admin/module.html", module=module, version=module.version, form=form, preview=preview,
        error=error, body=render_markdown(module.body_md, attachments.resolver(module)),
        may_edit=authoring.may_edit_course(current_user, module.version.course) and module.version.is_editable,
        upload_form=AttachmentForm(), snippet=attachments.markdown_snippet, max_upload=attachments.MAX_UPLOAD)


_MODULE_ACTIONS = {
    "naik": lambda module: authoring.move_module(current_user, module, "up"),
    "turun": lambda module: authoring.move_module(current_user, module, "down"),
    "hapus": lambda module: authoring.delete_module(current_user, module),
}


@bp.route("/admin/kursus/modul/<int:module_id>/<any(naik, turun, hapus):action>", methods=["POST"])
@requires(Role.ADMIN)
def admin_module_action(module_id: int, action: str):
    _require_button()
    module = authoring.get_module_for(current_user, module_id)
    version_id = module.version_id
    _result, error = attempt(lambda: _MODULE_ACTIONS[action](module))
    if error:
        flash(str(error), "error")
    elif action == "hapus":
        flash(_("Modul dihapus."), "success")
    return redirect(url_for("courses.admin_version", version_id=version_id) + "#modul")


@bp.route("/admin/kursus/modul/<int:module_id>/lampiran", methods=["POST"])
@csrf.exempt  # checked by AttachmentForm below, after the body limit is raised for this view only
@requires(Role.ADMIN)
def admin_attachment_upload(module_id: int):
    request.max_content_length = attachments.MAX_UPLOAD
    module = authoring.get_module_for(current_user, module_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(str(form.file.errors[0]), "error")
        return redirect(url_for("courses.admin_module", module_id=module_id))
    upload = form.file.data
    item, error = attempt(lambda: authoring.attach(current_user, module, upload.filename, upload.stream))
    if error:
        flash(str(error), "error")
    else:
        flash(_("Lampiran %(name)s diunggah. Tempelkan %(snippet)s di isi modul untuk menampilkannya.",
                name=item.filename, snippet=attachments.markdown_snippet(item)), "success")
    return redirect(url_for("courses.admin_module", module_id=module_id) + "#lampiran")


# --- programs ------------------------------------------------------------------------------

@bp.route("/admin/program")
@requires(Role.ADMIN)
def admin_programs():
    today = local_today(current_user)
    rows = [(program, program_status(program, today)) for program in programs.programs_for_admin(current_user)]
    return render_template("courses/admin/programs.html", rows=rows, labels=PROGRAM_STATUS_LABELS)


def _program_form(program: Program | None) -> ProgramForm:
    """The program form with its choices; prefilled from ``program`` on GET."""
    data = None
    if program is not None and request.method == "GET":
        data = {"title": program.title, "description": program.description,
                "version": program.course_version_id, "starts_on": program.starts_on, "ends_on": program.ends_on,
                "targets": [t.unit_id for t in program.targets], "jenis": sorted(j.value for j in program.jenis_set)}
    elif request.method == "GET":  # a new program, maybe from the next-cycle checklist
        data = {"version": query_id("versi"), "earlier": query_id("dari") or 0}
    form = ProgramForm(data=data)
    versions = programs.usable_versions(current_user)
    if program is not None:
        del form.instansi
        del form.earlier
        if program.course_version not in versions:
            versions.append(program.course_version)
    else:
        form.instansi.choices = _owner_choices(with_bundled=False)
        form.earlier.choices = [(0, _("\u2014 tidak menyalin \u2014"))] + [
            (p.id, p.title) for p in programs.programs_for_admin(current_user)]
    form.version.choices = select_choices(
        (v.id, _("%(title)s (versi %(n)d)", title=v.title, n=v.number)) for v in versions)
    form.targets.choices = select_choices(unit_options(current_user))
    return form


def _program_values(form: ProgramForm) -> dict:
    """The service arguments from a valid form; every id goes through a scope check."""
    return {
        "title": form.title.data, "description": form.description.data,
        "version": authoring.get_version_for(current_user, form.version.data),
        "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
        "targets": [get_unit(current_user, unit_id) for unit_id in form.targets.data],
        "jenis": {Jenis(value) for value in form.jenis.data},
    }


@bp.route("/admin/program/baru", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_program_new():
    form = _program_form(None)
    error = None
    if form.validate_on_submit():
        instansi = get_unit(current_user, form.instansi.data)
        earlier = programs.get_program_for_admin(current_user, form.earlier.data) if form.earlier.data else None
        program, error = attempt(lambda: cycle.open_program(current_user, instansi, earlier=earlier,
                                                            **_program_values(form)))
        if program is not None:
            flash(_("Program dibuat. Periksa lalu terbitkan agar tampil bagi pegawai sasaran."), "success")
            return redirect(url_for("courses.admin_program", program_id=program.id))
    return render_template("courses/admin/program_form.html", form=form, program=None, error=error)


@bp.route("/admin/program/<int:program_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_program(program_id: int):
    program = programs.get_program_for_admin(current_user, program_id)
    form = _program_form(program)
    error = None
    if form.validate_on_submit():
        _result, error = attempt(lambda: programs.update_program(current_user, program, **_program_values(form)))
        if error is None:
            flash(_("Program disimpan."), "success")
            return redirect(url_for("courses.admin_program", program_id=program_id))
        program = programs.get_program_for_admin(current_user, program_id)
    return render_template("courses/admin/program_form.html", form=form, program=program, error=error,
                           status=program_status(program, local_today(current_user)),
                           labels=PROGRAM_STATUS_LABELS, action_form=ActionForm())


@bp.route("/admin/program/<int:program_id>/terbitkan", methods=["POST"])
@requires(Role.ADMIN)
def admin_program_publish(program_id: int):
    _require_button()
    program = programs.get_program_for_admin(current_user, program_id)
    published = request.form.get("published") == "1"
    programs.set_published(current_user, program, published)
    db.session.commit()
    flash(_("Program diterbitkan: pegawai sasaran melihatnya mulai tanggal mulai.") if published
          else _("Program disembunyikan dari pegawai."), "success")
    return redirect(url_for("courses.admin_program", program_id=program_id))
