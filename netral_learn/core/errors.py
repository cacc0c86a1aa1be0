"""Domain errors raised by services, and the handlers that turn them into friendly pages."""
from __future__ import annotations

import logging

from flask import Flask, Response, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

#: Refused requests (403, 404 outside scope, bad CSRF tokens): who tried what, from where.
security_log = logging.getLogger("netral_learn.security")


class DomainError(Exception):
    """A rule of the domain refused an action; ``message`` is shown to the person."""

    status = 400
    default_message = _l("Permintaan tidak dapat diproses.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class NotAllowed(DomainError):
    """The actor's role does not permit the action."""

    status = 403
    default_message = _l("Anda tidak berwenang melakukan tindakan ini.")


class OutOfScope(DomainError):
    """The object is outside the actor's scope; reported as 'not found' so ids reveal nothing."""

    status = 404
    default_message = _l("Data tidak ditemukan.")


class InvalidInput(DomainError):
    """Input that breaks a rule; the message says which."""

    status = 400


_TITLES = {
    400: _l("Permintaan tidak valid"),
    403: _l("Akses ditolak"),
    404: _l("Halaman tidak ditemukan"),
    405: _l("Metode tidak diizinkan"),
    413: _l("Berkas terlalu besar"),
    429: _l("Terlalu banyak permintaan"),
    500: _l("Terjadi kesalahan"),
    503: _l("Layanan sedang tidak tersedia"),
}
_MESSAGES = {
    400: _l("Permintaan tidak dapat diproses. Muat ulang halaman lalu coba lagi."),
    403: _l("Anda tidak memiliki akses ke halaman ini."),
    404: _l("Halaman atau data yang Anda cari tidak ada."),
    405: _l("Halaman ini tidak menerima cara pengiriman tersebut."),
    413: _l("Ukuran berkas melebihi batas %(mb)d MB. Perkecil berkas atau bagi menjadi beberapa bagian."),
    429: _l("Terlalu banyak percobaan dalam waktu singkat. Tunggu sebentar lalu coba lagi."),
    500: _l("Terjadi kesalahan di server. Tidak ada data yang berubah; silakan coba lagi."),
    503: _l("Layanan sedang tidak tersedia. Silakan coba beberapa saat lagi."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(status: int, message=None):
    from flask import current_app, jsonify

    if message is None:
        message = _MESSAGES.get(status, _MESSAGES[500])
        if status == 413:
            message = _l(
                "Ukuran berkas melebihi batas %(mb)d MB. Perkecil berkas atau bagi menjadi "
                "beberapa bagian.",
                mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
            )
    if _wants_json():
        return jsonify(error=str(message), status=status), status
    if request_ctx.url_adapter is None:  # e.g. an untrusted Host header: no URLs can be built
        return Response(str(message), status=status, mimetype="text/plain")
    title = _TITLES.get(status, _TITLES[500])
    return render_template("errors/error.html", status=status, title=title, message=message), status


def log_refusal(status: int, reason: str = "scope") -> None:
    """A refused request (out of scope, not allowed, a bad CSRF token) in the security log: who, from
    where, what. The path is written quoted (%r), so no request can add a line of its own."""
    from flask_login import current_user

    user = current_user.id if getattr(current_user, "is_authenticated", False) else None
    security_log.warning("refused %s %s %s %r user=%s ip=%s", status, reason, request.method, request.path, user,
                         request.remote_addr)


def register_error_handlers(app: Flask) -> None:
    from .. import extensions
    from . import faults

    faults.install(app)

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        extensions.db.session.rollback()
        if error.status in (403, 404):
            log_refusal(error.status)
        return render_error(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code and error.code < 400:
            return error
        part = faults.unavailable_part(getattr(error, "original_exception", None))
        if part:  # raised outside a view (e.g. in an after_request hook)
            return faults.unavailable_response(part, error.original_exception)
        message = None
        if error.code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            message = _l("Sesi formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi.")
            log_refusal(400, "csrf")
        elif error.code == 403:
            log_refusal(403)
        response = make_response(render_error(error.code or 500, message))
        for name, value in error.get_headers():  # Allow on 405, Retry-After on 429/503, …
            if name.lower() != "content-type":
                response.headers.setdefault(name, value)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        part = faults.unavailable_part(error)
        if part:  # database, Redis or disk space briefly unavailable: 503, not a bug
            return faults.unavailable_response(part, error)
        app.logger.exception("unhandled error on %s", request.path)
        extensions.db.session.rollback()
        return render_error(500)
