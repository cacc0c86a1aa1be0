"""Pegawai pages for operators and admins: list, detail, reset, unlock, (de)activate, role, slips."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_

from ..core import person_page
from ..core.clock import now_utc
from ..core.errors import DomainError, InvalidInput
from ..core.ids import page_number, parse_id, query_id
from .scope import (
    Action,
    acts_on_person,
    get_person,
    get_unit,
    may_act_on,
    people_in_scope,
    requires,
    subtree_clause,
)
from ..core import audit
from ..extensions import db
from . import activation, services, slips, throttle
from . import people as people_services
from ..core.forms import ActionForm, select_choices
from .forms import ROLE_LABELS, PeopleFilterForm, PersonForm, RoleForm, SetPasswordForm
from .models import ROLE_RANK, Person, Role, Unit
from .nip import canonical_text
from .units import unit_options
from .views import bp


def filtered_people(actor, form: PeopleFilterForm):
    """The people query of the list page, after search and filters."""
    query = people_in_scope(actor)
    q = (form.q.data or "").strip()
    if q:
        digits = "".join(canonical_text(q).split())  # NFKC: full-width digits from a phone find the NIP
        query = query.where(or_(Person.name.ilike(f"%{q}%"), Person.nip.startswith(digits.upper())))
    if form.unit.data:
        unit_id = parse_id(form.unit.data)
        try:
            unit = get_unit(actor, unit_id) if unit_id else None
        except DomainError:
            unit = None
        if unit is not None:
            query = query.where(subtree_clause(Unit.path, unit.path))
    if form.jenis.data:
        query = query.where(Person.jenis == form.jenis.data)
    status = form.status.data or "active"
    if status == "active":
        query = query.where(Person.active.is_(True))
    elif status == "inactive":
        query = query.where(Person.active.is_(False))
    elif status == "locked":
        query = query.where(throttle.locked_clause())
    elif status == "initial":
        query = query.where(Person.initial_password_enc.is_not(None), Person.active.is_(True))
    elif status == "expired":
        query = query.where(Person.initial_password_enc.is_not(None), Person.active.is_(True),
                            ~slips.not_expired())
    return query


@bp.route("/admin/pegawai")
@requires(Role.OPERATOR)
def people():
    form = PeopleFilterForm(request.args)
    form.unit.choices = select_choices([("", _("Semua unit"))] + [(str(i), label) for i, label in unit_options(current_user)])
    query = filtered_people(current_user, form).order_by(Person.name, Person.id)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False, count=True)
    return render_template("accounts/people.html", form=form, page=page,
                           locks=throttle.lock_ends([p.id for p in page.items]))


def _person_form(obj: Person | None = None) -> PersonForm:
    form = PersonForm(obj=obj, unit=obj.unit_id if obj else query_id("unit"))
    form.unit.choices = select_choices(unit_options(current_user))
    return form


def _person_data(form: PersonForm) -> people_services.PersonData:
    return people_services.PersonData(
        nip=form.nip.data or "", jenis=form.jenis.data or "", name=form.name.data or "", unit_id=form.unit.data,
        jabatan=form.jabatan.data or "", golongan=form.golongan.data or "", email=form.email.data or "",
        phone=form.phone.data or "")


def _person_page(form: PersonForm, person: Person | None, save, done):
    """The add/edit form: on a valid POST run ``save`` (the one service), commit and return
    ``done(result)``; otherwise show the form with each field's message (nothing written)."""
    error = None
    if form.validate_on_submit():
        try:
            result = save(_person_data(form))
        except people_services.PersonInvalid as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                getattr(form, name).errors = [message]
            error = exc.message
        else:
            db.session.commit()
            return done(result)
    elif form.errors:
        error = _("Periksa kembali isian yang ditandai.")
    return render_template("accounts/person_form.html", form=form, person=person, error=error), (400 if error else 200)


