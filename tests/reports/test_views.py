"""Report pages: who may open what, the dashboard without JavaScript, drill-down, and scope by URL."""
from __future__ import annotations

import json
import re

import pytest

from netral_learn.extensions import db

from .conftest import add_journey

# expected per actor: anonymous, participant, operator_a, operator_b, admin, admin_other, superadmin
ACTORS = ["anonymous", "participant", "operator_a", "operator_b", "admin", "admin_other", "superadmin"]
MATRIX = [
    ("GET", "/laporan", [302, 403, 200, 200, 200, 200, 200]),
    ("GET", "/laporan?program={program}", [302, 403, 200, 200, 200, 404, 200]),
    ("GET", "/laporan?program={program}&unit={other_opd}", [302, 403, 404, 404, 404, 404, 404]),
    ("GET", "/laporan?program={other_program}", [302, 403, 404, 404, 404, 200, 200]),
    ("GET", "/laporan?program=abc", [302, 403, 404, 404, 404, 404, 404]),
    ("GET", "/laporan/ekspor.xlsx?program={program}&unit={a}", [302, 403, 200, 404, 200, 404, 200]),
    ("GET", "/laporan/ekspor.csv?program={program}&unit={b}", [302, 403, 404, 200, 200, 404, 200]),
    ("GET", "/laporan/ekspor.pdf?program={program}&unit={a}", [302, 403, 200, 404, 200, 404, 200]),
    ("GET", "/laporan/ekspor.exe?program={program}", [302, 403, 404, 404, 404, 404, 404]),
    ("GET", "/laporan/tindak-lanjut?program={program}&unit={a1}", [302, 403, 200, 404, 200, 404, 200]),
    ("GET", "/laporan/tindak-lanjut.csv?program={program}&unit={b1}", [302, 403, 404, 200, 200, 404, 200]),
    ("GET", "/laporan/tindak-lanjut.xlsx?program={program}", [302, 403, 200, 200, 200, 404, 200]),
    ("POST", "/laporan/tindak-lanjut/pengingat?program={program}&unit={b}", [302, 403, 404, 302, 302, 404, 302]),
    ("GET", "/laporan/hitung-ulang?program={program}", [405, 405, 405, 405, 405, 405, 405]),
]


@pytest.mark.parametrize("method, url, expected", MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_access_by_query(app, world, client_for, method, url, expected):
    """Does each role get exactly the answer it should for each program, unit and format asked for in
    the query, with 404 outside its scope (the plain routes are in tests/test_route_matrix.py)?"""
    tree = world["tree"]
    url = url.format(program=world["program"], other_program=world["other_program"], a=tree["a"].id,
                     b=tree["b"].id, a1=tree["a1"].id, b1=tree["b1"].id, other_opd=tree["other_opd"].id)
    for actor, status in zip(ACTORS, expected):
        client = app.test_client() if actor == "anonymous" else client_for(world["staff"][actor])
        response = client.open(url, method=method, data={})
        assert response.status_code == status, f"{actor} {method} {url}: {response.status_code} != {status}"


def test_operator_dashboard_shows_their_subtree_only(app, world, client_for):
    """Does an operator's report list their OPD's sub-units and never another OPD's, even by name?"""
    client = client_for(world["staff"]["operator_a"])
    page = client.get("/laporan").get_data(as_text=True)
    assert "Sosialisasi Netralitas Pilkada" in page
    assert "Dinas Kesehatan" not in page and "Program Kota Lain" not in page
    assert "Sekretariat" in page and "Langsung di Dinas Pendidikan" in page
    assert "Data per" in page


def test_dashboard_works_without_javascript_and_feeds_the_charts(app, world, client_for):
    """Is the table in the HTML (charts hidden until JS), with chart data as a JSON block and no inline script?"""
    with app.test_request_context():
        add_journey(world["staff"]["participant"].id, world["program"], modules=3, quiz=True, pact=True,
                    certificate="valid", score=90, pretest=60)
        db.session.commit()
    client = client_for(world["staff"]["admin"])
    response = client.get(f"/laporan?program={world['program']}")
    page = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert re.search(r"<table class=\"stack funnel\">", page)
    assert 'data-chart="units"' in page and "hidden" in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert all('type="application/json"' in attrs or not body.strip() for attrs, body in scripts)
    assert any("vendor/chartjs/chart.umd.min.js" in attrs for attrs, _body in scripts)
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1))
    assert data["units"]["labels"] == ["Dinas Kesehatan", "Dinas Pendidikan", "Langsung di Pemerintah Kabupaten Uji"]
    assert data["units"]["percent"][1] == 50.0  # the participant of two targeted people in Dinas Pendidikan
    assert [s["values"][-1] for s in data["timeline"]["series"]] == [1, 1, 1, 1, 1]
    assert "kenaikan 30,0 poin" in page


