"""Configuration read from the environment (and ``.env``), with safe embedded defaults.

``APP_ENV`` selects the mode: ``development`` (the default, SQLite in ``instance/``),
``production`` (PostgreSQL, secure cookies, every secret required) or ``testing``.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

#: OWASP Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
ARGON2_OWASP_MIN = {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}


class ConfigError(RuntimeError):
    """The settings cannot run the app; the message says which one and why."""



def _cookie_name(name: str, secure: bool) -> str:
    return f"__Host-{name}" if secure else name

def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ya"}


def _int(env, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} harus berupa bilangan bulat, bukan {raw!r}") from exc


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def site_url(env) -> str:
    """The address printed on slips, documents and QR codes: ``SITE_URL``, or else the ``HOST`` and
    ``PORT`` the development server listens on (a wildcard host becomes this machine's name)."""
    explicit = (env.get("SITE_URL") or "").strip()
    if explicit:
        return explicit.rstrip("/")
    host = (env.get("HOST") or "127.0.0.1").strip()
    if host in {"0.0.0.0", "::", "[::]"}:
        import socket

        host = socket.gethostname()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = str(_int(env, "PORT", 5000))
    return f"http://{host}" + ("" if port == "80" else f":{port}")


def _dev_secret_key(instance_path: Path) -> str:
    """A random key made once per development checkout and kept in ``instance/``.

    Not a fallback: production refuses to start without ``SECRET_KEY``.
    """
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings(instance_path: Path, env=None) -> dict:
    """Return the Flask config mapping built from ``env`` (default: the process environment)."""
    if env is None:
        load_dotenv(Path.cwd() / ".env")
        env = os.environ
    mode = env.get("APP_ENV", "development").strip().lower()
    if mode not in {"development", "production", "testing"}:
        raise ConfigError("APP_ENV harus development, production atau testing")
    production = mode == "production"

    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY wajib diisi di mode production (tidak ada nilai bawaan).")
        secret_key = _dev_secret_key(instance_path)
    elif production and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY terlalu pendek: gunakan paling sedikit 32 karakter acak.")

    database_url = env.get("DATABASE_URL", "")
    if not database_url:
        if production:
            raise ConfigError("DATABASE_URL wajib diisi di mode production (PostgreSQL).")
        database_url = f"sqlite:///{instance_path / 'netral_learn.db'}"
    database_url = normalize_database_url(database_url)
    if production and database_url.startswith("sqlite"):
        raise ConfigError("Mode production memerlukan PostgreSQL, bukan SQLite.")

    trusted_hosts = [h.strip() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    if production and not trusted_hosts:
        raise ConfigError("TRUSTED_HOSTS wajib diisi di mode production (mis. netral.example.go.id).")

    settings = {
        "APP_ENV": mode,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url, env),
        "TRUSTED_HOSTS": trusted_hosts or None,
        # Cookies: HttpOnly + SameSite=Lax always, Secure behind HTTPS in production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        # Behind HTTPS the names carry the __Host- prefix: the browser then refuses the cookie unless
        # it is Secure, for this host only and for every path (ASVS 5.0 V3.3.1, V3.3.3).
        "SESSION_COOKIE_NAME": _cookie_name("netral_session", _bool(env.get("SESSION_COOKIE_SECURE"), production)),
        "REMEMBER_COOKIE_NAME": _cookie_name("netral_remember", _bool(env.get("SESSION_COOKIE_SECURE"), production)),
        # HSTS (sent when cookies are HTTPS-only) also for every subdomain of the site's host; on by
        # default in production: turn off only while some subdomain still serves plain HTTP.
        "HSTS_INCLUDE_SUBDOMAINS": _bool(env.get("HSTS_INCLUDE_SUBDOMAINS"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * _int(env, "REMEMBER_DAYS", 14),
        #: Reverse proxies in front of the app whose X-Forwarded-For / -Proto are believed (0: none,
        #: the address is the connection's; 1 behind one nginx). Audit entries and per-address
        #: limits use the address this yields.
        "TRUSTED_PROXY_COUNT": _int(env, "TRUSTED_PROXY_COUNT", 0),
        #: Server-side login sessions end after this many hours whatever the cookie says.
        "LOGIN_SESSION_HOURS": _int(env, "LOGIN_SESSION_HOURS", 12),
        # With Redis: how long a login (person and unit) may be served from Redis without reading the
        # database; changes made through the app end it at once, direct SQL within this time. 0: off.
        "LOGIN_CACHE_SECONDS": _int(env, "LOGIN_CACHE_SECONDS", 300),
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * _int(env, "LOGIN_SESSION_HOURS", 12),
        # The cookie expires with the server-side session; re-signing it on every response extends nothing.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Request limits: the largest legitimate body is a roster file.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": _int(env, "CSRF_TIME_LIMIT_SECONDS", 4 * 3600),
        "WTF_CSRF_SSL_STRICT": production,
        # Password hashing (argon2id); never below OWASP's minimum, checked below.
        "ARGON2_MEMORY_KIB": _int(env, "ARGON2_MEMORY_KIB", ARGON2_OWASP_MIN["memory_cost"]),
        "ARGON2_TIME_COST": _int(env, "ARGON2_TIME_COST", ARGON2_OWASP_MIN["time_cost"]),
        "ARGON2_PARALLELISM": _int(env, "ARGON2_PARALLELISM", ARGON2_OWASP_MIN["parallelism"]),
        # Login throttling (accounts/throttle.py): N failures from one address lock that address out
        # of the account, doubling each time; failures from all addresses together lock the account
        # itself, briefly; failed logins per address are limited whatever the accounts.
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "FIRST_PASSWORD_DAYS": max(1, _int(env, "FIRST_PASSWORD_DAYS", 14)),
        "ACTIVATION_LINK_HOURS": max(1, _int(env, "ACTIVATION_LINK_HOURS", 72)),
        "LOGIN_ACCOUNT_MAX_FAILURES": _int(env, "LOGIN_ACCOUNT_MAX_FAILURES", 20),
        "LOGIN_ACCOUNT_LOCK_MINUTES": _int(env, "LOGIN_ACCOUNT_LOCK_MINUTES", 15),
        "LOGIN_ADDRESS_FAILURE_LIMIT": env.get("LOGIN_ADDRESS_FAILURE_LIMIT", "100/minute;1000/hour"),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # Redis down: count in this process meanwhile, go back to Redis once it answers again.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2} if env.get("REDIS_URL") else {},
        "RATELIMIT_HEADERS_ENABLED": True,
        # /api/v1: requests per token, and rejected tokens per address (flask-limiter syntax).
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "120/minute"),
        "API_AUTH_FAILURE_LIMIT": env.get("API_AUTH_FAILURE_LIMIT", "30/minute"),
        # Report figures: recount queued after N s, done before showing after M s; the daily line every H s.
        "REPORT_REFRESH_AFTER": _int(env, "REPORT_REFRESH_AFTER", 30),
        "REPORT_MAX_AGE": _int(env, "REPORT_MAX_AGE", 60),
        "REPORT_HISTORY_MAX_AGE": _int(env, "REPORT_HISTORY_MAX_AGE", 600),
        "SITE_URL": site_url(env),
        #: How many app servers share STORAGE_DIR (flask doctor then requires shared storage).
        "APP_SERVERS": _int(env, "APP_SERVERS", 1),
        "SITE_NAME": env.get("SITE_NAME", "Netral Learn"),
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Makassar",
        "LANGUAGES": ["id", "en"],
        "STORAGE_DIR": env.get("STORAGE_DIR", str(instance_path / "storage")),
        # The instansi's document-signing key (PAdES) and the CA that issued it.
        "SIGNING_PKCS12_PATH": env.get("SIGNING_PKCS12_PATH", ""),
        "SIGNING_PKCS12_PASSWORD": env.get("SIGNING_PKCS12_PASSWORD"),
        "SIGNING_CA_PATH": env.get("SIGNING_CA_PATH", ""),
        "PER_PAGE": 50,
        # Optional e-mail (reminders from the follow-up page); empty SMTP_HOST turns sending off.
        "SMTP_HOST": env.get("SMTP_HOST", "").strip(),
        "SMTP_PORT": _int(env, "SMTP_PORT", 587),
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": env.get("SMTP_FROM", "").strip(),
        "SMTP_TLS": _smtp_tls(env.get("SMTP_TLS")),
        # Login through the national ASN SSO (OpenID Connect, docs/sso.md); off while SSO_ISSUER is empty.
        "SSO_ISSUER": env.get("SSO_ISSUER", "").strip().rstrip("/"),
        "SSO_CLIENT_ID": env.get("SSO_CLIENT_ID", "").strip(),
        "SSO_CLIENT_SECRET": env.get("SSO_CLIENT_SECRET", ""),
        "SSO_SCOPES": env.get("SSO_SCOPES", "openid profile").strip() or "openid profile",
        "SSO_NIP_CLAIM": env.get("SSO_NIP_CLAIM", "nip").strip() or "nip",
        "SSO_BUTTON_LABEL": env.get("SSO_BUTTON_LABEL", "").strip(),
        "SSO_REQUIRED_FOR_STAFF": _bool(env.get("SSO_REQUIRED_FOR_STAFF"), False),
        "SSO_END_SESSION": _bool(env.get("SSO_END_SESSION"), True),
        #: Seconds of clock difference tolerated on the ID token's exp/iat (Authlib's leeway).
        "SSO_CLOCK_LEEWAY": max(0, _int(env, "SSO_CLOCK_LEEWAY", 60)),
        "SSO_TIMEOUT_SECONDS": max(1, _int(env, "SSO_TIMEOUT_SECONDS", 10)),
    }
    if settings["SSO_ISSUER"] and not settings["SSO_CLIENT_ID"]:
        raise ConfigError("SSO_CLIENT_ID wajib diisi bila SSO_ISSUER diisi.")
    if production and settings["SSO_ISSUER"] and not settings["SSO_ISSUER"].startswith("https://"):
        raise ConfigError("SSO_ISSUER harus alamat https:// di mode production.")
    if production and not (settings["SIGNING_PKCS12_PATH"] and Path(settings["SIGNING_PKCS12_PATH"]).is_file()):
        raise ConfigError("SIGNING_PKCS12_PATH wajib menunjuk berkas PKCS#12 kunci penandatangan di mode production.")
    if mode == "testing":
        settings["TESTING"] = True
    _check_argon2(settings)
    return settings


def _smtp_tls(value: str | None) -> str:
    """SMTP_TLS as 'starttls' (the default), 'ssl' (implicit TLS, port 465) or 'none'."""
    raw = (value or "starttls").strip().lower()
    if raw in {"starttls", "1", "true", "yes", "on", "ya"}:
        return "starttls"
    if raw in {"ssl", "tls", "implicit"}:
        return "ssl"
    if raw in {"none", "0", "false", "no", "off", "tidak"}:
        return "none"
    raise ConfigError("SMTP_TLS harus starttls, ssl atau none")


def _engine_options(url: str, env) -> dict:
    if url.startswith("sqlite"):
        # A SQLite connection is a file handle: cheap. Size the pool to the server's concurrency
        # (the development server starts a thread per request) so a burst never waits for a
        # connection; writers queue for their turn instead (core/sqlite.py).
        return {"connect_args": {"timeout": 30, "check_same_thread": False},
                "pool_size": _int(env, "SQLITE_POOL_SIZE", 20), "max_overflow": _int(env, "SQLITE_MAX_OVERFLOW", 80),
                "pool_timeout": 30}
    return {
        "pool_pre_ping": True,  # recover by itself after a database restart
        # An unreachable server fails the request (503 page) after this long instead of hanging.
        "connect_args": {"connect_timeout": _int(env, "DB_CONNECT_TIMEOUT", 5)},
        "pool_size": _int(env, "DB_POOL_SIZE", 5),
        "max_overflow": _int(env, "DB_MAX_OVERFLOW", 5),
        "pool_recycle": 1800,
    }


def _check_argon2(settings: dict) -> None:
    if (
        settings["ARGON2_MEMORY_KIB"] < ARGON2_OWASP_MIN["memory_cost"]
        or settings["ARGON2_TIME_COST"] < ARGON2_OWASP_MIN["time_cost"]
        or settings["ARGON2_PARALLELISM"] < ARGON2_OWASP_MIN["parallelism"]
    ):
        raise ConfigError(
            "Parameter argon2 di bawah minimum OWASP (memori 19456 KiB, iterasi 2, paralelisme 1)."
        )
