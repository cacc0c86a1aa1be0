"""Certificate status for integration clients: scoped like the people list, valid and revoked, no reason."""
from __future__ import annotations

from netral_learn.accounts.models import Person


def test_certificate_status_is_read_in_the_tokens_scope(app, world, journeys, issue_token, api_get):
    """Does an instansi-wide token see valid and revoked certificates (date, verification URL, status list
    entry, never the reason), and a Dinas Pendidikan token only its own people's?"""
    tree, program = world["tree"], world["program"]
    _id, token = issue_token(tree["root"])
    response = api_get(f"/programs/{program}/certificates", token)
    assert response.status_code == 200
    items = {item["name"]: item for item in response.json["items"]}
    assert set(items) == {"Dodi Selesai", "Eka Dicabut"} and response.json["total"] == 2
    assert items["Dodi Selesai"]["status"] == "valid" and items["Dodi Selesai"]["revoked_at"] is None
    revoked = items["Eka Dicabut"]
    assert revoked["status"] == "revoked" and revoked["revoked_at"]
    assert revoked["verify_url"].startswith(app.config["SITE_URL"] + "/verifikasi/")
    assert revoked["credential_status"]["status_list"] == f"{app.config['SITE_URL']}/kredensial/status/{tree['root'].id}"
    assert "reason" not in str(response.json).lower() and "Data ganda" not in response.get_data(as_text=True)
    only_revoked = api_get(f"/programs/{program}/certificates", token, status="revoked").json["items"]
    assert [item["name"] for item in only_revoked] == ["Eka Dicabut"]
    by_nip = api_get(f"/programs/{program}/certificates", token, nip=journeys["Dodi Selesai"].nip).json["items"]
    assert [item["name"] for item in by_nip] == ["Dodi Selesai"]

    _id, narrow = issue_token(tree["a"])
    assert [i["name"] for i in api_get(f"/programs/{program}/certificates", narrow).json["items"]] == ["Dodi Selesai"]
    assert api_get(f"/programs/{program}/certificates", narrow, unit_id=tree["b1"].id).status_code == 404
    assert api_get(f"/programs/{world['other_program']}/certificates", narrow).status_code == 404
    assert api_get(f"/programs/{program}/certificates", narrow, nip="19 85'; --").status_code == 400
    assert api_get(f"/programs/{program}/certificates", None).status_code == 401
    assert isinstance(journeys["Dodi Selesai"], Person)
