"""Login, logout and password pages; the admin pages register on the same blueprint."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.csrf import logout_allowed
from ..core.errors import InvalidInput
from ..core.redirects import safe_next
from ..extensions import csrf, db, limiter
from . import login_audit, login_cache, services, sso, throttle
from .forms import ChangePasswordForm, LoginForm
from ..core.forms import ActionForm

bp = Blueprint("accounts", __name__)


def _address() -> str:
    return throttle.address_key(request.remote_addr)


@bp.route("/masuk", methods=["GET", "POST"])
# Failed logins per address (answered 429 beyond): only failures count, so a whole OPD logging in
# from behind one NAT address never meets it, while password spraying is slowed to a crawl.
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_FAILURE_LIMIT"],
               key_func=lambda: f"login-fail:{_address()}", methods=["POST"],
               deduct_when=lambda response: response.status_code == 401)
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
            outcome = sso.refuse_password_login(staff)  # audited there, as a refusal for SSO
        else:
            login_audit.record_attempt(form.nip.data, outcome.person, ip=request.remote_addr)
        db.session.commit()  # failures are counted even when the login is refused
        if outcome.person is not None:
            session.clear()
            login_user(outcome.person, remember=form.remember.data)
            session[login_cache.PERSON_IN_COOKIE] = outcome.person.id  # the first page finds the login copy
            session.permanent = True
            if outcome.person.must_change_password:
                flash(_("Selamat datang. Demi keamanan, ganti kata sandi awal Anda sekarang."), "info")
                return redirect(url_for("accounts.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        error = outcome.error
    status = 200 if error is None else 401
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/keluar", methods=["POST"])
@csrf.exempt  # checked below without the time limit: a page left open all day must still log out
def logout():
    id_token = session.get(sso.ID_TOKEN_KEY)
    if current_user.is_authenticated:
        if not logout_allowed(request.form.get("csrf_token")):
            return render_template("accounts/logout_confirm.html", form=ActionForm())
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
            services.change_password(current_user, form.current.data, form.new.data, ip=request.remote_addr)
        except InvalidInput as exc:
            if getattr(exc, "keep_work", False):
                db.session.commit()  # a wrong current password is counted towards the lock
            else:
                db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("Kata sandi berhasil diganti."), "success")
            return redirect(url_for("main.home"))
    return render_template("accounts/change_password.html", form=form, error=error,
                           forced=current_user.must_change_password)


from . import activation_views, instansi_views, people_views, roster_views, sso_views, unit_views  # noqa: E402,F401  (routes on bp)
