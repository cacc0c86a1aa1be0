"""Logins and module pages served from Redis: no database read while nothing changed, and every
change made through the app (or a bulk statement, or the clock) ends the copy at once."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from netral_learn.accounts import services as accounts
from netral_learn.accounts.models import LoginSession, Person, Role, Unit
from netral_learn.core import clock, freshness
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
    copies = [redis_cache.get(k) for k in redis_cache.keys("netral:login:*")]
    assert copies and not any(b"argon2" in copy for copy in copies)


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
    request still reads no login from the database, and the stored page shows the new state."""
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
    assert client.get(learner["page"]).status_code == 302  # not the stored page
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


# --- who a change belongs to -------------------------------------------------------------------

def test_changes_are_counted_for_their_person_or_for_everyone(app, redis_cache, learner):
    """Progress and attempts count for their person; content for everyone; audit rows for nobody;
    and nothing is counted before the outermost commit."""
    person_id = learner["person"].id
    with app.test_request_context():
        before = freshness.read(redis_cache, person_id)
        db.session.get(Person, person_id).phone = "0812"
        with db.session.begin_nested():
            db.session.flush()
        assert freshness.read(redis_cache, person_id) == before  # a savepoint is not a commit
        db.session.commit()
        mine = freshness.read(redis_cache, person_id)
        assert mine[0] == before[0] + 1 and mine[1] == before[1]
        db.session.get(Module, db.session.scalars(db.select(Module.id)).first()).title = "Judul Baru"
        db.session.commit()
        content = freshness.read(redis_cache, person_id)
        assert content == (mine[0], mine[1] + 1)
        accounts.purge_expired_sessions()
        db.session.commit()
        assert freshness.read(redis_cache, person_id) == content
        assert db.session.query(LoginSession).count() == 0


def test_a_copy_from_memory_only_when_no_other_commit_came_between(app, redis_cache, learner):
    """A page built from the objects a request holds may be stored under its own commit's counters
    only when that commit alone moved the person's counter since the request began, and nothing
    moved everyone's: otherwise another server's change may be missing from those objects."""
    person_id = learner["person"].id

    def request(between=None):
        with app.test_request_context():
            person_counter, everyone = freshness.read(redis_cache, person_id)
            freshness.remember((0, everyone))
            freshness.remember_person(person_id, person_counter)
            if between:
                redis_cache.incr(freshness.key(between))  # another server's commit, counted
            db.session.get(Person, person_id).phone = f"08{person_counter % 10**9}"
            db.session.commit()
            return freshness.moved_only_by_this_request(person_id), freshness.read(redis_cache, person_id)

    alone, now = request()
    assert alone == now
    assert request(between=person_id)[0] is None
    assert request(between=freshness.EVERYONE)[0] is None


def test_everyones_counter_as_read_first_until_this_request_changes_shared_rows(app, redis_cache, learner):
    """``everyone()`` answers with the counter read at the start of the request (no round trip)
    after a commit of the person's own rows, reads Redis again after a commit of shared rows, and
    takes the counters a request read anew to read its data again (``remember(again=True)``)."""
    person_id = learner["person"].id
    with app.test_request_context():
        first = freshness.read(redis_cache, person_id)[1]
        freshness.remember((0, first))
        redis_cache.incr(freshness.key(freshness.EVERYONE))  # another server's change, after this request began
        db.session.get(Person, person_id).phone = "0812"
        db.session.commit()
        assert freshness.everyone() == first
        freshness.remember((0, first + 1000))
        assert freshness.everyone() == first  # the first reading stays...
        freshness.remember((0, first + 1), again=True)
        assert freshness.everyone() == first + 1  # ...unless the request read the counters anew
        db.session.get(Module, db.session.scalars(db.select(Module.id)).first()).title = "Judul Baru"
        db.session.commit()
        assert freshness.everyone() == first + 2 == freshness.read(redis_cache, person_id)[1]


# --- the module page ---------------------------------------------------------------------------

def test_a_module_page_seen_again_reads_no_database(app, client, redis_cache, learner, login_as):
    login_as(learner["person"])
    _warm(client, learner["page"])
    with statements(app) as seen:
        page = client.get(learner["page"])
    assert seen == [] and page.status_code == 200
    assert "Saya sudah membaca modul ini" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"  # the browser still keeps nothing


