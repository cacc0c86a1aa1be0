"""Logins checked from Redis (accounts/login_cache.py): no database read while nothing changed, and
every change made through the app (or a bulk statement, or the clock) ends the copy at once; a
module page reloaded on a slow link is answered 304 by Flask."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from netral_learn.accounts import services as accounts
from netral_learn.accounts.models import LoginSession, Person, Role, Unit
from netral_learn.accounts import login_cache
from netral_learn.core import clock
from netral_learn.courses.models import Module
from netral_learn.extensions import db

from ..conftest import statements

@pytest.fixture
def learner(factory):
    tree = factory.tree()
    version = factory.course(modules=2)
    program = factory.program(tree["root"], version, targets=[tree["a"]])
    person = factory.person(tree["a1"], name="Peserta Tersimpan")
    return {"tree": tree, "version": version, "program": program, "person": person,
            "page": f"/program/{program}/modul/1"}


def _warm(client, path: str = "/healthz", times: int = 3) -> None:
    for _ in range(times):
        assert client.get(path).status_code == 200


def _change(app, work) -> None:
    """Run ``work`` through the ORM and commit, as a request or a job would."""
    with app.test_request_context():
        work()
        db.session.commit()


# --- the login ---------------------------------------------------------------------------------

def test_logged_in_requests_read_no_database_while_nothing_changed(app, client, redis_cache, learner, login_as):
    login_as(learner["person"])
    _warm(client, "/")
    with statements(app) as seen:
        assert client.get("/healthz").status_code == 200
    assert seen == []
    assert "Peserta Tersimpan" in client.get("/").get_data(as_text=True)
    copies = [json.loads(redis_cache.get(k)) for k in redis_cache.keys("netral:login:*")]  # JSON, not pickle
    assert copies and not any("argon2" in json.dumps(copy) or "password_hash" in copy["person"] for copy in copies)


def test_the_first_page_after_login_already_keeps_the_login_copy(app, client, redis_cache, learner, login_as):
    """The login puts the person's id in the cookie: the first page after it stores the login copy
    (and reads the counters first), so the second request reads no login from the database."""
    login_as(learner["person"])
    assert client.get("/").status_code == 200
    with statements(app) as seen:
        assert client.get("/healthz").status_code == 200
    assert seen == []


def test_the_persons_own_progress_keeps_the_login_copy(app, client, redis_cache, learner, login_as):
    """Reading a module and confirming it change the person's pages, not their login: the next
    request still reads no login from the database, and the page shows the new state."""
    login_as(learner["person"])
    _warm(client, learner["page"])
    client.post(f"{learner['page']}/selesai")
    with statements(app) as seen:
        assert client.get("/healthz").status_code == 200
    assert seen == []
    assert "Modul ini sudah Anda selesaikan" in client.get(learner["page"]).get_data(as_text=True)


def _deactivate(person_id):
    db.session.get(Person, person_id).active = False


def _bulk_deactivate(person_id):
    """A bulk UPDATE that names nobody (as a roster import does) counts for everyone."""
    db.session.execute(update(Person).where(Person.id == person_id).values(active=False))


def _reset_password(person_id):
    admin = db.session.scalars(db.select(Person).where(Person.role == Role.SUPERADMIN)).first()
    accounts.reset_password(admin, db.session.get(Person, person_id))


def _end_sessions(person_id):
    accounts.end_all_sessions(db.session.get(Person, person_id))


@pytest.mark.parametrize("work", [_deactivate, _bulk_deactivate, _reset_password, _end_sessions])
def test_changes_through_the_app_end_a_cached_login_at_once(app, client, factory, redis_cache, learner, login_as, work):
    """Deactivation, a bulk update, a password reset, ended sessions: is the very next request refused?"""
    factory.person(learner["tree"]["root"], role=Role.SUPERADMIN, scope=learner["tree"]["root"])
    login_as(learner["person"])
    _warm(client, "/")
    _warm(client, learner["page"])
    _change(app, lambda: work(learner["person"].id))
    assert client.get(learner["page"]).status_code == 302
    assert client.get("/").status_code == 302


def test_logout_ends_the_cached_copy_for_a_replayed_cookie(app, client, redis_cache, learner, login_as):
    login_as(learner["person"])
    _warm(client, "/")
    _warm(client, learner["page"])
    cookie = client.get_cookie("netral_session").value
    client.post("/keluar")
    replay = app.test_client()
    replay.set_cookie("netral_session", cookie)
    assert replay.get(learner["page"]).status_code == 302
    assert replay.get("/").status_code == 302


def test_a_renamed_unit_shows_at_once(app, client, redis_cache, learner, login_as):
    """Shared rows (a unit) count for everyone: the cached person's unit is read again."""
    login_as(learner["person"])
    _warm(client, "/")

    def rename():
        db.session.get(Unit, learner["tree"]["a1"].id).name = "Bidang Berganti Nama"

    _change(app, rename)
    assert "Bidang Berganti Nama" in client.get("/").get_data(as_text=True)


