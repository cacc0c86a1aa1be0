"""Login through the national ASN single sign-on (OpenID Connect, e.g. Keycloak) with Authlib.

The flow is the authorization code with PKCE (S256); the provider's endpoints and keys come from
its discovery document (``SSO_ISSUER`` + ``/.well-known/openid-configuration``). Authlib checks the
ID token's signature and, because :data:`claims_options` asks for them, its issuer, audience
(``SSO_CLIENT_ID``), nonce (the one kept with the state in the session) and expiry — against the
app's one clock (:mod:`..core.clock`) with ``SSO_CLOCK_LEEWAY`` seconds of tolerance.

Only people already on the roster, and active, may enter: the NIP is read from the claim named by
``SSO_NIP_CLAIM``, normalised like a typed NIP, and must name a person; nobody is created here.
A person who arrives by SSO needs no first password: it is cleared (so no login slip prints it)
and they are never sent to the password-change page. Every login and every refusal is audited.

Services flush, never commit, and never read the request; ``sso_views.py`` holds the routes.
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core import audit
from ..core.clock import now_utc
from .scope import require_administered
from ..extensions import db
from .models import Person, Unit
from .services import LoginOutcome, normalize_login_id, start_session

#: The Flask-session key holding the ID token of an SSO login (the ``id_token_hint`` at logout).
ID_TOKEN_KEY = "_sso_id_token"
_EXTENSION = "netral_sso"

UNKNOWN_PERSON = _l(
    "Akun SSO Anda dikenali, tetapi NIP Anda tidak terdaftar sebagai peserta aktif di Netral Learn. "
    "Akun tidak dibuat otomatis: hubungi operator kepegawaian di unit kerja Anda agar NIP Anda "
    "dimasukkan ke daftar pegawai."
)
NO_NIP = _l(
    "Layanan SSO tidak mengirimkan NIP Anda, sehingga Anda tidak dapat dikenali. Hubungi admin BKPSDM."
)
NOT_VERIFIED = _l(
    "Login melalui SSO tidak dapat diverifikasi (tautan kedaluwarsa, sudah dipakai, atau tidak "
    "berasal dari layanan SSO yang sah). Silakan coba masuk lagi dari halaman Masuk."
)
UNAVAILABLE = _l(
    "Layanan SSO sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi, atau masuk dengan kata "
    "sandi bila akun Anda memilikinya."
)
SSO_REQUIRED = _l(
    "Akun pengelola (operator dan admin) wajib masuk melalui SSO. Gunakan tombol SSO di bawah."
)


class SsoRefused(Exception):
    """The provider's answer was checked and nobody may enter with it."""

    def __init__(self, message, reason: str):
        super().__init__(reason)
        self.message = message
        self.reason = reason


def enabled(app: Flask | None = None) -> bool:
    """SSO is on when an issuer is configured."""
    return bool((app or current_app).config.get("SSO_ISSUER"))


def init_app(app: Flask) -> None:
    """Register the OpenID Connect client of this app (one Authlib registry per app)."""
    if not enabled(app):
        return
    from authlib.integrations.flask_client import OAuth

    cfg = app.config
    oauth = OAuth(app)
    oauth.register(
        "sso",
        client_id=cfg["SSO_CLIENT_ID"],
        client_secret=cfg["SSO_CLIENT_SECRET"] or None,
        server_metadata_url=f"{cfg['SSO_ISSUER']}/.well-known/openid-configuration",
        client_kwargs={
            "scope": cfg["SSO_SCOPES"],
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if cfg["SSO_CLIENT_SECRET"] else "none",
            "default_timeout": cfg["SSO_TIMEOUT_SECONDS"],
        },
    )
    app.extensions[_EXTENSION] = oauth


def client():
    """The app's Authlib client (only when :func:`enabled`)."""
    return current_app.extensions[_EXTENSION].sso


def _id_token_class():
    from authlib.oidc.core import CodeIDToken

    class IDToken(CodeIDToken):
        """Authlib's checks of an ID token from the code flow, against the app's clock."""

        def validate(self, now=None, leeway=0):
            super().validate(now=int(now_utc().timestamp()), leeway=leeway)

    return IDToken


def token_checks() -> dict:
    """Keyword arguments for ``authorize_access_token``: every ID-token check switched on.

    Authlib compares only the issuer unless told; the audience must be this client, and the
    expiry, issue time and nonce must be present (the nonce is matched to the session's)."""
    cfg = current_app.config
    return {
        "claims_options": {
            "iss": {"essential": True, "value": cfg["SSO_ISSUER"]},
            "aud": {"essential": True, "value": cfg["SSO_CLIENT_ID"]},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True},
        },
        "claims_cls": _id_token_class(),
        "leeway": cfg["SSO_CLOCK_LEEWAY"],
    }


def nip_from_claims(claims: dict) -> str:
    """The NIP named by ``SSO_NIP_CLAIM``, normalised like a typed one ('' when absent)."""
    value = claims.get(current_app.config["SSO_NIP_CLAIM"])
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return normalize_login_id(value)


def sign_in(claims: dict, *, ip: str | None, user_agent: str | None) -> LoginOutcome:
    """The roster's person named by the verified claims, with a new login session; raises
    :class:`SsoRefused` (audited) when the claims name nobody who may enter."""
    subject = str(claims.get("sub", ""))[:120]
    nip = nip_from_claims(claims)
    if not nip:
        refuse("no_nip", subject=subject)
        raise SsoRefused(NO_NIP, "no_nip")
    person = db.session.scalar(select(Person).where(Person.nip == nip, Person.purged_at.is_(None)))
    if person is None or not person.active:
        reason = "unknown_nip" if person is None else "inactive"
        refuse(reason, person=person, nip=nip, subject=subject)
        raise SsoRefused(UNKNOWN_PERSON, reason)
    # The provider authenticated them: the password-guessing counters and lock do not apply.
    person.failed_logins = 0
    person.lock_count = 0
    person.locked_until = None
    # Nothing to hand over on paper any more, and nothing to change first.
    person.initial_password_enc = None
    person.initial_password_at = None
    person.must_change_password = False
    person.last_login_at = now_utc()
    session = start_session(person, ip=ip, user_agent=user_agent)
    audit.record(person, "auth.login", f"person:{person.id}", via="sso", subject=subject, ip=(ip or "")[:64])
    return LoginOutcome(person=person, session=session)


def refuse(reason: str, *, person: Person | None = None, nip: str = "", subject: str = "",
           via: str = "sso") -> None:
    """Audit a refused login (SSO answer not accepted, or a password where SSO is required)."""
    target = f"person:{person.id}" if person is not None else "login:sso"
    details = {"reason": reason, "via": via}
    if nip and person is None:
        details["nip"] = nip[:32]
    if subject:
        details["subject"] = subject
    audit.record(None, "auth.login_failed", target, **details)


def staff_must_use_sso(person: Person) -> bool:
    """Staff whose deployment (``SSO_REQUIRED_FOR_STAFF``) or instansi requires the SSO."""
    if not (enabled() and person.is_staff):
        return False
    if current_app.config["SSO_REQUIRED_FOR_STAFF"]:
        return True
    instansi = db.session.get(Unit, person.unit.root_id)
    return bool(instansi is not None and instansi.sso_required_for_staff)


def closed_to_password(login_id: str) -> Person | None:
    """The active staff member this typed login names when they must use the SSO (no password:
    the same refusal whether the password was right or not), else None."""
    if not enabled():
        return None
    key = normalize_login_id(login_id or "")
    person = db.session.scalar(select(Person).where(Person.nip == key, Person.purged_at.is_(None))) if key else None
    return person if person is not None and person.active and staff_must_use_sso(person) else None


def set_required_for_staff(actor: Person, instansi: Unit, required: bool) -> Unit:
    """An admin requires (or stops requiring) the SSO for the staff of an instansi they manage."""
    require_administered(actor, instansi)
    before = instansi.sso_required_for_staff
    instansi.sso_required_for_staff = bool(required)
    db.session.flush()
    audit.record(actor, "sso.required_for_staff", f"unit:{instansi.id}",
                 changes={"sso_required_for_staff": [before, bool(required)]})
    return instansi


def refuse_password_login(person: Person) -> LoginOutcome:
    """A staff member's password where SSO is required: audited, no session, nothing counted."""
    refuse("sso_required", person=person, via="password")
    return LoginOutcome(error=SSO_REQUIRED)


def logout_url(id_token: str | None) -> str | None:
    """The provider's end-session address for an SSO login when ``SSO_END_SESSION`` is on and
    the discovery document names one (None otherwise)."""
    cfg = current_app.config
    if not (enabled() and cfg["SSO_END_SESSION"] and id_token):
        return None
    from flask import url_for
    from requests import RequestException

    sso = client()
    try:
        if not sso.load_server_metadata().get("end_session_endpoint"):
            return None
    except (RequestException, ValueError):  # provider unreachable: the local logout still holds
        return None

    after = cfg["SITE_URL"].rstrip("/") + url_for("accounts.login")
    return sso.create_logout_url(post_logout_redirect_uri=after, id_token_hint=id_token)["url"]
