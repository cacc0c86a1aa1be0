"""The admin pages: the audit-log page (scoped, filtered, paged, with the chain's state), the staff
dashboard with the programs running today, reports opening on the current program, and every
admin page linked from the navigation."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from netral_learn.accounts.models import Person
from netral_learn.auditlog import anchors
from netral_learn.core import audit, clock
from netral_learn.extensions import db

from ..reports.conftest import add_journey, client_for, world  # noqa: F401  (fixtures shared with reports)

ROLES = ["anonymous", "participant", "operator_a", "admin", "admin_other", "superadmin"]
#: New pages × role → status (anonymous is sent to the login page).
MATRIX = [
    ("/admin/audit", [302, 403, 403, 200, 200, 200]),
    ("/admin", [302, 403, 200, 200, 200, 200]),
]


@pytest.mark.parametrize("url, expected", MATRIX, ids=[u for u, _ in MATRIX])
def test_access_matrix(app, world, client_for, url, expected):
    """Does each role get exactly the answer it should on the audit log and the dashboard?"""
    for role, status in zip(ROLES, expected):
        client = app.test_client() if role == "anonymous" else client_for(world["staff"][role])
        assert client.get(url).status_code == status, role


def record(app, actor, action, target, **details):
    with app.test_request_context():
        audit.record(db.session.get(Person, actor.id) if actor else None, action, target, **details)
        db.session.commit()


def page_text(client, url="/admin/audit", **params):
    response = client.get(url, query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admin_sees_their_instansi_superadmin_sees_all(app, world, client_for):
    """Does an admin read only their instansi's entries, while the superadmin reads every entry?"""
    staff = world["staff"]
    record(app, staff["admin"], "password.reset", f"person:{staff['participant'].id}")
    record(app, staff["admin_other"], "unit.rename", f"unit:{world['tree']['other_opd'].id}", old="A", new="Rahasia Kota")
    own = page_text(client_for(staff["admin"]))
    assert "Kata sandi direset" in own and "Peserta Biasa" in own and "Rahasia Kota" not in own
    other = page_text(client_for(staff["admin_other"]))
    assert "Rahasia Kota" in other and "Peserta Biasa" not in other
    everything = page_text(client_for(staff["superadmin"]))
    assert "Rahasia Kota" in everything and "Peserta Biasa" in everything


def test_filters_by_person_actor_action_and_date(app, world, client_for):
    """Do the person, actor, kind and date filters each narrow the list to the matching entries?"""
    staff, tree = world["staff"], world["tree"]
    clock.freeze(clock.now_utc() - timedelta(days=10))
    record(app, staff["operator_a"], "password.reset", f"person:{staff['participant'].id}", marker="lama")
    clock.freeze(None)
    record(app, staff["admin"], "account.unlock", f"person:{staff['operator_b'].id}", marker="buka")
    record(app, staff["admin"], "unit.create", f"unit:{tree['a1'].id}", marker="unitbaru")
    client = client_for(staff["admin"])

    def markers(**params):
        return set(re.findall(r"marker: (\w+)", page_text(client, **params)))

    assert markers() == {"lama", "buka", "unitbaru"}
    assert markers(person="Peserta Biasa") == {"lama"}
    assert markers(person=staff["operator_b"].nip) == {"buka"}
    assert markers(actor="operator pendidikan") == {"lama"}
    assert markers(action="unit.create") == {"unitbaru"}
    today = clock.now_utc().date()
    assert markers(date_from=(today - timedelta(days=2)).isoformat()) == {"buka", "unitbaru"}
    assert markers(date_to=(today - timedelta(days=5)).isoformat()) == {"lama"}
    assert markers(person="%") == set()  # LIKE wildcards are text, not patterns


def test_pages_of_fifty(app, world, client_for):
    """Are long logs paged, newest first, with a link to the next page?"""
    with app.test_request_context():
        admin = db.session.get(Person, world["staff"]["admin"].id)
        for index in range(60):
            audit.record(admin, "unit.rename", f"unit:{world['tree']['a'].id}", new=f"nomor{index:02d}")
        db.session.commit()
    client = client_for(world["staff"]["admin"])
    first = page_text(client)
    assert "nomor59" in first and "nomor05" not in first and 'rel="next"' in first
    second = page_text(client, page=2)
    assert "nomor05" in second and "nomor59" not in second