def test_drill_down_links_and_breadcrumb(app, world, client_for):
    """Does a child unit link one level down, and the breadcrumb lead back up to the admin's instansi?"""
    client = client_for(world["staff"]["admin"])
    tree, program = world["tree"], world["program"]
    top = client.get(f"/laporan?program={program}").get_data(as_text=True)
    assert f'/laporan?program={program}&amp;unit={tree["a"].id}' in top
    page = client.get(f"/laporan?program={program}&unit={tree['a'].id}").get_data(as_text=True)
    assert f'/laporan?program={program}&amp;unit={tree["root"].id}' in page
    assert '<span aria-current="page">Dinas Pendidikan</span>' in page


def test_operator_breadcrumb_starts_at_their_scope(app, world, client_for):
    """Does an operator's breadcrumb begin at their own OPD (the instansi is not theirs to open)?"""
    client = client_for(world["staff"]["operator_a"])
    page = client.get(f"/laporan?program={world['program']}&unit={world['tree']['a1'].id}").get_data(as_text=True)
    crumbs = re.search(r'<ol class="breadcrumb">(.*?)</ol>', page, re.S).group(1)
    assert "Dinas Pendidikan" in crumbs and "Pemerintah Kabupaten Uji" not in crumbs


def test_staff_see_the_laporan_link(world, client_for):
    """Is 'Laporan' in the menu for staff and absent for a participant?"""
    assert ">Laporan</a>" in client_for(world["staff"]["operator_a"]).get("/").get_data(as_text=True)
    assert ">Laporan</a>" not in client_for(world["staff"]["participant"]).get("/").get_data(as_text=True)


def test_draft_programs_are_for_admins_only(app, world, factory, client_for):
    """Is an unpublished program offered to the admin (marked draf) but hidden from operators?"""
    version = factory.course(modules=1)
    draft = factory.program(world["tree"]["root"], version, published=False, title="Program Rancangan")
    assert "Program Rancangan (draf)" in client_for(world["staff"]["admin"]).get("/laporan").get_data(as_text=True)
    operator = client_for(world["staff"]["operator_a"])
    assert "Program Rancangan" not in operator.get("/laporan").get_data(as_text=True)
    assert operator.get(f"/laporan?program={draft}").status_code == 404


def test_operator_does_not_see_programs_that_target_other_opds(app, world, factory, client_for):
    """Is a program aimed only at Dinas Kesehatan missing from the Dinas Pendidikan operator's picker?"""
    version = factory.course(modules=1)
    program = factory.program(world["tree"]["root"], version, targets=[world["tree"]["b"]], title="Khusus Kesehatan")
    assert "Khusus Kesehatan" not in client_for(world["staff"]["operator_a"]).get("/laporan").get_data(as_text=True)
    assert "Khusus Kesehatan" in client_for(world["staff"]["operator_b"]).get("/laporan").get_data(as_text=True)
    assert client_for(world["staff"]["operator_a"]).get(f"/laporan?program={program}").status_code == 404


def test_english_interface(world, client_for):
    """Does the page still render when the English interface is chosen?"""
    client = client_for(world["staff"]["admin"])
    client.post("/bahasa/en", data={"next": "/laporan"})
    assert client.get("/laporan").status_code == 200


def test_no_program_yet_shows_a_friendly_empty_page(app, factory, client_for):
    """Does an admin of an instansi without programs get an explanation instead of an error?"""
    instansi = factory.unit("Kabupaten Baru")
    admin = factory.person(instansi, role="admin", scope=instansi)
    page = client_for(admin).get("/laporan")
    assert page.status_code == 200 and "Belum ada program" in page.get_data(as_text=True)
    assert client_for(admin).get("/laporan/tindak-lanjut").status_code == 404
