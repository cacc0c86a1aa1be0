"""Token lifecycle: shown once, stored as a hash, refused after revocation or expiry, usage noted cheaply."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from netral_learn.accounts.models import Person
from netral_learn.api import services
from netral_learn.api.models import ApiClient
from netral_learn.core import clock
from netral_learn.core.audit import AuditEvent
from netral_learn.core.clock import now_utc
from netral_learn.extensions import db


def _client(app, client_id) -> ApiClient:
    with app.app_context():
        client = db.session.get(ApiClient, client_id)
        db.session.expunge(client)
        return client


def test_only_the_hash_and_a_prefix_are_stored(app, world, issue_token):
    """Does the database keep the token's SHA-256 and a short prefix, never the token itself?"""
    client_id, token = issue_token(world["tree"]["root"])
    stored = _client(app, client_id)
    assert token.startswith("nlk_") and len(token) >= 40
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(stored.token_prefix) and len(stored.token_prefix) == 12
    with app.app_context():
        columns = db.session.execute(select(ApiClient.__table__)).one()
        assert token not in [str(value) for value in columns]


def test_each_token_is_new(app, world, issue_token):
    """Are two tokens for the same system different secrets?"""
    assert issue_token(world["tree"]["root"])[1] != issue_token(world["tree"]["root"])[1]


def test_a_valid_token_is_accepted_and_others_get_401(world, issue_token, api_get):
    """Is a request with a valid token answered, and one without, malformed or unknown refused with a
    Bearer challenge?"""
    _id, token = issue_token(world["tree"]["root"])
    assert api_get("/programs", token).status_code == 200
    for bad in (None, "nlk_" + "x" * 43, token[:-1], "rahasia"):
        response = api_get("/programs", bad)
        assert response.status_code == 401
        assert response.json == {"error": response.json["error"], "status": 401}
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="Netral Learn API"')
        assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) == (bad is not None)


def test_basic_or_cookie_auth_is_not_a_token(world, issue_token, client, api_get, login_as):
    """Does a logged-in admin's browser session, or another auth scheme, open nothing in the API?"""
    _id, token = issue_token(world["tree"]["root"])
    assert client.get("/api/v1/programs", headers={"Authorization": f"Basic {token}"}).status_code == 401
    login_as(world["staff"]["admin"])
    assert client.get("/api/v1/programs").status_code == 401


def test_revoked_token_gets_401(app, world, issue_token, api_get):
    """Once an admin revokes a token, is its next request refused, and is the revocation audited?"""
    client_id, token = issue_token(world["tree"]["root"])
    assert api_get("/programs", token).status_code == 200
    with app.test_request_context():
        admin = db.session.get(Person, world["staff"]["admin"].id)
        services.revoke_client(admin, db.session.get(ApiClient, client_id), now_utc())
        db.session.commit()
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"api_client:{client_id}")
                                     .order_by(AuditEvent.seq)).all()
    assert actions == ["api.client.create", "api.token_use", "api.client.revoke"]
    assert api_get("/programs", token).status_code == 401


def test_token_expires(app, world, issue_token, api_get):
    """Is a token with an expiry refused from that moment on?"""
    expires_at = now_utc() + timedelta(days=7)
    _id, token = issue_token(world["tree"]["root"], expires_at=expires_at)
    clock.freeze(expires_at - timedelta(seconds=1))
    assert api_get("/programs", token).status_code == 200
    clock.freeze(expires_at)
    assert api_get("/programs", token).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(app, world, issue_token, api_get):
    """Is last_used_at set on first use, left alone for a minute, then moved on?"""
    client_id, token = issue_token(world["tree"]["root"])
    assert _client(app, client_id).last_used_at is None
    start = now_utc().replace(microsecond=0)
    clock.freeze(start)
    api_get("/programs", token)
    assert _client(app, client_id).last_used_at == start
    clock.freeze(start + timedelta(seconds=59))
    api_get("/programs", token)
    assert _client(app, client_id).last_used_at == start
    clock.freeze(start + timedelta(seconds=61))
    api_get("/programs", token)
    assert _client(app, client_id).last_used_at == start + timedelta(seconds=61)


def test_answers_are_never_cached_and_are_rate_limited(app, world, issue_token, api_get, monkeypatch):
    """Do answers say no-store, and does a token over its limit get 429 while another token goes on?"""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3/minute")
    _id, token = issue_token(world["tree"]["root"])
    _id, other = issue_token(world["tree"]["root"])
    for _ in range(3):
        response = api_get("/programs", token)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    limited = api_get("/programs", token)
    assert limited.status_code == 429 and limited.json["status"] == 429 and "Retry-After" in limited.headers
    assert api_get("/programs", other).status_code == 200


def test_guessing_tokens_from_one_address_is_limited(app, world, api_get, monkeypatch):
    """Do made-up tokens, each new to the per-token limit, still run into a per-address limit on
    rejections?"""
    monkeypatch.setitem(app.config, "API_AUTH_FAILURE_LIMIT", "3/minute")
    for attempt in range(3):
        assert api_get("/programs", f"nlk_guess{attempt}").status_code == 401
    assert api_get("/programs", "nlk_guess-again").status_code == 429
