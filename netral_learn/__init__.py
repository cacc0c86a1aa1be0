"""Netral Learn: political-neutrality learning, pledge and certificates for Indonesian ASN."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import load_settings
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

#: Pages a person who must change their password may still open.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {
    "accounts.change_password", "accounts.logout", "static", "main.set_language",
    "main.health", "main.ready", "privacy.notice",
}


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers, CLI."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from .core import ids

    ids.install(app)  # bounded <int:…> ids, before any blueprint adds a rule
    settings = load_settings(Path(app.instance_path), env=(overrides or {}).get("ENV_MAPPING"))
    app.config.update(settings)
    if overrides:
        app.config.update({k: v for k, v in overrides.items() if k != "ENV_MAPPING"})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _trust_proxy(app)
    _configure_logging(app)
    _register_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _register_template_helpers(app)
    _register_cli(app)
    from .core.errors import register_error_handlers

    register_error_handlers(app)
    return app


def _trust_proxy(app: Flask) -> None:
    """Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (nginx: 1), take the client's address and scheme from
    the headers they set (X-Forwarded-For/-Proto), so rate limits and the audit see people, not the
    proxy. Only that many hops are trusted: a client cannot forge its address through them."""
    hops = app.config["TRUSTED_PROXY_COUNT"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _configure_logging(app: Flask) -> None:
    """JSON lines in production (for log shippers), readable lines in development."""
    from .core import logs

    if not app.testing:
        logs.configure(json_lines=app.config["APP_ENV"] == "production")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL for concurrent readers (SQLite only)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_in_transaction(connection, name):
    """pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT taken before
    any write would run outside one and its RELEASE would commit at once (a later failure could
    not roll the row back). Open the transaction first — IMMEDIATE, taking the write lock now and
    waiting for it (busy_timeout), rather than a deferred BEGIN whose later upgrade to a writer
    fails at once when another request committed in between (WAL "busy snapshot"). Reads outside
    savepoints stay in pysqlite's default mode, so concurrent requests do not queue on them."""
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _register_extensions(app: Flask) -> None:
    from .accounts import login_cache
    from .core import sqlite  # noqa: F401 - the SQLite writer queue's engine events
    from .core.i18n import select_locale
    from .core.types import render_migration_item

    db.init_app(app)
    login_cache.install()
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True, render_item=render_migration_item)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "translations"))
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    from .accounts import sso

    sso.init_app(app)

    @login_manager.user_loader
    def _load(token: str):
        from flask import session

        from .accounts.services import load_session

        person_id = session.get(login_cache.PERSON_IN_COOKIE)
        person = load_session(token, person_id)
        if person is not None and person_id != person.id:
            session[login_cache.PERSON_IN_COOKIE] = person.id  # the next request finds the copy in one round trip
        return person


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .api.admin_views import bp as api_admin_bp
    from .api.views import bp as api_bp
    from .auditlog.views import bp as auditlog_bp
    from .certificates.views import bp as certificates_bp
    from .courses.views import bp as courses_bp
    from .main.views import bp as main_bp
    from .pact.views import bp as pact_bp
    from .pledge.views import bp as pledge_bp
    from .privacy.views import bp as privacy_bp
    from .quiz.views import bp as quiz_bp
    from .reports.views import bp as reports_bp
    from .verify.views import bp as verify_bp

    for blueprint in (main_bp, accounts_bp, courses_bp, quiz_bp, pact_bp, certificates_bp, reports_bp, pledge_bp,
                      verify_bp, api_bp, api_admin_bp, privacy_bp, auditlog_bp):
        app.register_blueprint(blueprint)


def _register_hooks(app: Flask) -> None:
    from .core import headers, static_files

    static_files.install(app)

    # Looks at the request before current_user: reading it loads the login session, which a static
    # file does not need.
    @app.before_request
    def _force_password_change():
        if (
            request.endpoint not in _ALLOWED_BEFORE_PASSWORD_CHANGE
            and current_user.is_authenticated
            and current_user.must_change_password
        ):
            return redirect(url_for("accounts.change_password"))
        return None

    headers.install(app)


def _register_template_helpers(app: Flask) -> None:
    from .core import i18n

    app.jinja_env.add_extension("jinja2.ext.do")

    @app.template_filter("tanggal")
    def _tanggal(value):
        return i18n.format_date_id(value)

    @app.template_filter("durasi")
    def _durasi(seconds):
        return i18n.format_duration(seconds)

    @app.template_filter("angka")
    def _angka(value, decimals: int = 0):
        return i18n.format_number(value, decimals)

    @app.template_filter("persen")
    def _persen(value):
        return i18n.format_percent(value)

    @app.template_filter("waktu")
    def _waktu(value):
        person = current_user if current_user.is_authenticated else None
        return i18n.format_datetime_local(value, person)

    @app.context_processor
    def _globals():
        from flask_babel import get_locale

        return {"site_name": app.config["SITE_NAME"], "current_locale": str(get_locale()),
                "endpoints": app.view_functions}


def _register_cli(app: Flask) -> None:
    from .accounts.cli import register as register_accounts
    from .backup.cli import register as register_backup
    from .auditlog.cli import register as register_auditlog
    from .certificates.cli import register as register_certificates
    from .courses.cli import register as register_courses
    from .demo.cli import register as register_demo
    from .main.cli import register as register_main
    from .pact.cli import register as register_pact
    from .privacy.cli import register as register_privacy
    from .quiz.cli import register as register_quiz
    from .reports.cli import register as register_reports

    for register in (register_accounts, register_courses, register_quiz, register_pact, register_certificates,
                     register_reports, register_demo, register_main, register_backup, register_privacy,
                     register_auditlog):
        register(app)
