"""Logging out works from a page of any age, and a logout forced by another site needs a click."""
import re
import time

import pytest
import flask_wtf.csrf
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from netral_learn.accounts.models import LoginSession
from netral_learn.extensions import db

from ..factories import Factory

FIVE_HOURS = 5 * 3600


class _OldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - FIVE_HOURS


class _FiveHoursAgo(URLSafeTimedSerializer):
    default_signer = _OldSigner


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.fixture
def old_page(app, client, factory, csrf_on, monkeypatch):
    """A logged-in browser whose open page (and its logout button) was rendered five hours ago."""
    person = factory.person(factory.unit())
    login_token = _token(client.get("/masuk").get_data(as_text=True))
    assert client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD,
                                       "csrf_token": login_token}).status_code == 302
    with monkeypatch.context() as patch:  # the page's tokens are signed five hours back
        patch.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", _FiveHoursAgo)
        page = client.get("/kata-sandi").get_data(as_text=True)
    return _token(page.split('action="/keluar"')[1])


def _sessions(app) -> int:
    with app.app_context():
        return db.session.query(LoginSession).count()


def test_old_page_token_is_expired_for_other_forms(client, old_page):
    """Is the five-hour-old token really past the CSRF time limit for an ordinary form?"""
    response = client.post("/kata-sandi", data={"current": "x", "new": "y", "confirm": "y", "csrf_token": old_page})
    assert response.status_code == 400


def test_logout_from_a_page_older_than_the_csrf_limit_ends_the_session(app, client, old_page):
    """Can someone log out from a page left open longer than the CSRF time limit, and is the session gone?"""
    cookie = client.get_cookie("netral_session").value
    response = client.post("/keluar", data={"csrf_token": old_page})
    assert response.status_code == 302 and response.headers["Location"].endswith("/masuk")
    assert _sessions(app) == 0
    replay = app.test_client()
    replay.set_cookie("netral_session", cookie)
    assert replay.get("/").status_code == 302


def test_logout_without_token_from_this_site_works(app, client, old_page):
    """Does a logout the browser marks as same-origin work even when the token is missing?"""
    response = client.post("/keluar", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302
    assert _sessions(app) == 0


def test_logout_forced_by_another_site_asks_first(app, client, old_page):
    """Does a logout posted from another site show a confirmation instead, keeping the session until the click?"""
    response = client.post("/keluar", headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200
    assert "Keluar dari akun?" in response.get_data(as_text=True)
    assert _sessions(app) == 1 and client.get("/").status_code == 200
    confirm = client.post("/keluar", data={"csrf_token": _token(response.get_data(as_text=True))})
    assert confirm.status_code == 302 and _sessions(app) == 0


def test_logout_with_a_forged_token_asks_first(app, client, old_page):
    """Is a made-up token without any same-site sign answered with the confirmation page?"""
    response = client.post("/keluar", data={"csrf_token": "forged.token.value"})
    assert response.status_code == 200 and _sessions(app) == 1
