"""Security headers on every response, written once for Flask's hook and for stored pages."""
from __future__ import annotations

from flask import Flask
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
        if "Cache-Control" not in headers and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
        return response