def test_chain_state_intact_anchored_then_broken(app, world, client_for):
    """Does the page say: not anchored yet; verified to the last anchor with N entries since; broken?"""
    client = client_for(world["staff"]["admin"])
    record(app, None, "unit.create", f"unit:{world['tree']['a'].id}")
    assert "Belum berjangkar" in page_text(client)
    with app.test_request_context():
        anchored = anchors.anchor(full=True).anchor
    record(app, None, "unit.create", f"unit:{world['tree']['b'].id}")
    page = page_text(client)
    assert f"Terverifikasi sampai jangkar terakhir: entri {anchored.seq}" in page
    assert "2 entri sesudahnya juga utuh" in page  # the entry above and this page's own view before
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE seq >= :s"), {"s": anchored.seq})
        db.session.commit()
    page = page_text(client)
    assert "RUSAK" in page and "dihapus" in page


def test_reports_open_on_the_program_running_today(app, world, factory, client_for):
    """Without a choice, does the report open on the program running today, not a later or an old one?"""
    version = factory.course(modules=1)
    tree = world["tree"]
    factory.program(tree["root"], version, title="Program Tahun Depan", days_open=(200, 230))
    factory.program(tree["root"], version, title="Program Tahun Lalu", days_open=(-400, -370))
    client = client_for(world["staff"]["admin"])
    page = page_text(client, "/laporan")
    assert re.search(r'<option selected value="\d+">Sosialisasi Netralitas Pilkada</option>', page), page[:0]
    assert "<h2>Sosialisasi Netralitas Pilkada" in page


def test_reports_fall_back_to_the_program_that_ended_last(app, world, factory, client_for):
    """With nothing running, does the report open on the last program that ended rather than a future one?"""
    version = factory.course(modules=1)
    tree = world["tree"]
    with app.app_context():
        db.session.execute(text("UPDATE programs SET starts_on = starts_on + 100, ends_on = ends_on + 100")
                           if db.engine.dialect.name == "postgresql" else
                           text("UPDATE programs SET starts_on = date(starts_on, '+100 days'), "
                                "ends_on = date(ends_on, '+100 days')"))
        db.session.commit()
    factory.program(tree["root"], version, title="Program Selesai", days_open=(-60, -5))
    assert "<h2>Program Selesai" in page_text(client_for(world["staff"]["admin"]), "/laporan")


def test_dashboard_shows_running_programs_with_completion(app, world, factory, client_for, journeys_done):
    """Does the dashboard list the programs running today with their completion, and not the future one?"""
    version = factory.course(modules=1)
    factory.program(world["tree"]["root"], version, title="Program Tahun Depan", days_open=(200, 230))
    page = page_text(client_for(world["staff"]["admin"]), "/admin")
    assert "Sosialisasi Netralitas Pilkada" in page
    row = page.split("Sosialisasi Netralitas Pilkada", 1)[1].split("</tr>", 1)[0]
    assert "14.3%" in row  # one of seven targeted people (five staff of the Kabupaten, two more) is certified
    assert "Akan dimulai" in page and "Program Tahun Depan" in page.split("Akan dimulai", 1)[1]
    operator = page_text(client_for(world["staff"]["operator_a"]), "/admin")
    assert "Sosialisasi Netralitas Pilkada" in operator and "Log audit" not in operator


@pytest.fixture
def journeys_done(app, world, factory):
    """Two more people in the Kabupaten: one certified."""
    people = [factory.person(world["tree"]["a1"], password=None) for _ in range(2)]
    with app.test_request_context():
        add_journey(people[0].id, world["program"], modules=3, quiz=True, pact=True, certificate="valid")
        db.session.commit()
    return people


ADMIN_PAGES = ["/admin", "/admin/pegawai", "/admin/slip-login", "/laporan", "/admin/sertifikat/unduh",
               "/admin/unit", "/admin/impor", "/admin/kursus", "/admin/program", "/admin/soal", "/admin/pakta",
               "/admin/ikrar", "/admin/sertifikat/pengaturan", "/admin/api", "/admin/audit"]


def test_every_admin_page_is_in_the_navigation(app, world, client_for):
    """Is every admin page linked from the menu an admin sees on every page, and none for a participant?"""
    client = client_for(world["staff"]["admin"])
    nav = page_text(client, "/").split('<nav aria-label="Menu utama"', 1)[1].split("</nav>", 1)[0]
    links = set(re.findall(r'href="([^"]+)"', nav))
    assert set(ADMIN_PAGES) <= links, set(ADMIN_PAGES) - links
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url
    participant = page_text(client_for(world["staff"]["participant"]), "/")
    assert "/admin/audit" not in participant and "/admin/sertifikat" not in participant