def test_an_expired_session_is_refused_from_the_cache_too(app, client, redis_cache, learner, login_as):
    login_as(learner["person"])
    _warm(client)
    _warm(client, learner["page"])
    clock.freeze(clock.now_utc() + timedelta(hours=app.config["LOGIN_SESSION_HOURS"], minutes=1))
    assert client.get(learner["page"]).status_code == 302
    assert client.get("/").status_code == 302


def test_redis_down_reads_the_database(app, client, learner, login_as, monkeypatch):
    """Redis unreachable: the login still works, from the database, with no error page."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    login_as(learner["person"])
    assert client.get("/").status_code == 200
    assert client.get(learner["page"]).status_code == 200


# --- what moves the generations ---------------------------------------------------------------

def _generations(redis, person_id):
    return [int(redis.get(f"netral:gen:{name}") or 0) for name in (login_cache.account(person_id), login_cache.CONTENT)]


def test_only_accounts_and_units_move_the_generations(app, redis_cache, learner):
    """A person's own row moves their account generation, a unit the content generation, progress
    and module texts neither; nothing moves before the outermost commit, and a purge of expired
    sessions moves nothing."""
    person_id = learner["person"].id
    with app.test_request_context():
        before = _generations(redis_cache, person_id)
        db.session.get(Person, person_id).phone = "0812"
        with db.session.begin_nested():
            db.session.flush()
        assert _generations(redis_cache, person_id) == before  # a savepoint is not a commit
        db.session.commit()
        mine = _generations(redis_cache, person_id)
        assert mine == [before[0] + 1, before[1]]
        db.session.get(Module, db.session.scalars(db.select(Module.id)).first()).title = "Judul Baru"
        db.session.commit()
        assert _generations(redis_cache, person_id) == mine
        db.session.get(Unit, learner["tree"]["a1"].id).name = "Bidang Baru"
        db.session.commit()
        content = _generations(redis_cache, person_id)
        assert content == [mine[0], mine[1] + 1]
        accounts.purge_expired_sessions()
        db.session.commit()
        assert _generations(redis_cache, person_id) == content
        assert db.session.query(LoginSession).count() == 0


# --- the module page on a reload ------------------------------------------------------------------

def test_a_reloaded_module_page_is_answered_304_inside_flask(app, client, learner, login_as):
    """Does a reload of an unchanged module page get 304 with no body (the hooks still ran: the
    security headers are there), and a page whose state changed (module done) the new page?"""
    login_as(learner["person"])
    first = client.get(learner["page"])
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(learner["page"], headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in again.headers["Content-Security-Policy"]
    client.post(f"{learner['page']}/selesai")
    changed = client.get(learner["page"], headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Modul ini sudah Anda selesaikan" in changed.get_data(as_text=True)


def test_a_reload_never_gets_another_persons_page(app, client, factory, learner, login_as):
    """Another person's ETag for the same URL (their module done) is not answered 304 for mine."""
    login_as(learner["person"])
    client.post(f"{learner['page']}/selesai")
    theirs = client.get(learner["page"]).headers["ETag"]
    other = factory.person(learner["tree"]["a1"])
    second = app.test_client()
    second.post("/masuk", data={"nip": other.nip, "password": factory.PASSWORD})
    page = second.get(learner["page"], headers={"If-None-Match": theirs})
    assert page.status_code == 200 and "Modul ini sudah Anda selesaikan" not in page.get_data(as_text=True)
