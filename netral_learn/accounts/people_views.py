"""Pegawai pages for operators and admins: list, detail, reset, unlock, (de)activate, role, slips."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..core.clock import now_utc
from ..core.errors import DomainError
from ..core.ids import page_number, parse_id
from ..core.scope import (
    get_person,
    get_unit,
    may_manage_person,
    people_in_scope,
    requires,
    subtree_clause,
    units_in_scope,
)
from ..extensions import db
from . import services, slips, throttle
from .forms import ROLE_LABELS, ActionForm, PeopleFilterForm, RoleForm, select_choices
from .models import ROLE_RANK, Person, Role, Unit
from .units import unit_label
from .views import bp


def unit_options(actor) -> list[tuple[int, str]]:
    """(id, full path label) of the active units in the actor's scope, sorted by label."""
    units = db.session.scalars(units_in_scope(actor)).all()
    names = {u.id: u.name for u in units}
    all_names = names
    missing = {i for u in units for i in u.ancestor_ids} - set(names)
    if missing:
        all_names = {**names, **dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(missing))).tuples().all())}
    return sorted(((u.id, unit_label(u, all_names)) for u in units if u.active), key=lambda c: c[1].lower())


def filtered_people(actor, form: PeopleFilterForm):
    """The people query of the list page, after search and filters."""
    query = people_in_scope(actor)
    q = (form.q.data or "").strip()
    if q:
        digits = q.replace(" ", "")
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


@bp.route("/admin/pegawai/<int:person_id>")
@requires(Role.OPERATOR)
def person_detail(person_id: int):
    return _render_person(get_person(current_user, person_id))


def _render_person(person: Person, new_password: str | None = None):
    """The person page; right after a reset it also shows the new first password once."""
    role_form = None
    if current_user.rank >= ROLE_RANK[Role.ADMIN] and may_manage_person(current_user, person):
        role_form = RoleForm(role=person.role.value, scope_unit=person.scope_unit_id or person.unit_id)
        role_form.role.choices = select_choices(
            (r.value, ROLE_LABELS[r]) for r in Role
            if ROLE_RANK[r] < current_user.rank or current_user.role == Role.SUPERADMIN)
        role_form.scope_unit.choices = select_choices(unit_options(current_user))
    return render_template(
        "accounts/person.html", person=person, action_form=ActionForm(), role_form=role_form,
        may_manage=may_manage_person(current_user, person), now=now_utc(),
        locked_until=throttle.lock_ends([person.id]).get(person.id),
        new_password=new_password, role_labels=ROLE_LABELS,
    )


def _manage_action(person_id: int, action):
    """Run one POST action on a person in scope, commit, and go back to the person page."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    person = get_person(current_user, person_id, manage=True)
    result = action(person)
    db.session.commit()
    return person, result


@bp.route("/admin/pegawai/<int:person_id>/reset-sandi", methods=["POST"])
@requires(Role.OPERATOR)
def reset_password(person_id: int):
    person, new_password = _manage_action(person_id, lambda p: services.reset_password(current_user, p))
    flash(_("Kata sandi direset. Berikan kata sandi awal baru kepada pegawai (atau cetak slipnya)."), "success")
    return _render_person(person, new_password)


@bp.route("/admin/pegawai/<int:person_id>/buka-kunci", methods=["POST"])
@requires(Role.OPERATOR)
def unlock(person_id: int):
    _manage_action(person_id, lambda p: services.unlock(current_user, p))
    flash(_("Akun dibuka kembali."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/nonaktifkan", methods=["POST"])
@requires(Role.ADMIN)
def deactivate(person_id: int):
    _manage_action(person_id, lambda p: services.set_person_active(current_user, p, False))
    flash(_("Pegawai dinonaktifkan: tidak dapat masuk dan tidak dihitung dalam laporan."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/aktifkan", methods=["POST"])
@requires(Role.ADMIN)
def activate(person_id: int):
    _manage_action(person_id, lambda p: services.set_person_active(current_user, p, True))
    flash(_("Pegawai diaktifkan kembali."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/peran", methods=["POST"])
@requires(Role.ADMIN)
def set_role(person_id: int):
    person = get_person(current_user, person_id, manage=True)
    form = RoleForm()
    form.scope_unit.choices = select_choices(unit_options(current_user))
    if not form.validate_on_submit():
        abort(400)
    scope_unit = get_unit(current_user, form.scope_unit.data) if form.role.data != Role.PARTICIPANT.value else None
    services.assign_role(current_user, person, Role(form.role.data), scope_unit)
    db.session.commit()
    flash(_("Peran pegawai diperbarui."), "success")
    return redirect(url_for("accounts.person_detail", person_id=person_id))


@bp.route("/admin/pegawai/<int:person_id>/slip.pdf")
@requires(Role.OPERATOR)
def person_slip(person_id: int):
    person = get_person(current_user, person_id, manage=True)
    items, _unreadable = slips.pending_slips(people_in_scope(current_user).where(Person.id == person.id))
    if not items:
        flash(_("Pegawai ini sudah mengganti kata sandinya, sehingga tidak ada slip untuk dicetak."), "info")
        return redirect(url_for("accounts.person_detail", person_id=person_id))
    return _pdf_response(slips.slips_pdf(items, _instansi_name(person.unit)), f"slip-{person.nip}.pdf")


@bp.route("/admin/slip-login")
@requires(Role.OPERATOR)
def slips_page():
    form = PeopleFilterForm(request.args)
    form.unit.choices = select_choices([("", _("Semua unit dalam cakupan"))]
                                       + [(str(i), label) for i, label in unit_options(current_user)])
    form.status.data = "initial"
    count = db.session.scalar(select(func.count()).select_from(filtered_people(current_user, form).subquery()))
    return render_template("accounts/slips.html", form=form, count=count, limit=slips.MAX_SLIPS_PER_PDF)


@bp.route("/admin/slip-login.pdf")
@requires(Role.OPERATOR)
def slips_pdf():
    form = PeopleFilterForm(request.args)
    form.unit.choices = select_choices((str(i), label) for i, label in unit_options(current_user))
    form.status.data = "initial"
    items, unreadable = slips.pending_slips(filtered_people(current_user, form))
    if not items:
        flash(_("Tidak ada pegawai yang masih memakai kata sandi awal pada pilihan ini."), "info")
        return redirect(url_for("accounts.slips_page", **request.args))
    if len(items) > slips.MAX_SLIPS_PER_PDF:
        flash(_("Terlalu banyak slip untuk satu berkas (maks %(n)d). Pilih unit yang lebih kecil.",
                n=slips.MAX_SLIPS_PER_PDF), "error")
        return redirect(url_for("accounts.slips_page", **request.args))
    scope_unit = current_user.scope_unit or current_user.unit
    return _pdf_response(slips.slips_pdf(items, _instansi_name(scope_unit)), "slip-login.pdf")


def _instansi_name(unit: Unit) -> str:
    root = db.session.get(Unit, unit.root_id)
    return root.name if root else unit.name


def _pdf_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })
