"""Shared content kept per process (core/shared.py): a program with its targets and modules and
its quiz settings are read once while nothing changes, and any change made through the app is seen
by the very next request; a request never gets another's object, nor a copy of unsaved work."""
from __future__ import annotations

import pytest

from netral_learn.accounts.models import Unit
from netral_learn.core import freshness, shared
from netral_learn.courses import services as course_services
from netral_learn.courses.models import Module, Program, ProgramTarget
from netral_learn.extensions import db
from netral_learn.quiz.models import QuizSettings

from ..conftest import statements

SHARED_TABLES = ("FROM programs", "FROM program_targets", "FROM modules", "FROM quiz_settings")


@pytest.fixture
def learner(factory):
    tree = factory.tree()
    version = factory.course(modules=2)
    program = factory.program(tree["root"], version, targets=[tree["a"]], title="Judul Lama")
    factory.quiz_settings(program, max_attempts=3)
    person = factory.person(tree["a1"])
    return {"tree": tree, "version": version, "program": program, "person": person,
            "page": f"/program/{program}/kuis"}


def _change(app, work) -> None:
    with app.test_request_context():
        work()
        db.session.commit()


def _shared_reads(seen: list[str]) -> list[str]:
    return [sql for sql in seen if any(table in sql for table in SHARED_TABLES)]


def test_a_program_and_its_settings_are_read_once_while_nothing_changes(app, client, redis_cache, learner,
                                                                        login_as):
    login_as(learner["person"])
    assert client.get(learner["page"]).status_code == 200
    with statements(app) as seen:
        page = client.get(learner["page"]).get_data(as_text=True)
    assert _shared_reads(seen) == []
    assert "Judul Lama" in page and "Kesempatan: 3 kali." in page


def test_a_copy_is_read_again_after_its_lifetime(app, client, redis_cache, learner, login_as, monkeypatch):
    """Changes made with SQL outside the app move no counter: a copy lives MAX_AGE seconds at most."""
    login_as(learner["person"])
    client.get(learner["page"])
    monkeypatch.setattr(shared, "MAX_AGE", 0)
    with statements(app) as seen:
        client.get(learner["page"])
    assert _shared_reads(seen)


@pytest.mark.parametrize("change, shown", [
    ("title", "Judul Baru"),
    ("settings", "Kesempatan: 5 kali."),
    ("module", "Modul yang Diganti"),
])
def test_a_change_through_the_app_shows_on_the_next_request(app, client, redis_cache, learner, login_as,
                                                             change, shown):
    login_as(learner["person"])
    client.get(learner["page"])
    client.get(learner["page"])

    def edit():
        if change == "title":
            db.session.get(Program, learner["program"]).title = "Judul Baru"
        elif change == "settings":
            db.session.get(QuizSettings, learner["program"]).max_attempts = 5
        else:
            db.session.scalars(db.select(Module).where(Module.version_id == learner["version"])).first().title = \
                "Modul yang Diganti"

    _change(app, edit)
    page = f"/program/{learner['program']}" if change == "module" else learner["page"]
    assert shown in client.get(page).get_data(as_text=True)


def test_a_person_no_longer_targeted_is_refused_at_once(app, client, redis_cache, learner, login_as):
    login_as(learner["person"])
    assert client.get(learner["page"]).status_code == 200

    def retarget():
        target = db.session.scalars(db.select(ProgramTarget).where(
            ProgramTarget.program_id == learner["program"])).one()
        target.unit_id = learner["tree"]["b"].id

    _change(app, retarget)
    assert client.get(learner["page"]).status_code == 404


def test_a_request_gets_its_own_objects_and_unsaved_work_is_never_kept(app, redis_cache, learner):
    """Each request gets its own object (a change it makes stays its own); one already in the
    session is returned as is; changes not flushed are never overwritten by a copy; a program
    changed and flushed but not committed is not kept."""
    person_id = learner["person"].id

    def begin_request():
        freshness.remember(freshness.read(redis_cache, person_id))  # as the login does, before any data
        return db.session.get(type(learner["person"]), person_id)

    def program_of_a_request(rename=None):
        with app.test_request_context():
            person = begin_request()
            program = course_services.get_program_for(person, learner["program"])
            if rename:
                program.title = rename  # not flushed: the copy must not be merged over it
                again = course_services.get_program_for(person, learner["program"])
                assert again is program and again.title == rename
            title = program.title
            db.session.rollback()
            return title

    assert program_of_a_request() == "Judul Lama"
    with statements(app) as seen:
        assert program_of_a_request("Belum Disimpan") == "Belum Disimpan"
    assert _shared_reads(seen) == []  # the copy, merged: then renamed in this request only
    assert program_of_a_request() == "Judul Lama"

    with app.test_request_context():  # a target's unit changed in this request, not flushed yet
        person = begin_request()
        unit = db.session.get(Unit, learner["tree"]["a"].id)
        unit.name = "Nama Belum Disimpan"
        course_services.get_program_for(person, learner["program"])
        assert unit.name == "Nama Belum Disimpan"  # not overwritten by the copy's
        db.session.rollback()

    shared.forget_all()
    with app.test_request_context():
        person = begin_request()
        program = db.session.get(Program, learner["program"])
        program.title = "Belum Disimpan"
        db.session.flush()
        assert course_services.get_program_for(person, learner["program"]).title == "Belum Disimpan"
        db.session.rollback()
    assert program_of_a_request() == "Judul Lama"


def test_without_redis_nothing_is_kept(app, client, learner, login_as):
    shared.forget_all()
    login_as(learner["person"])
    client.get(learner["page"])
    with statements(app) as seen:
        client.get(learner["page"])
    assert _shared_reads(seen)
    assert shared._copies == {}


def test_only_a_request_that_read_the_counter_first_keeps_a_copy(app, redis_cache, learner):
    """Objects loaded before the counter was read could be older than it: a request whose counter
    was not read at its start (no login lookup) uses copies but keeps none."""
    shared.forget_all()
    with app.test_request_context():
        person = db.session.get(type(learner["person"]), learner["person"].id)
        assert course_services.get_program_for(person, learner["program"]).title == "Judul Lama"
    assert shared._copies == {}
