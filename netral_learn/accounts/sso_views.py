"""SSO login pages: ``/masuk/sso`` sends the browser to the provider, ``/masuk/sso/kembali`` takes
its answer. The rules are in sso.py."""
from __future__ import annotations

import logging

from authlib.integrations.base_client import OAuthError
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from joserfc.errors import JoseError
from requests import RequestException

from ..core.redirects import safe_next
from .scope import get_unit, instansi_administered, requires
from ..extensions import db, limiter
from . import login_cache, sso
from ..core.forms import ActionForm
from .models import Role
from .views import bp

logger = logging.getLogger("netral_learn.sso")
_NEXT_KEY = "_sso_next"


def _callback_url() -> str:
    return current_app.config["SITE_URL"].rstrip("/") + url_for("accounts.sso_callback")


def _refused(message, status: int):
    return render_template("accounts/sso_refused.html", message=message), status


@bp.route("/masuk/sso")
def sso_login():
    if not sso.enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    target = safe_next(request.args.get("next"))
    try:
        response = sso.client().authorize_redirect(_callback_url())
    except (RequestException, ValueError) as error:
        logger.warning("SSO discovery failed: %s", type(error).__name__)
        return _refused(sso.UNAVAILABLE, 503)
    if target:
        session[_NEXT_KEY] = target
    return response


@bp.route("/masuk/sso/kembali")
@limiter.limit("60/minute")  # every refusal is audited: forged callbacks must not flood the trail
def sso_callback():
    if not sso.enabled():
        abort(404)
    try:
        issuer = request.args.get("iss")
        if issuer is not None and issuer != current_app.config["SSO_ISSUER"]:
            raise OAuthError(error="issuer_mismatch")  # RFC 9207: the answer of another provider
        token = sso.client().authorize_access_token(**sso.token_checks())
        claims = token.get("userinfo")
        if claims is None:
            raise OAuthError(error="missing_id_token")
        if current_app.config["SSO_NIP_CLAIM"] not in claims:
            extra = sso.client().userinfo(token=token)
            if extra.get("sub") == claims["sub"]:  # OIDC Core 5.3.2: only the same subject's claims
                claims = {**extra, **claims}
    except (OAuthError, JoseError) as error:
        reason = getattr(error, "error", None) or type(error).__name__
        sso.refuse(str(reason)[:60])
        db.session.commit()
        return _refused(sso.NOT_VERIFIED, 400)
    except (RequestException, ValueError) as error:
        logger.warning("SSO token exchange failed: %s", type(error).__name__)
        return _refused(sso.UNAVAILABLE, 503)
    try:
        outcome = sso.sign_in(claims, ip=request.remote_addr, user_agent=request.user_agent.string)
    except sso.SsoRefused as refusal:
        db.session.commit()  # the audit entry of the refusal
        return _refused(refusal.message, 403)
    db.session.commit()
    target = session.get(_NEXT_KEY)
    session.clear()
    login_user(outcome.person)
    session[login_cache.PERSON_IN_COOKIE] = outcome.person.id
    session[sso.ID_TOKEN_KEY] = token["id_token"]
    session.permanent = True
    return redirect(safe_next(target) or url_for("main.home"))


def provider_logout(id_token: str | None):
    """After the local logout: a page sending the browser on to the provider's logout (a page,
    not a redirect, because the logout form may only post to this site), or None."""
    url = sso.logout_url(id_token)
    if url is None:
        return None
    return render_template("accounts/sso_logout.html", url=url)


@bp.route("/admin/unit/<int:unit_id>/wajib-sso", methods=["POST"])
@requires(Role.ADMIN)
def unit_sso_required(unit_id: int):
    if not sso.enabled():
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    instansi = get_unit(current_user, unit_id)
    required = request.form.get("required") == "1"
    sso.set_required_for_staff(current_user, instansi, required)
    db.session.commit()
    flash(_("Operator dan admin %(name)s kini wajib masuk melalui SSO.", name=instansi.name) if required
          else _("Operator dan admin %(name)s boleh lagi masuk dengan kata sandi.", name=instansi.name), "success")
    return redirect(url_for("accounts.units"))


@bp.app_template_global("sso_instansi")
def sso_instansi(actor) -> list:
    """The instansi whose SSO rule for staff this admin may set (none while SSO is off)."""
    return instansi_administered(actor) if sso.enabled() else []
