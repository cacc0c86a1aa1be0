"""Login, logout and password pages; the admin pages register on the same blueprint."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.errors import InvalidInput
from ..extensions import db
from . import login_cache, services, sso
from .forms import ActionForm, ChangePasswordForm, LoginForm

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        outcome = services.authenticate(
            form.nip.data, form.password.data,
            ip=request.remote_addr, user_agent=request.user_agent.string,
            remember=form.remember.data,
        )
        staff = sso.closed_to_password(form.nip.data)
        if staff is not None:  # staff must use the SSO: one answer, right password or not, no session
            db.session.rollback()
            outcome = sso.refuse_password_login(staff)
        db.session.commit()  # failures are counted even when the login is refused
        if outcome.person is not None:
            session.clear()
            login_user(outcome.person, remember=form.remember.data)
            session[login_cache.PERSON_IN_COOKIE] = outcome.person.id  # the first page finds the login copy
            session.permanent = True
            if outcome.person.must_change_password:
                flash(_("Selamat datang. Demi keamanan, ganti kata sandi awal Anda sekarang."), "info")
                return redirect(url_for("accounts.change_password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        error = outcome.error
    status = 200 if error is None else 401
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/keluar", methods=["POST"])
def logout():
    form = ActionForm()
    id_token = session.get(sso.ID_TOKEN_KEY)
    if form.validate_on_submit() and current_user.is_authenticated:
        services.end_session(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("Anda telah keluar."), "info")
    return sso_views.provider_logout(id_token) or redirect(url_for("accounts.login"))


@bp.route("/kata-sandi", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except InvalidInput as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("Kata sandi berhasil diganti."), "success")
            return redirect(url_for("main.home"))
    return render_template("accounts/change_password.html", form=form, error=error,
                           forced=current_user.must_change_password)


from . import activation_views, instansi_views, people_views, roster_views, sso_views, unit_views  # noqa: E402,F401  (routes on bp)
