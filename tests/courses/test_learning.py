"""Learning through the pages: targeting, modules in order, confirmation, refusals by URL."""
from datetime import timedelta

import pytest

from netral_learn.accounts.models import Jenis, Role
from netral_learn.core import clock
from netral_learn.courses.models import Enrollment, ModuleProgress
from netral_learn.extensions import db


@pytest.fixture
def setup(factory):
    tree = factory.tree()
    version = factory.course(modules=3)
    program = factory.program(tree["root"], version, targets=[tree["a"]])
    learner = factory.person(tree["a1"], name="Peserta Belajar")
    return {"tree": tree, "version": version, "program": program, "learner": learner}


def test_beranda_shows_the_program_and_next_action(client, setup, login_as):
    """Does a targeted person see the program, a progress bar and 'Mulai Modul 1'?"""
    login_as(setup["learner"])
    page = client.get("/").get_data(as_text=True)
    assert "Sosialisasi Netralitas Uji" in page and "Mulai Modul 1" in page and 'aria-valuenow="0"' in page


def test_untargeted_people_do_not_see_or_open_the_program(client, factory, setup, login_as):
    """Is a person outside the target units (or of another jenis) kept out, even by URL?"""
    outsider = factory.person(setup["tree"]["b1"])
    login_as(outsider)
    assert "Sosialisasi Netralitas Uji" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/program/{setup['program']}").status_code == 404
    assert client.get(f"/program/{setup['program']}/modul/1").status_code == 404


def test_jenis_targeting(client, factory, setup, login_as):
    """Does a PNS-only program stay invisible to a PPPK in the same unit?"""
    tree = setup["tree"]
    pns_only = factory.program(tree["root"], setup["version"], targets=[tree["a"]], jenis=[Jenis.PNS],
                               title="Khusus PNS")
    pppk = factory.person(tree["a1"], jenis=Jenis.PPPK)
    login_as(pppk)
    assert "Khusus PNS" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/program/{pns_only}").status_code == 404


def test_modules_open_in_order_and_complete_only_when_confirmed(app, client, setup, login_as):
    """Is module 2 refused until module 1 is opened and confirmed, and does opening alone not count?"""
    login_as(setup["learner"])
    base = f"/program/{setup['program']}/modul"
    assert client.get(f"{base}/2").status_code == 403
    assert client.post(f"{base}/1/selesai").status_code == 403  # never opened
    page = client.get(f"{base}/1")
    assert page.status_code == 200 and "Saya sudah membaca modul ini" in page.get_data(as_text=True)
    assert client.get(f"{base}/2").status_code == 403  # opened is not completed
    response = client.post(f"{base}/1/selesai")
    assert response.headers["Location"].endswith(f"{base}/2")
    assert client.get(f"{base}/2").status_code == 200
    assert client.get(f"{base}/3").status_code == 403
    assert client.get(f"{base}/9").status_code == 404


def test_progress_survives_logout_and_another_device(app, client, setup, login_as):
    """After logging out and in on another device, does the person continue where they were?"""
    login_as(setup["learner"])
    base = f"/program/{setup['program']}/modul"
    client.get(f"{base}/1")
    client.post(f"{base}/1/selesai")
    client.post("/keluar")
    phone = app.test_client()
    phone.post("/masuk", data={"nip": setup["learner"].nip, "password": "Kuat#Sandi-2026"})
    assert "Lanjutkan Modul 2" in phone.get("/").get_data(as_text=True)
    assert phone.get(f"{base}/2").status_code == 200


def test_completing_every_module_records_the_step(app, client, setup, login_as):
    """When the last module is confirmed, is the modules step recorded for reports?"""
    login_as(setup["learner"])
    base = f"/program/{setup['program']}/modul"
    for number in (1, 2, 3):
        client.get(f"{base}/{number}")
        client.post(f"{base}/{number}/selesai")
    with app.app_context():
        enrollment = db.session.query(Enrollment).one()
        assert enrollment.modules_completed_at is not None
        assert db.session.query(ModuleProgress).filter(ModuleProgress.completed_at.is_not(None)).count() == 3
    assert "Semua modul selesai" in client.get(f"/program/{setup['program']}").get_data(as_text=True) or \
        "Mulai Kuis" in client.get(f"/program/{setup['program']}").get_data(as_text=True)


def test_closed_and_scheduled_programs_refuse_learning(client, factory, setup, login_as):
    """Is a program before its start or after its end readable on the beranda but not learnable?"""
    tree = setup["tree"]
    later = factory.program(tree["root"], setup["version"], targets=[tree["a"]], days_open=(5, 30), title="Nanti")
    login_as(setup["learner"])
    assert "dibuka mulai" in client.get("/").get_data(as_text=True)
    response = client.get(f"/program/{later}/modul/1")
    assert response.status_code == 403 and "baru dibuka" in response.get_data(as_text=True)
    clock.freeze(clock.now_utc() + timedelta(days=40))
    login_as(setup["learner"])  # the old session expired meanwhile
    response = client.get(f"/program/{setup['program']}/modul/1")
    assert response.status_code == 403 and "sudah ditutup" in response.get_data(as_text=True)


def test_unpublished_program_is_invisible(client, factory, setup, login_as):
    """Does a draft program stay hidden from the people it targets?"""
    draft = factory.program(setup["tree"]["root"], setup["version"], published=False, title="Draf")
    login_as(setup["learner"])
    assert client.get(f"/program/{draft}").status_code == 404


def test_staff_role_does_not_bypass_the_order(client, factory, setup, login_as):
    """Does an admin learning as a participant still go in order?"""
    tree = setup["tree"]
    admin = factory.person(tree["a"], role=Role.ADMIN, scope=tree["root"])
    login_as(admin)
    assert client.get(f"/program/{setup['program']}/modul/2").status_code == 403


def test_module_page_is_light_for_a_3g_phone(app, client, setup, login_as):
    """Is a module page with its stylesheet and scripts under 100 KB (attachments aside)?"""
    import re as _re

    login_as(setup["learner"])
    page = client.get(f"/program/{setup['program']}/modul/1")
    html = page.get_data(as_text=True)
    assets = _re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js|svg)(?:\?v=[0-9a-f]+)?)"', html)
    assert any(url.endswith(".css") or ".css?" in url for url in assets), assets
    total = len(page.data) + sum(len(client.get(url).data) for url in set(assets))
    assert total < 100 * 1024, total


def test_module_and_program_pages_show_the_as_of_date_and_the_review(app, client, setup, login_as):
    """Does every module page say "Materi per <date>", add "ditinjau <reviewer>, <date>" once a review
    is recorded, and keep the internal review note off the learner's pages?"""
    from datetime import date

    from netral_learn.courses.models import CourseReview, CourseVersion

    with app.test_request_context():
        version = db.session.get(CourseVersion, setup["version"])
        version.legal_basis_as_of = date(2025, 12, 31)
        version.review_note = "Catatan internal: sumber sekunder, wajib diperiksa ke JDIH."
        db.session.commit()
    login_as(setup["learner"])
    module = client.get(f"/program/{setup['program']}/modul/1").get_data(as_text=True)
    assert "Materi per 31 Desember 2025" in module and "ditinjau" not in module
    program = client.get(f"/program/{setup['program']}").get_data(as_text=True)
    assert "Materi per 31 Desember 2025" in program and "Catatan internal" not in program
    with app.test_request_context():
        db.session.add(CourseReview(version_id=setup["version"], reviewed_on=date(2026, 12, 1),
                                    reviewer="Bagian Hukum Setda"))
        db.session.commit()
    module = client.get(f"/program/{setup['program']}/modul/1").get_data(as_text=True)
    assert "Materi per 31 Desember 2025 · ditinjau Bagian Hukum Setda, 1 Desember 2026" in " ".join(module.split())
