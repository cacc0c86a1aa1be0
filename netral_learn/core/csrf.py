"""CSRF checks for the one form that must work on a page of any age: logging out.

Every other form keeps Flask-WTF's token with its time limit (``CSRF_TIME_LIMIT_SECONDS``). Logout
is exempt from the time limit only: it is accepted with this session's token of any age, or
from a request the browser marks as coming from this site (``Origin``, ``Sec-Fetch-Site``). A
request with neither — a form on another site — gets a confirmation page instead, so a forced
logout needs a click by the person themselves.
"""
from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import current_app, request, session
from itsdangerous import BadData, URLSafeTimedSerializer


def token_matches_any_age(token: str | None) -> bool:
    """Is ``token`` a CSRF token this app signed for this session, however old?"""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if not token or field not in session:
        return False
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    try:
        raw = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(token)
    except BadData:
        return False
    return isinstance(raw, str) and hmac.compare_digest(session[field], raw)


def logout_allowed(token: str | None) -> bool:
    """May this POST log the person out without asking (see the module docstring)?"""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True  # CSRF protection switched off (the test client), as for every other form
    return token_matches_any_age(token) or from_this_site()


def from_this_site() -> bool:
    """Does the browser say this request comes from a page of this site?"""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin") or request.referrer
    if not origin or origin == "null":
        return False
    return urlsplit(origin).netloc == request.host