def test_a_stored_page_carries_the_headers_of_a_built_one(app, client, redis_cache, learner, login_as):
    """Served ahead of Flask, a stored page still says no-store, varies by cookie and carries the
    same security headers as the page the view built."""
    login_as(learner["person"])
    client.get(learner["page"])  # the first view records the opening: built, not stored
    built = client.get(learner["page"])
    with statements(app) as seen:
        stored = client.get(learner["page"])
    assert seen == [] and stored.get_data() == built.get_data()
    for name in ("Content-Type", "Cache-Control", "Vary", "Content-Security-Policy", "X-Content-Type-Options",
                 "X-Frame-Options", "Referrer-Policy", "Permissions-Policy"):
        assert stored.headers.get(name) == built.headers.get(name), name


def test_a_stored_page_needs_the_cookie_flask_would_accept(app, client, redis_cache, learner, login_as, monkeypatch):
    """A cookie whose signature does not hold, or that is older than the session lifetime, gets
    no stored page: the request goes to Flask, which refuses it as it always did."""
    login_as(learner["person"])
    _warm(client, learner["page"])
    name = app.config["SESSION_COOKIE_NAME"]
    value = client.get_cookie(name).value
    forged = app.test_client()
    forged.set_cookie(name, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert forged.get(learner["page"]).status_code == 302  # to the login page
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)  # for the signature check in Flask too
    assert client.get(learner["page"]).status_code == 302


def test_a_stored_page_is_only_for_a_trusted_host(app, client, redis_cache, learner, login_as, monkeypatch):
    login_as(learner["person"])
    _warm(client, learner["page"])
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["localhost"])
    assert client.get(learner["page"]).status_code == 200
    name = app.config["SESSION_COOKIE_NAME"]
    client.set_cookie(name, client.get_cookie(name).value, domain="tiruan.example")  # the same login
    assert client.get(learner["page"], headers={"Host": "tiruan.example"}).status_code == 400


def test_a_stored_module_page_follows_progress_content_and_the_date(app, client, redis_cache, learner, login_as):
    login_as(learner["person"])
    _warm(client, learner["page"])
    client.post(f"{learner['page']}/selesai")
    assert "Modul ini sudah Anda selesaikan" in client.get(learner["page"]).get_data(as_text=True)

    def edit():
        module = db.session.scalars(db.select(Module).where(Module.version_id == learner["version"],
                                                            Module.position == 0)).one()
        module.body_md = "## Bagian baru\n\nIsi yang diperbarui."

    _change(app, edit)
    assert "Isi yang diperbarui." in client.get(learner["page"]).get_data(as_text=True)


def test_a_stored_page_ends_with_the_persons_local_day(app, client, factory, redis_cache, learner, login_as):
    """A program ending today (local date, WITA): after local midnight its stored page is not served."""
    day = clock.now_utc().date()
    clock.freeze(datetime(day.year, day.month, day.day, 14, 0, tzinfo=timezone.utc))  # 22.00 WITA
    program = factory.program(learner["tree"]["root"], learner["version"], targets=[learner["tree"]["a"]],
                              days_open=(-1, 0), title="Program Berakhir Hari Ini")
    login_as(learner["person"])
    page = f"/program/{program}/modul/1"
    _warm(client, page)
    clock.freeze(clock.now_utc() + timedelta(hours=3))  # 01.00 WITA the next day; the login still runs
    assert client.get("/healthz").status_code == 200
    assert client.get(page).status_code != 200


def test_a_stored_page_is_never_another_persons(app, client, factory, redis_cache, learner, login_as):
    """One person's stored page (module done) is not what another person gets for the same URL."""
    login_as(learner["person"])
    _warm(client, learner["page"])
    client.post(f"{learner['page']}/selesai")
    _warm(client, learner["page"])
    other = factory.person(learner["tree"]["a1"])
    second = app.test_client()
    second.post("/masuk", data={"nip": other.nip, "password": factory.PASSWORD})
    page = second.get(learner["page"]).get_data(as_text=True)
    assert "Saya sudah membaca modul ini" in page and "Modul ini sudah Anda selesaikan" not in page
