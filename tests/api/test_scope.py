"""Scope: a token sees what a user of the same scope sees, and everything else is 'not found'."""
from __future__ import annotations

from netral_learn.courses.models import Program
from netral_learn.extensions import db


def _names(response) -> set[str]:
    assert response.status_code == 200, response.json
    return {item["name"] for item in response.json["items"]}


def test_operator_token_sees_only_its_subtree(world, journeys, issue_token, api_get):
    """Does a token scoped to Dinas Pendidikan list only its people and count only its figures?"""
    tree, program = world["tree"], world["program"]
    _id, token = issue_token(tree["a"])
    names = _names(api_get(f"/programs/{program}/people", token, per_page=500))
    assert {"Ani Mulai", "Budi Kuis", "Citra Pakta", "Dodi Selesai"} <= names
    assert not names & {"Eka Dicabut", "Fajar PPPK", "Gita Kota", "Operator Kesehatan"}
    funnel = api_get(f"/programs/{program}/funnel", token).json
    assert funnel["unit"] == {"id": tree["a"].id, "name": "Dinas Pendidikan"}
    assert funnel["total"]["targeted"] == len(names)
    for unit in ("b", "b1", "root", "other"):
        for endpoint in ("funnel", "people"):
            response = api_get(f"/programs/{program}/{endpoint}", token, unit_id=tree[unit].id)
            assert response.status_code == 404 and response.json["status"] == 404


def test_other_instansi_program_is_not_found(world, issue_token, api_get):
    """Is another instansi's program answered 404 on every endpoint, as for a user, and left out of the list?"""
    _id, token = issue_token(world["tree"]["root"])
    other = world["other_program"]
    assert [p["id"] for p in api_get("/programs", token).json["items"]] == [world["program"]]
    for path in (f"/programs/{other}", f"/programs/{other}/funnel", f"/programs/{other}/people"):
        assert api_get(path, token).status_code == 404
    assert api_get(f"/programs/{world['program']}/funnel", token,
                   unit_id=world["tree"]["other_opd"].id).status_code == 404


def test_other_instansi_token_sees_nothing_of_ours(world, journeys, issue_token, api_get):
    """Does a token of Kota Lain see its own program and its own person only?"""
    _id, token = issue_token(world["tree"]["other"], by="admin_other")
    assert [p["id"] for p in api_get("/programs", token).json["items"]] == [world["other_program"]]
    assert api_get(f"/programs/{world['program']}", token).status_code == 404
    assert _names(api_get(f"/programs/{world['other_program']}/people", token)) >= {"Gita Kota"}
    assert "Ani Mulai" not in _names(api_get(f"/programs/{world['other_program']}/people", token))


def test_drafts_are_for_instansi_wide_tokens_only(app, world, issue_token, api_get):
    """Is a draft program listed for an instansi-wide token but not for a unit token, like admins and operators?"""
    with app.app_context():
        db.session.get(Program, world["program"]).published = False
        db.session.commit()
    _id, instansi_token = issue_token(world["tree"]["root"])
    _id, unit_token = issue_token(world["tree"]["a"])
    assert api_get(f"/programs/{world['program']}", instansi_token).json["published"] is False
    assert api_get("/programs", unit_token).json == {"items": []}
    assert api_get(f"/programs/{world['program']}", unit_token).status_code == 404


def test_ids_reveal_nothing(world, issue_token, api_get):
    """Are unknown and absurd program and unit ids plain 404s, never server errors?"""
    _id, token = issue_token(world["tree"]["root"])
    for program_id in (0, 999999, 2**31, 10**30):
        assert api_get(f"/programs/{program_id}", token).status_code == 404
    assert api_get(f"/programs/{world['program']}/funnel", token, unit_id=999999).status_code == 404


def test_bad_parameters_are_400(world, issue_token, api_get):
    """Are malformed or out-of-range parameters answered 400 with a JSON error?"""
    _id, token = issue_token(world["tree"]["root"])
    base = f"/programs/{world['program']}"
    for path, params in ((f"{base}/funnel", {"unit_id": "abc"}), (f"{base}/funnel", {"unit_id": 2**31}),
                         (f"{base}/people", {"page": 0}), (f"{base}/people", {"per_page": 501}),
                         (f"{base}/people", {"status": "selesai"}), (f"{base}/people", {"jenis": "pns"}),
                         (f"{base}/people", {"page": "-1"})):
        response = api_get(path, token, **params)
        assert response.status_code == 400, (path, params)
        assert set(response.json) == {"error", "status"} and response.json["status"] == 400
