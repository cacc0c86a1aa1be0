"""SSO login without a browser: the ID-token checks on real tokens from the real provider (another
client's token, a wrong nonce), the NIP claim, the staff rule, and SSO switched off."""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from joserfc.errors import InvalidClaimError
from sqlalchemy import select

from netral_learn.accounts import sso
from netral_learn.accounts.models import LoginSession, Person, Role
from netral_learn.config import ConfigError, load_settings
from netral_learn.core.audit import AuditEvent
from netral_learn.extensions import db

from ..conftest import database_url, make_app
from ..factories import Factory
from .provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    client,
    free_port,
    running_provider,
)

APP_URL = "http://127.0.0.1:5000"
NIP = "199204102019032011"


def sso_app(tmp_root, issuer: str = "http://127.0.0.1:9", **env):
    """An app on the suite's database with SSO configured for :data:`CLIENT_ID`."""
    return make_app(tmp_root, env={"DATABASE_URL": database_url(tmp_root), "SSO_ISSUER": issuer,
                                   "SSO_CLIENT_ID": CLIENT_ID, "SSO_CLIENT_SECRET": CLIENT_SECRET, **env})


def _follow_to_app(session: requests.Session, url: str, *, method: str = "GET", data=None) -> str:
    """Follow the provider's redirects; return the first address outside it (the app's callback),
    or the HTML of the page that waits for the user."""
    while True:
        response = session.request(method, url, data=data, allow_redirects=False, timeout=10)
        method, data = "GET", None
        if response.status_code not in (302, 303):
            response.raise_for_status()
            return response.text
        url = urljoin(url, response.headers["Location"])
        if url.startswith(APP_URL):
            return url


