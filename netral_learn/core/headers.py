"""Security headers on every response, set by one after_request hook."""
from __future__ import annotations

import hashlib
import time

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_login import current_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def security_headers(config) -> list[tuple[str, str]]:
    """The headers every page carries (HSTS only when cookies are HTTPS-only, i.e. behind TLS)."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if config["SESSION_COOKIE_SECURE"]:
        hsts = "max-age=31536000"
        if config.get("HSTS_INCLUDE_SUBDOMAINS"):
            hsts += "; includeSubDomains"
        headers.append(("Strict-Transport-Security", hsts))
    return headers


def install(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        for name, value in security_headers(app.config):
            headers.setdefault(name, value)
        # current_user only when needed: reading it loads the login, which a response that set its
        # own caching (a static file) does not need.
        if request.endpoint == "accounts.logout":  # nothing of the session stays in the browser
            headers.setdefault("Clear-Site-Data", '"cache", "storage"')
        if "Cache-Control" not in headers and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
        return response


def reloadable(page: str) -> Response:
    """A learner page a slow connection need not download again on a reload: ``private, no-cache``
    with an ETag over the page as rendered (its CSRF token set aside: a new one is signed on every
    render), answered ``304`` by Flask itself — after the login and every hook — when the browser
    holds the same page. The ETag also names the session's CSRF secret (a copy from another login
    in this browser never matches) and the quarter of the token's lifetime it was made in, so a
    copy the browser keeps never carries a token older than that."""
    response = make_response(page)
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT") or 0
    window = int(time.time() // max(limit // 4, 1)) if limit else 0
    body = page.replace(token, "") if isinstance(token, str) and token else page
    response.set_etag(hashlib.sha256(f"{session.get(field)}\0{window}\0{body}".encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response.make_conditional(request)
