"""Unit Kerja pages (admins): the tree, create, rename, move, (de)activate."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..core.errors import InvalidInput
from ..core.ids import query_id
from .scope import get_unit, requires, subtree_clause, units_in_scope
from ..extensions import db
from . import units as unit_services
from .forms import MoveUnitForm, RenameUnitForm, UnitForm
from ..core.forms import ActionForm, select_choices
from .models import Person, Role, Unit
from .units import unit_options
from .views import bp


@bp.route("/admin/unit")
@requires(Role.ADMIN)
def units():
    all_units = db.session.scalars(units_in_scope(current_user)).all()
    counts = dict(db.session.execute(
        select(Person.unit_id, func.count(Person.id)).where(Person.active.is_(True)).group_by(Person.unit_id)
    ).tuples().all())
    tree = unit_services.build_tree(all_units)
    return render_template("accounts/units.html", tree=tree, counts=counts)


@bp.route("/admin/unit/baru", methods=["GET", "POST"])
@requires(Role.ADMIN)
def create_unit():
    form = UnitForm()
    options = unit_options(current_user)
    if current_user.role == Role.SUPERADMIN:
        options = [(0, _("\u2014 Instansi baru (unit puncak) \u2014"))] + options
    form.parent.choices = select_choices(options)
    if request.method == "GET" and query_id("parent"):
        form.parent.data = query_id("parent")
    error = None
    if form.validate_on_submit():
        parent = get_unit(current_user, form.parent.data) if form.parent.data else None
        try:
            unit = unit_services.create_unit(current_user, parent, form.name.data, form.code.data,
                                             form.timezone.data)
        except InvalidInput as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("Unit \u201c%(name)s\u201d ditambahkan.", name=unit.name), "success")
            return redirect(url_for("accounts.units"))
    return render_template("accounts/unit_form.html", form=form, error=error)


@bp.route("/admin/unit/<int:unit_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_unit(unit_id: int):
    unit = get_unit(current_user, unit_id)
    rename_form = RenameUnitForm(obj=unit, prefix="rename")
    move_form = MoveUnitForm(prefix="move", new_parent=unit.parent_id)
    subtree = set(db.session.scalars(select(Unit.id).where(subtree_clause(Unit.path, unit.path))))
    move_form.new_parent.choices = select_choices(o for o in unit_options(current_user) if o[0] not in subtree)
    error = None
    try:
        if request.method == "POST" and "rename-name" in request.form:
            if rename_form.validate_on_submit():
                unit_services.rename_unit(current_user, unit, rename_form.name.data, rename_form.code.data)
                db.session.commit()
                flash(_("Unit diperbarui."), "success")
                return redirect(url_for("accounts.edit_unit", unit_id=unit.id))
        elif request.method == "POST" and "move-new_parent" in request.form:
            if move_form.validate_on_submit():
                target = get_unit(current_user, move_form.new_parent.data)
                unit_services.move_unit(current_user, unit, target)
                db.session.commit()
                flash(_("Unit dipindahkan beserta seluruh sub-unitnya."), "success")
                return redirect(url_for("accounts.edit_unit", unit_id=unit.id))
    except InvalidInput as exc:
        db.session.rollback()
        error = exc.message
        unit = get_unit(current_user, unit_id)
    return render_template("accounts/unit_edit.html", unit=unit, rename_form=rename_form,
                           move_form=move_form, action_form=ActionForm(), error=error)


@bp.route("/admin/unit/<int:unit_id>/status", methods=["POST"])
@requires(Role.ADMIN)
def set_unit_status(unit_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    unit = get_unit(current_user, unit_id)
    active = request.form.get("active") == "1"
    try:
        unit_services.set_unit_active(current_user, unit, active)
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Unit diaktifkan.") if active else _("Unit beserta sub-unitnya dinonaktifkan."), "success")
    return redirect(url_for("accounts.edit_unit", unit_id=unit_id))