@bp.route("/admin/pegawai/baru", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def person_new():
    def done(result):
        person, credential = result
        flash(_("Pegawai ditambahkan. Berikan kata sandi awalnya (atau cetak slipnya)."), "success")
        return _render_person(person, credential)

    return _person_page(_person_form(), None, lambda data: people_services.create_person(current_user, data), done)


@bp.route("/admin/pegawai/<int:person_id>/ubah", methods=["GET", "POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.EDIT)
def person_edit(person_id: int):
    person = get_person(current_user, person_id, Action.EDIT)
    form = _person_form(person) if request.method == "GET" else _person_form()
    if request.method == "GET":
        form.jenis.data = person.jenis.value

    def done(changes):
        if not changes:
            flash(_("Tidak ada yang berubah."), "info")
        else:
            flash(_("Data pegawai disimpan."), "success")
            if "name" in changes:
                flash(_("Nama baru tampil pada dokumen yang diterbitkan mulai sekarang. Sertifikat yang sudah "
                        "terbit masih memuat nama lama dan perlu diterbitkan ulang (lihat bagian Sertifikat "
                        "di bawah)."), "info")
        return redirect(url_for("accounts.person_detail", person_id=person_id))

    return _person_page(form, person, lambda data: people_services.update_person(current_user, person, data), done)


@bp.route("/admin/pegawai/<int:person_id>")
@requires(Role.OPERATOR)
@acts_on_person(Action.VIEW)
def person_detail(person_id: int):
    person = get_person(current_user, person_id)
    audit.record(current_user, "person.view", f"person:{person.id}")
    db.session.commit()
    return _render_person(person)


def _render_person(person: Person, credential: activation.NewCredential | None = None,
                   password_form: SetPasswordForm | None = None, error=None, status: int = 200):
    """The person page; right after a reset it also shows the new first password or link once."""
    may = {action.value: may_act_on(current_user, person, action) for action in Action}
    role_form = None
    if may[Action.ROLE.value]:
        role_form = RoleForm(role=person.role.value, scope_unit=person.scope_unit_id or person.unit_id)
        role_form.role.choices = select_choices(
            (r.value, ROLE_LABELS[r]) for r in Role
            if ROLE_RANK[r] < current_user.rank or current_user.role == Role.SUPERADMIN)
        role_form.scope_unit.choices = select_choices(unit_options(current_user))
    return render_template(
        "accounts/person.html", person=person, action_form=ActionForm(), role_form=role_form,
        may=may, now=now_utc(), credential=credential, role_labels=ROLE_LABELS,
        locked_until=throttle.lock_ends([person.id]).get(person.id),
        first_password_expires=activation.first_password_expires_at(person),
        first_password_expired=activation.first_password_expired(person),
        pending_link=activation.pending_link(person) if person.is_staff else None,
        password_form=password_form or SetPasswordForm(), password_error=error,
        sections=person_page.sections_for(current_user, person),
    ), status


def _manage_action(person_id: int, action: Action, run):
    """Run one POST action on a person the rule lets the actor act on, and commit."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    person = get_person(current_user, person_id, action)
    result = run(person)
    db.session.commit()
    return person, result


@bp.route("/admin/pegawai/<int:person_id>/reset-sandi", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.RESET)
def reset_password(person_id: int):
    person, credential = _manage_action(person_id, Action.RESET,
                                        lambda p: services.reset_password(current_user, p))
    if credential.link:
        flash(_("Tautan aktivasi dibuat. Berikan langsung kepada pegawai; tautan hanya dapat dipakai sekali."),
              "success")
    else:
        flash(_("Kata sandi direset. Berikan kata sandi awal baru kepada pegawai (atau cetak slipnya)."), "success")
    return _render_person(person, credential)


@bp.route("/admin/pegawai/<int:person_id>/atur-sandi", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.RESET)
def set_password_in_person(person_id: int):
    person = get_person(current_user, person_id, Action.RESET)
    form = SetPasswordForm()
    if not form.validate_on_submit():
        return _render_person(person, password_form=form, status=400)
    try:
        activation.set_password_in_person(current_user, person, form.new.data)
    except InvalidInput as exc:
        db.session.rollback()
        return _render_person(get_person(current_user, person_id, Action.RESET), password_form=form,
                              error=exc.message, status=400)
    db.session.commit()
    flash(_("Kata sandi pegawai disimpan. Ia dapat masuk dengan kata sandi yang baru saja ia ketik."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/buka-kunci", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.UNLOCK)
def unlock(person_id: int):
    _manage_action(person_id, Action.UNLOCK, lambda p: services.unlock(current_user, p))
    flash(_("Akun dibuka kembali."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/nonaktifkan", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.ACTIVATE)
def deactivate(person_id: int):
    _manage_action(person_id, Action.ACTIVATE, lambda p: services.set_person_active(current_user, p, False))
    flash(_("Pegawai dinonaktifkan: tidak dapat masuk dan tidak dihitung dalam laporan."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/aktifkan", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.ACTIVATE)
def activate(person_id: int):
    _manage_action(person_id, Action.ACTIVATE, lambda p: services.set_person_active(current_user, p, True))
    flash(_("Pegawai diaktifkan kembali."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/peran", methods=["POST"])
@requires(Role.ADMIN)
@acts_on_person(Action.ROLE)
def set_role(person_id: int):
    person = get_person(current_user, person_id, Action.ROLE)
    form = RoleForm()
    form.scope_unit.choices = select_choices(unit_options(current_user))
    if not form.validate_on_submit():
        abort(400)
    scope_unit = get_unit(current_user, form.scope_unit.data) if form.role.data != Role.PARTICIPANT.value else None
    services.assign_role(current_user, person, Role(form.role.data), scope_unit)
    db.session.commit()
    flash(_("Peran pegawai diperbarui."), "success")
    if person.is_staff and not person.password_hash:
        flash(_("Akun staf ini belum punya kata sandi sendiri: buat tautan aktivasi atau atur kata sandinya "
                "bersama pegawai."), "info")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/slip.pdf")
@requires(Role.OPERATOR)
@acts_on_person(Action.PRINT_SLIP)
def person_slip(person_id: int):
    person = get_person(current_user, person_id, Action.PRINT_SLIP)
    batch = slips.pending_slips(current_user, people_in_scope(current_user).where(Person.id == person.id))
    if not batch.slips:
        if activation.first_password_expired(person):
            flash(_("Kata sandi awal pegawai ini sudah kedaluwarsa: reset kata sandinya untuk mencetak slip baru."),
                  "info")
        else:
            flash(_("Pegawai ini sudah mengganti kata sandinya, sehingga tidak ada slip untuk dicetak."), "info")
        return redirect(url_for("accounts.person_detail", person_id=person_id))
    data = _slips_pdf(batch, person.unit)
    return _pdf_response(data, f"slip-{person.nip}.pdf")


def _slip_form(all_label: str) -> PeopleFilterForm:
    form = PeopleFilterForm(request.args)
    form.unit.choices = select_choices([("", all_label)]
                                       + [(str(i), label) for i, label in unit_options(current_user)])
    form.status.data = "initial"
    return form


@bp.route("/admin/slip-login")
@requires(Role.OPERATOR)
def slips_page():
    form = _slip_form(_("Semua unit dalam cakupan"))
    counts = slips.count_pending(current_user, filtered_people(current_user, form))
    return render_template("accounts/slips.html", form=form, counts=counts, count=counts.printable,
                           limit=slips.MAX_SLIPS_PER_PDF, days=current_app.config["FIRST_PASSWORD_DAYS"],
                           action_form=ActionForm())


@bp.route("/admin/slip-login.pdf")
@requires(Role.OPERATOR)
@acts_on_person(Action.PRINT_SLIP)
def slips_pdf():
    form = _slip_form(_("Semua unit dalam cakupan"))
    batch = slips.pending_slips(current_user, filtered_people(current_user, form))
    if not batch.slips:
        flash(_("Tidak ada pegawai yang masih memakai kata sandi awal pada pilihan ini."), "info")
        return redirect(url_for("accounts.slips_page", **request.args))
    if len(batch.slips) > slips.MAX_SLIPS_PER_PDF:
        flash(_("Terlalu banyak slip untuk satu berkas (maks %(n)d). Pilih unit yang lebih kecil.",
                n=slips.MAX_SLIPS_PER_PDF), "error")
        return redirect(url_for("accounts.slips_page", **request.args))
    data = _slips_pdf(batch, current_user.scope_unit or current_user.unit)
    return _pdf_response(data, "slip-login.pdf")


@bp.route("/admin/slip-login/perbarui", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.RESET)
def renew_expired():
    if not ActionForm().validate_on_submit():
        abort(400)
    form = PeopleFilterForm(request.form)
    form.unit.choices = select_choices((str(i), label) for i, label in unit_options(current_user))
    renewed = slips.renew_expired(current_user, filtered_people(current_user, form))
    db.session.commit()
    flash(_("%(n)d kata sandi awal yang kedaluwarsa diganti dengan yang baru. Cetak slipnya sekarang; slip lama "
            "tidak berlaku lagi.", n=len(renewed)), "success")
    return redirect(url_for("accounts.slips_page", unit=form.unit.data or None, jenis=form.jenis.data or None))


def _slips_pdf(batch: slips.SlipBatch, unit: Unit) -> bytes:
    """Render the slips, then record who printed whose (committed with the download)."""
    data = slips.slips_pdf(batch.slips, _instansi_name(unit), with_qr=request.args.get("qr") == "1")
    slips.record_printing(current_user, batch)
    db.session.commit()
    return data


def _instansi_name(unit: Unit) -> str:
    root = db.session.get(Unit, unit.root_id)
    return root.name if root else unit.name


def _pdf_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })
