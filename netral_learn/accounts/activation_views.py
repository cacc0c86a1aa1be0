"""The one-time activation page: a staff member (or a new instansi's admin) sets their password."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..core.errors import InvalidInput
from ..extensions import db
from . import activation
from .forms import SetPasswordForm
from .views import bp


@bp.route("/aktivasi/<token>", methods=["GET", "POST"])
def activate_account(token: str):
    link = activation.valid_link(token)
    if link is None:
        return render_template("accounts/activation_invalid.html"), 404
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            activation.activate(token, form.new.data)
        except InvalidInput as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("Akun Anda aktif. Silakan masuk dengan NIP dan kata sandi yang baru Anda buat."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/activate.html", form=form, error=error, person=link.person,
                           expires_at=link.expires_at), (400 if error or form.errors else 200)
