"""Login through the SSO, in Chromium, against a real OpenID Provider (panva/oidc-provider) run
locally: login, a second client, a replayed callback, an unknown NIP, an expired ID token, logout.

The app here is its own live server (SSO configured, its own SQLite file); the provider's sign-in
is the library's development interaction (any password), its accounts carry a ``nip`` claim.
"""
from __future__ import annotations

import re
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from netral_learn.accounts.models import Person
from netral_learn.core import clock
from netral_learn.core.audit import AuditEvent
from netral_learn.extensions import db

from ..conftest import make_app
from ..factories import Factory
from ..sso.provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    client,
    free_port,
    running_provider,
)
from .conftest import TIMEOUT_MS, assert_accessible

PESERTA_NIP = "199204102019032011"
NIP_NOT_ON_ROSTER = "198609262015051001"
ADMIN_NIP = "197805122003122002"


@pytest.fixture(scope="module")
def sso(tmp_root):
    """The app (SSO on) on a live server, and the provider it trusts."""
    from flask_migrate import upgrade

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    accounts = {
        # The NIP as the personnel system may send it: grouped with spaces.
        "dewi": {"nip": "19920410 201903 2 011", "name": "Dewi Lestari"},
        "asing": {"nip": NIP_NOT_ON_ROSTER, "name": "Bukan Pegawai Sini"},
        "admin": {"nip": ADMIN_NIP, "name": "Admin BKPSDM"},
    }
    clients = [client(CLIENT_ID, CLIENT_SECRET, url), client(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, url)]
    folder = tmp_root / "browser-sso"
    folder.mkdir(exist_ok=True)
    with running_provider(clients=clients, accounts=accounts) as issuer:
        app = make_app(tmp_root, WTF_CSRF_ENABLED=True, env={
            "DATABASE_URL": f"sqlite:///{folder / 'sso.db'}", "STORAGE_DIR": str(folder / "storage"),
            "SITE_URL": url, "SSO_ISSUER": issuer, "SSO_CLIENT_ID": CLIENT_ID,
            "SSO_CLIENT_SECRET": CLIENT_SECRET, "SSO_SCOPES": "openid profile nip",
        })
        with app.app_context():
            upgrade()
            db.session.remove()
        factory = Factory(app)
        unit = factory.unit("Pemerintah Kabupaten Uji")
        # A participant who never logged in: a first password waiting on a slip, to be changed.
        person = factory.person(unit, nip=PESERTA_NIP, name="Dewi Lestari", password=None)
        # An admin who never activated a password (activation link not used yet).
        factory.person(unit, nip=ADMIN_NIP, name="Admin BKPSDM", role="admin", scope=unit, password=None,
                       must_change_password=True)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-sso", daemon=True)
        thread.start()
        try:
            yield SimpleNamespace(url=url, issuer=issuer, app=app, person=person)
        finally:
            server.shutdown()
            thread.join(timeout=5)
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def browser_context(chromium, sso):
    context = chromium.new_context(base_url=sso.url, locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    # The provider's development pages import a web font; nothing leaves this machine.
    context.route("https://**", lambda route: route.abort())
    yield context
    context.close()


def _start(page, sso) -> None:
    page.goto("/masuk")
    assert_accessible(page)
    page.get_by_role("link", name="Masuk dengan SSO ASN").click()
    page.wait_for_url(f"{sso.issuer}/**")


def _sign_in_at_provider(page, login: str) -> None:
    """The provider's own login and consent pages (development interactions)."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("sandi-apa-saja")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()


def _events(sso, action: str) -> list[AuditEvent]:
    with sso.app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.seq)))
        db.session.remove()
        return rows


def test_sso_login_reaches_home_without_password_change_and_replay_is_refused(browser_context, sso):
    """Does a rostered participant enter by SSO straight to their home page (no first password to
    change, none left for a slip), and is the same callback URL refused when replayed?"""
    page = browser_context.new_page()
    _start(page, sso)
    with page.expect_request(lambda request: "/masuk/sso/kembali" in request.url) as callback:
        _sign_in_at_provider(page, "dewi")
    page.wait_for_url(f"{sso.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang, Dewi Lestari")
    assert_accessible(page)
    with sso.app.app_context():
        person = db.session.get(Person, sso.person.id)
        assert (person.must_change_password, person.initial_password_enc) == (False, None)
        db.session.remove()
    assert [event.target for event in _events(sso, "auth.login")][-1] == f"person:{sso.person.id}"

    page.goto(callback.value.url)  # the same code and state again, in the same browser
    expect(page.get_by_role("heading", level=1)).to_have_text("Tidak dapat masuk melalui SSO")
    expect(page.get_by_role("alert")).to_contain_text("tidak dapat diverifikasi")
    assert_accessible(page)
    other = browser_context.browser.new_context(base_url=sso.url)
    try:  # and in another browser that never started a login
        replay = other.new_page()
        response = replay.goto(callback.value.url)
        assert response.status == 400
    finally:
        other.close()


def test_unknown_nip_is_refused_with_an_indonesian_page(browser_context, sso):
    """Is a person whose SSO account names a NIP not on the roster refused, told why in Indonesian,
    and the refusal audited (nobody is created)?"""
    page = browser_context.new_page()
    _start(page, sso)
    with page.expect_response(lambda response: "/masuk/sso/kembali" in response.url) as answer:
        _sign_in_at_provider(page, "asing")
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("tidak terdaftar sebagai peserta aktif")
    assert_accessible(page)
    refused = _events(sso, "auth.login_failed")[-1]
    assert '"reason":"unknown_nip"' in refused.details and NIP_NOT_ON_ROSTER in refused.details
    with sso.app.app_context():
        assert db.session.scalar(select(Person).where(Person.nip == NIP_NOT_ON_ROSTER)) is None
        db.session.remove()
    page.goto("/")
    page.wait_for_url("**/masuk**")  # no session


def test_login_for_another_client_is_refused(browser_context, sso):
    """Is an authorization answered for another client of the same provider (the app's request
    rewritten to a client id it is not configured for) refused?"""
    page = browser_context.new_page()

    def other_client(route):  # the app's redirect to the provider, with the other client's id
        response = route.fetch(max_redirects=0)
        headers = {**response.headers, "location": response.headers["location"].replace(
            f"client_id={CLIENT_ID}&", f"client_id={OTHER_CLIENT_ID}&")}
        route.fulfill(response=response, headers=headers)

    page.route(re.compile(r"/masuk/sso$"), other_client)
    _start(page, sso)
    with page.expect_response(lambda response: "/masuk/sso/kembali" in response.url) as answer:
        _sign_in_at_provider(page, "dewi")
    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("tidak dapat diverifikasi")
    assert_accessible(page)
    # The provider will not hand the other client's code to this one.
    assert '"reason":"invalid_grant"' in _events(sso, "auth.login_failed")[-1].details
    page.goto("/")
    page.wait_for_url("**/masuk**")


def test_expired_id_token_is_refused(browser_context, sso):
    """Is an ID token past its expiry (the app's clock two hours ahead of the provider's; the
    provider's ID tokens live ten minutes) refused?"""
    page = browser_context.new_page()
    _start(page, sso)
    clock.freeze(clock.now_utc() + timedelta(hours=2))
    with page.expect_response(lambda response: "/masuk/sso/kembali" in response.url) as answer:
        _sign_in_at_provider(page, "dewi")
    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("tidak dapat diverifikasi")
    assert '"reason":"expired_token"' in _events(sso, "auth.login_failed")[-1].details


def test_logout_ends_the_local_and_the_provider_session(browser_context, sso):
    """Does logging out end the app's session and then the provider's (the next SSO login asks
    for the provider's sign-in again)?"""
    page = browser_context.new_page()
    _start(page, sso)
    _sign_in_at_provider(page, "dewi")
    page.wait_for_url(f"{sso.url}/")
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(f"{sso.issuer}/session/end**")  # the app's page sent the browser on
    assert "id_token_hint=" in page.url and "post_logout_redirect_uri=" in page.url
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{sso.url}/masuk**")
    assert_accessible(page)
    page.goto("/")
    page.wait_for_url("**/masuk**")  # the local session is gone
    page.get_by_role("link", name="Masuk dengan SSO ASN").click()
    page.wait_for_url(f"{sso.issuer}/**")
    expect(page.locator("input[name=login]")).to_be_visible()  # and the provider's too


def test_admin_enters_by_sso_and_requires_it_for_their_staff(browser_context, sso):
    """Does an admin who never set a password enter by SSO (no activation, no password change) and
    require the SSO for their instansi's staff from the Unit Kerja page?"""
    page = browser_context.new_page()
    _start(page, sso)
    _sign_in_at_provider(page, "admin")
    page.wait_for_url(f"{sso.url}/**")
    page.get_by_role("link", name="Unit Kerja", exact=True).click()
    expect(page.get_by_role("heading", name="Login SSO untuk pengelola")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Wajibkan SSO").click()
    expect(page.get_by_role("status")).to_contain_text("wajib masuk melalui SSO")
    expect(page.get_by_role("button", name="Cabut kewajiban SSO")).to_be_visible()
    assert_accessible(page)
