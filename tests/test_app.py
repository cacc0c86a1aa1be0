"""App-wide behaviour: production settings, CSRF, security headers, health, error pages."""
import pytest

from netral_learn import create_app
from netral_learn.config import ConfigError

from .conftest import TEST_SECRET, make_app


def production_env(**changes):
    import tempfile
    from pathlib import Path

    key_file = Path(tempfile.gettempdir()) / "netral-test-signing.p12"
    key_file.write_bytes(b"placeholder key file")
    env = {"APP_ENV": "production", "SECRET_KEY": TEST_SECRET, "DATABASE_URL": "postgresql://u@h/db",
           "TRUSTED_HOSTS": "netral.example.go.id", "SIGNING_PKCS12_PATH": str(key_file)}
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


@pytest.mark.parametrize("changes, words", [
    ({"SECRET_KEY": None}, "SECRET_KEY wajib"),
    ({"SECRET_KEY": "short"}, "terlalu pendek"),
    ({"DATABASE_URL": None}, "DATABASE_URL wajib"),
    ({"DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL"),
    ({"TRUSTED_HOSTS": None}, "TRUSTED_HOSTS"),
    ({"ARGON2_MEMORY_KIB": "4096"}, "OWASP"),
    ({"SIGNING_PKCS12_PATH": None}, "SIGNING_PKCS12_PATH"),
])
def test_production_refuses_unsafe_settings(changes, words):
    """Does a production start without a secret, with SQLite, or with weak hashing refuse clearly?"""
    with pytest.raises(ConfigError, match=words):
        create_app({"ENV_MAPPING": production_env(**changes)})


def test_production_cookie_settings():
    """Are production cookies Secure, HttpOnly and SameSite=Lax, with a body limit and trusted hosts?"""
    app = create_app({"ENV_MAPPING": production_env()})
    config = app.config
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" and config["REMEMBER_COOKIE_SECURE"]
    assert config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    assert config["TRUSTED_HOSTS"] == ["netral.example.go.id"]
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    response = app.test_client().get("/healthz", headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_csrf_is_enforced(tmp_root, app, factory):
    """Is a form posted without its CSRF token refused with an Indonesian message?"""
    csrf_app = make_app(tmp_root, WTF_CSRF_ENABLED=True)
    person = factory.person(factory.unit())
    response = csrf_app.test_client().post("/masuk", data={"nip": person.nip, "password": "Kuat#Sandi-2026"})
    assert response.status_code == 400
    assert "Sesi formulir kedaluwarsa" in response.get_data(as_text=True)


def test_security_headers_and_no_store_for_logged_in_pages(client, factory, login_as):
    """Do pages carry a strict CSP and nosniff, and personal pages no-store?"""
    response = client.get("/masuk")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    login_as(factory.person(factory.unit()))
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_health_and_readiness(client):
    """Do /healthz and /readyz answer for load balancers?"""
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json["database"] == "up"


def test_not_found_page_is_friendly(client):
    """Is an unknown URL answered with an Indonesian page?"""
    response = client.get("/tidak-ada")
    assert response.status_code == 404 and "tidak ditemukan" in response.get_data(as_text=True)


def test_error_pages_keep_the_protocol_headers(client):
    """Does a 405 page (HTML or JSON) still say which methods are allowed?"""
    page = client.post("/healthz")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]
    api = client.delete("/api/v1/programs")
    assert api.status_code == 405 and api.json["status"] == 405 and "GET" in api.headers["Allow"]


@pytest.mark.parametrize("setting, expected", [
    (None, "max-age=31536000; includeSubDomains"),
    ("0", "max-age=31536000"),
])
def test_hsts_covers_subdomains_in_production_unless_turned_off(setting, expected):
    """Does production send HSTS with includeSubDomains by default, and without it when HSTS_INCLUDE_SUBDOMAINS=0?"""
    app = create_app({"ENV_MAPPING": production_env(HSTS_INCLUDE_SUBDOMAINS=setting)})
    response = app.test_client().get("/healthz", headers={"Host": "netral.example.go.id"},
                                     base_url="https://netral.example.go.id")
    assert response.headers["Strict-Transport-Security"] == expected
