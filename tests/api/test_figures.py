"""The figures: the funnel JSON is the report service's funnel, and the people list says how far each got."""
from __future__ import annotations

import pytest

from netral_learn.accounts.models import Unit
from netral_learn.courses.models import Program
from netral_learn.extensions import db
from netral_learn.reports.funnel import STEPS
from netral_learn.reports.services import funnel_report

from ..reports.conftest import START


def _service_rows(rows) -> list[tuple]:
    return [(row.key, row.label, row.targeted, *(row.count(step) for step in STEPS), row.scored, row.average_score,
             tuple(row.bands), row.paired, row.average_pre, row.average_post, row.average_gain) for row in rows]


def _json_rows(rows, key: str) -> list[tuple]:
    return [(row[key], row["label"], row["targeted"], *(row["counts"][step] for step in STEPS),
             row["scores"]["scored"], row["scores"]["average"], tuple(b["count"] for b in row["scores"]["bands"]),
             row["scores"]["paired"], row["scores"]["average_pre"], row["scores"]["average_post"],
             row["scores"]["average_gain"]) for row in rows]


@pytest.mark.parametrize("unit_key", ["root", "a", "b1"])
def test_funnel_equals_the_report_service(app, world, journeys, issue_token, api_get, unit_key):
    """Does /funnel give, row for row, the figures of reports.services.funnel_report?"""
    _id, token = issue_token(world["tree"]["root"])
    unit_id = world["tree"][unit_key].id
    body = api_get(f"/programs/{world['program']}/funnel", token, unit_id=unit_id).json
    with app.test_request_context():
        report = funnel_report(db.session.get(Program, world["program"]), db.session.get(Unit, unit_id))
        expected = {"total": _service_rows([report.total]), "children": _service_rows(report.children),
                    "by_jenis": _service_rows(report.by_jenis), "by_golongan": _service_rows(report.by_golongan)}
    total = body["total"]
    assert _json_rows([{**total, "unit": total["unit"]["id"]}], "unit") == expected["total"]
    assert _json_rows(body["children"], "unit_id") == expected["children"]
    assert _json_rows(body["by_jenis"], "jenis") == expected["by_jenis"]
    assert _json_rows(body["by_golongan"], "golongan") == expected["by_golongan"]
    assert body["steps"] == list(STEPS) and body["timezone"] == "Asia/Makassar" and body["as_of"]


def test_funnel_of_the_instansi_in_numbers(world, journeys, issue_token, api_get):
    """Do the instansi's totals say what a person would count by hand (a revoked certificate does not count)?"""
    _id, token = issue_token(world["tree"]["root"])
    total = api_get(f"/programs/{world['program']}/funnel", token).json["total"]
    # 6 staff of Kabupaten Uji (the other admin sits in Kota Lain) + 6 people of the fixture.
    assert total["targeted"] == 5 + 6
    assert total["counts"] == {"started": 5, "modules": 4, "quiz": 3, "pact": 3, "certificate": 1}
    assert total["percent"]["certificate"] == round(100 / 11, 1)
    assert total["scores"]["scored"] == 4 and total["scores"]["average"] == round((55 + 85 + 95 + 75) / 4, 1)
    assert total["scores"]["paired"] == 2 and total["scores"]["average_gain"] == round((25 + 35) / 2, 1)


def test_people_say_how_far_each_got(world, journeys, issue_token, api_get):
    """Does each person show their furthest step and when they reached each step?"""
    _id, token = issue_token(world["tree"]["root"])
    body = api_get(f"/programs/{world['program']}/people", token, per_page=500).json
    people = {p["name"]: p for p in body["items"]}
    assert {name: people[name]["status"] for name in journeys if name in people} == {
        "Ani Mulai": "started", "Budi Kuis": "modules", "Citra Pakta": "pact", "Dodi Selesai": "certificate",
        "Eka Dicabut": "pact", "Fajar PPPK": "not_started"}
    dodi = people["Dodi Selesai"]
    assert dodi["nip"] == journeys["Dodi Selesai"].nip and dodi["jenis"] == "PNS" and dodi["golongan"] == "IV/a"
    assert dodi["unit"] == {"id": world["tree"]["a1"].id, "name": "Sekretariat"}
    assert dodi["steps"]["started"].startswith(START.isoformat()[:19])
    assert all(dodi["steps"][step] for step in STEPS) and dodi["quiz_best_score"] == 95
    assert dodi["certificate_number"].startswith("800/")
    assert people["Fajar PPPK"]["steps"] == dict.fromkeys(STEPS)
    assert people["Eka Dicabut"]["certificate_number"] is None
    assert body["total"] == len(people) == 11


def test_people_filter_and_pages(world, journeys, issue_token, api_get):
    """Do status and jenis filters narrow the list, and do pages cover it exactly once?"""
    _id, token = issue_token(world["tree"]["root"])
    path = f"/programs/{world['program']}/people"
    pact = api_get(path, token, status="pact").json
    assert {p["name"] for p in pact["items"]} == {"Citra Pakta", "Eka Dicabut"} and pact["total"] == 2
    assert [p["name"] for p in api_get(path, token, jenis="PPPK").json["items"]] == ["Fajar PPPK"]
    seen, page = [], 1
    while True:
        body = api_get(path, token, per_page=4, page=page).json
        assert body["pages"] == 3 and body["per_page"] == 4
        if not body["items"]:
            break
        seen += [p["nip"] for p in body["items"]]
        page += 1
    assert page == 4 and len(seen) == len(set(seen)) == 11


def test_program_json(world, issue_token, api_get):
    """Does a program read as its title, instansi, dates and target jenis?"""
    _id, token = issue_token(world["tree"]["root"])
    body = api_get(f"/programs/{world['program']}", token).json
    assert body["title"] == "Sosialisasi Netralitas Pilkada" and body["published"] is True
    assert body["instansi"] == {"id": world["tree"]["root"].id, "name": "Pemerintah Kabupaten Uji"}
    assert body["jenis"] == ["NON_ASN", "PNS", "PPPK"] and body["starts_on"] < body["ends_on"]
    assert api_get("/programs", token).json["items"] == [body]