def real_tokens(issuer: str, client_id: str, secret: str, *, nonce: str) -> dict:
    """Sign in at the provider as a client would (code + PKCE S256) and return its token response."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    redirect_uri = f"{APP_URL}/masuk/sso/kembali"
    session = requests.Session()
    page = _follow_to_app(session, metadata["authorization_endpoint"] + "?" + urlencode({
        "client_id": client_id, "response_type": "code", "scope": "openid nip", "redirect_uri": redirect_uri,
        "state": "s", "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256"}))
    for fields in ({"prompt": "login", "login": "dewi", "password": "x"}, {"prompt": "consent"}):
        action = re.search(r'<form[^>]*action="([^"]+)"', page).group(1)
        page = _follow_to_app(session, urljoin(issuer, action), method="POST", data=fields)
        if page.startswith(APP_URL):
            break
    code = parse_qs(urlsplit(page).query)["code"][0]
    response = requests.post(metadata["token_endpoint"], auth=(client_id, secret), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier})
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def issuer():
    clients = [client(CLIENT_ID, CLIENT_SECRET, APP_URL), client(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, APP_URL)]
    with running_provider(clients=clients, accounts={"dewi": {"nip": NIP, "name": "Dewi"}}) as url:
        yield url


def test_id_token_checks_accept_our_token_and_refuse_another_clients(tmp_root, issuer):
    """Are a real ID token for this client accepted, and a real one the same provider issued to
    another client (wrong audience) or answered to another login (wrong nonce) refused?"""
    app = sso_app(tmp_root, issuer)
    ours = real_tokens(issuer, CLIENT_ID, CLIENT_SECRET, nonce="nonce-kita")
    theirs = real_tokens(issuer, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, nonce="nonce-kita")
    with app.test_request_context():
        checks = sso.token_checks()
        claims = sso.client().parse_id_token(ours, nonce="nonce-kita", **checks)
        assert (claims["aud"], claims["nip"]) == (CLIENT_ID, NIP)
        with pytest.raises(InvalidClaimError, match="aud"):
            sso.client().parse_id_token(theirs, nonce="nonce-kita", **checks)
        with pytest.raises(InvalidClaimError, match="nonce"):
            sso.client().parse_id_token(ours, nonce="nonce-lain", **checks)
        with app.app_context():
            db.engine.dispose()


def test_nip_claim_is_normalised_and_configurable(tmp_root):
    """Is the NIP read from the claim named by SSO_NIP_CLAIM, spaces and full-width digits
    normalised like a typed NIP?"""
    app = sso_app(tmp_root, SSO_NIP_CLAIM="nip_asn")
    with app.test_request_context():
        assert sso.nip_from_claims({"nip_asn": "19920410 201903 2 011"}) == NIP
        assert sso.nip_from_claims({"nip_asn": "１９９２０４１０２０１９０３２０１１"}) == NIP
        assert sso.nip_from_claims({"nip": NIP}) == ""
    with app.app_context():
        db.engine.dispose()


def test_sign_in_admits_only_active_people_on_the_roster(tmp_root, factory):
    """Does an SSO login start a session for an active rostered person, clear their first password
    (no slip, no forced change), and refuse a deactivated one, with both audited?"""
    app = sso_app(tmp_root)
    unit = factory.unit()
    person = factory.person(unit, nip=NIP, password=None)
    gone = factory.person(unit, active=False)
    with app.test_request_context():
        outcome = sso.sign_in({"sub": "abc", "nip": NIP}, ip="10.0.0.1", user_agent="t")
        assert outcome.person.id == person.id and outcome.session is not None
        with pytest.raises(sso.SsoRefused) as refused:
            sso.sign_in({"sub": "def", "nip": gone.nip}, ip=None, user_agent=None)
        assert refused.value.reason == "inactive"
        db.session.commit()
        stored = db.session.get(Person, person.id)
        assert (stored.initial_password_enc, stored.must_change_password) == (None, False)
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert actions[-2:] == ["auth.login", "auth.login_failed"]
        db.session.remove()
        db.engine.dispose()


def test_staff_password_login_is_refused_when_sso_is_required(tmp_root, factory):
    """With SSO_REQUIRED_FOR_STAFF, is an operator's password refused with a pointer to the SSO
    button (audited, no session, the same answer right or wrong), while a participant still logs
    in with a password?"""
    app = sso_app(tmp_root, SSO_REQUIRED_FOR_STAFF="1")
    unit = factory.unit()
    operator = factory.person(unit, role=Role.OPERATOR, scope=unit)
    participant = factory.person(unit)
    web = app.test_client()
    response = web.post("/masuk", data={"nip": operator.nip, "password": Factory.PASSWORD})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "wajib masuk melalui SSO" in page and "/masuk/sso" in page
    wrong = web.post("/masuk", data={"nip": operator.nip, "password": "bukan-sandinya"})
    assert wrong.status_code == 401 and "wajib masuk melalui SSO" in wrong.get_data(as_text=True)  # no oracle
    assert web.post("/masuk", data={"nip": participant.nip, "password": Factory.PASSWORD}).status_code == 302
    with app.app_context():
        sessions = db.session.scalars(select(LoginSession.person_id)).all()
        assert sessions == [participant.id]
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
        assert [event.target for event in refused] == [f"person:{operator.id}"] * 2
        assert all('"reason":"sso_required"' in event.details for event in refused)
        assert db.session.get(Person, operator.id).failed_logins == 0
        db.session.remove()
        db.engine.dispose()


def test_without_an_issuer_sso_is_off(client, factory):
    """Without SSO_ISSUER, is there no SSO button and do the SSO addresses not exist, while staff
    keep their password login?"""
    assert "/masuk/sso" not in client.get("/masuk").get_data(as_text=True)
    assert client.get("/masuk/sso").status_code == 404
    assert client.get("/masuk/sso/kembali?code=x&state=y").status_code == 404
    unit = factory.unit()
    operator = factory.person(unit, role=Role.OPERATOR, scope=unit)
    assert client.post("/masuk", data={"nip": operator.nip, "password": Factory.PASSWORD}).status_code == 302


def test_settings_refuse_an_incomplete_or_plain_http_issuer(tmp_path):
    """Is an issuer without a client id refused, and a plain-http issuer in production?"""
    with pytest.raises(ConfigError, match="SSO_CLIENT_ID"):
        load_settings(tmp_path, {"SSO_ISSUER": "https://sso.example.go.id/realms/asn"})
    production = {"APP_ENV": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://x/y",
                  "TRUSTED_HOSTS": "netral.example.go.id", "SSO_ISSUER": "http://sso.example.go.id",
                  "SSO_CLIENT_ID": "netral"}
    with pytest.raises(ConfigError, match="https"):
        load_settings(tmp_path, production)


def test_unreachable_provider_gets_a_clear_page_and_password_login_stays(tmp_root, factory):
    """When the SSO cannot be reached, does the SSO button lead to an Indonesian page saying so,
    while the login page and password login keep working?"""
    app = sso_app(tmp_root, f"http://127.0.0.1:{free_port()}", SSO_TIMEOUT_SECONDS="2")
    web = app.test_client()
    assert "Masuk dengan SSO ASN" in web.get("/masuk").get_data(as_text=True)
    response = web.get("/masuk/sso")
    assert response.status_code == 503
    assert "tidak dapat dihubungi" in response.get_data(as_text=True)
    person = factory.person(factory.unit())
    assert web.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD}).status_code == 302
    with app.app_context():
        db.engine.dispose()


def test_callback_from_another_issuer_or_without_a_login_is_refused_and_audited(tmp_root):
    """Is a callback naming another issuer (RFC 9207), or arriving with no login under way in this
    browser, refused with the Indonesian page and audited?"""
    app = sso_app(tmp_root)
    web = app.test_client()
    for query, reason in (("iss=https%3A%2F%2Fsso.lain.example&code=c&state=s", "issuer_mismatch"),
                          ("code=c&state=s", "mismatching_state")):
        response = web.get(f"/masuk/sso/kembali?{query}")
        assert response.status_code == 400
        assert "tidak dapat diverifikasi" in response.get_data(as_text=True)
        with app.app_context():
            event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
            assert event.action == "auth.login_failed" and f'"reason":"{reason}"' in event.details
            db.session.remove()
    with app.app_context():
        db.engine.dispose()


def test_doctor_checks_the_sso_against_the_real_provider(tmp_root, issuer):
    """Does `flask doctor` pass with the right issuer, client and secret, and say what is wrong
    with a wrong secret or an issuer written differently?"""
    from netral_learn.main.doctor import check_sso

    app = sso_app(tmp_root, issuer, SITE_URL=APP_URL)
    [finding] = check_sso(app)
    assert finding.ok, finding
    app.config["SSO_CLIENT_SECRET"] = "salah"
    [finding] = check_sso(app)
    assert not finding.ok and "SSO_CLIENT_SECRET" in finding.fix
    app.config["SSO_ISSUER"] = issuer.replace("127.0.0.1", "localhost")
    [finding] = list(check_sso(app))[:1]
    assert not finding.ok
    with app.app_context():
        db.engine.dispose()


def test_an_admin_requires_sso_for_the_staff_of_their_instansi(tmp_root, factory):
    """Can an admin require the SSO for their own instansi's staff (from the Unit Kerja page; audited),
    so that its operators' passwords are refused while another instansi's operators and the
    participants keep theirs — and not for an instansi outside their scope?"""
    app = sso_app(tmp_root)
    tree = factory.tree()
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    operator = factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"])
    elsewhere = factory.person(tree["other_opd"], role=Role.OPERATOR, scope=tree["other_opd"])
    participant = factory.person(tree["a1"])
    web = app.test_client()
    assert web.post("/masuk", data={"nip": admin.nip, "password": Factory.PASSWORD}).status_code == 302
    page = web.get("/admin/unit").get_data(as_text=True)
    assert "Login SSO untuk pengelola" in page and "Wajibkan SSO" in page
    assert web.post(f"/admin/unit/{tree['root'].id}/wajib-sso", data={"required": "1"}).status_code == 302
    assert web.post(f"/admin/unit/{tree['other'].id}/wajib-sso", data={"required": "1"}).status_code == 404
    web.post("/keluar")
    answers = {who.id: web.post("/masuk", data={"nip": who.nip, "password": Factory.PASSWORD}).status_code
               for who in (operator, elsewhere)}
    assert answers == {operator.id: 401, elsewhere.id: 302}
    web.post("/keluar")
    assert web.post("/masuk", data={"nip": participant.nip, "password": Factory.PASSWORD}).status_code == 302
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sso.required_for_staff")).one()
        assert (event.actor_id, event.target) == (admin.id, f"unit:{tree['root'].id}")
        db.session.remove()
        db.engine.dispose()
