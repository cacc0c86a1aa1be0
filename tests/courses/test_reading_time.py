"""A module's minimum reading time: set by an admin, enforced by the server, shown on the page."""
from datetime import timedelta

import pytest

from netral_learn.core import clock
from netral_learn.courses import authoring, services
from netral_learn.courses.models import CourseVersion, Module, ModuleProgress, VersionStatus
from netral_learn.extensions import db


@pytest.fixture
def setup(factory):
    tree = factory.tree()
    version = factory.course(modules=2)
    program = factory.program(tree["root"], version)
    learner = factory.person(tree["a1"])
    with factory.app.app_context():
        db.session.get(CourseVersion, version).modules[0].min_reading_seconds = 300
        db.session.commit()
    return {"tree": tree, "version": version, "program": program, "learner": learner}


@pytest.fixture
def frozen():
    start = clock.now_utc().replace(microsecond=0)
    clock.freeze(start)
    yield start
    clock.freeze(None)


def test_early_mark_read_is_refused_with_the_time_left(app, client, setup, login_as, frozen):
    """Is 'Saya sudah membaca' refused before the minimum reading time, with the time left in Indonesian,
    and accepted once it has passed?"""
    login_as(setup["learner"])
    base = f"/program/{setup['program']}/modul/1"
    page = client.get(base).get_data(as_text=True)
    assert "Waktu baca minimum modul ini 5 menit" in page and "(sisa 5 menit)" in page
    assert 'data-ready-at="' in page and "reading-time.js" in page
    clock.freeze(frozen + timedelta(seconds=50))
    response = client.post(f"{base}/selesai")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}#akhir")
    page = client.get(base).get_data(as_text=True)
    assert "Sisa waktu baca: 4 menit 10 detik" in page and "(sisa 4 menit 10 detik)" in page
    with app.app_context():
        assert db.session.query(ModuleProgress).one().completed_at is None
    clock.freeze(frozen + timedelta(seconds=301))
    response = client.post(f"{base}/selesai")
    assert response.headers["Location"].endswith(f"/program/{setup['program']}/modul/2")
    with app.app_context():
        assert db.session.query(ModuleProgress).one().completed_at is not None


def test_modules_without_a_minimum_are_marked_read_at_once(client, setup, login_as):
    """With the default (off), can a module be marked read right after opening, with no wait shown?"""
    login_as(setup["learner"])
    base = f"/program/{setup['program']}/modul/2"
    with client.application.app_context():
        module = db.session.get(CourseVersion, setup["version"]).modules[0]
        module.min_reading_seconds = 0
        db.session.commit()
    page = client.get(f"/program/{setup['program']}/modul/1").get_data(as_text=True)
    assert "Waktu baca minimum" not in page and "reading-time.js" not in page
    client.post(f"/program/{setup['program']}/modul/1/selesai")
    assert client.get(base).status_code == 200


def test_wait_counts_from_the_first_opening(ctx, setup, frozen):
    """Does the wait count from when the module was first opened, not from each reload?"""
    from netral_learn.accounts.models import Person
    from netral_learn.courses.models import Program

    person = db.session.get(Person, setup["learner"].id)
    program = db.session.get(Program, setup["program"])
    today = frozen.date()
    module, enrollment = services.open_module(person, program, 0, today)
    assert services.reading_wait_in(enrollment, module, frozen).seconds_left == 300
    clock.freeze(frozen + timedelta(minutes=4))
    module, enrollment = services.open_module(person, program, 0, today)  # a reload
    wait = services.reading_wait_in(enrollment, module, clock.now_utc())
    assert wait.seconds_left == 60 and wait.ready_at == frozen + timedelta(minutes=5)
    with pytest.raises(services.ReadingTooShort, match="Sisa waktu baca: 1 menit"):
        services.complete_module(person, program, 0, today)
    clock.freeze(frozen + timedelta(minutes=5))
    services.complete_module(person, program, 0, today)
    assert services.reading_wait_in(enrollment, module, clock.now_utc()) is None


def test_admin_sets_the_minimum_on_a_draft_module(ctx, factory, setup):
    """Can an admin set (and turn off) a draft module's minimum reading time, kept in a new draft too?"""
    from netral_learn.accounts.models import Person

    tree = setup["tree"]
    admin = db.session.get(Person, factory.person(tree["root"], role="superadmin").id)
    version = db.session.get(CourseVersion, factory.course(modules=1, status=VersionStatus.DRAFT))
    module = version.modules[0]
    authoring.update_module(admin, module, "Modul", "Teks.", None, 7)
    assert module.min_reading_seconds == 420 and module.min_reading_minutes == 7
    with pytest.raises(Exception, match="Waktu baca minimum harus antara 0 dan"):
        authoring.update_module(admin, module, "Modul", "Teks.", None, -1)
    authoring.publish_version(admin, version, acknowledge_unreviewed=True)
    draft = authoring.new_draft_from(admin, version)
    assert draft.modules[0].min_reading_seconds == 420
    authoring.update_module(admin, draft.modules[0], "Modul", "Teks.", None, 0)
    assert draft.modules[0].min_reading_seconds == 0


def test_admin_module_form_has_the_minimum(client, factory, setup, login_as):
    """Does the admin's module page offer the minimum reading time and save it?"""
    tree = setup["tree"]
    admin = factory.person(tree["root"], role="superadmin")
    draft = factory.course(modules=1, status=VersionStatus.DRAFT)
    with client.application.app_context():
        module_id = db.session.get(CourseVersion, draft).modules[0].id
    login_as(admin)
    url = f"/admin/kursus/modul/{module_id}"
    assert "Waktu baca minimum" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"title": "Modul", "body_md": "Teks.", "minutes": "3",
                                      "min_reading_minutes": "2", "save": "Simpan"})
    assert response.status_code == 302
    with client.application.app_context():
        assert db.session.get(Module, module_id).min_reading_seconds == 120
