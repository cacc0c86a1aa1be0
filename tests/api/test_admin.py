"""The API token pages: admins of an instansi create (token shown once) and revoke its tokens; nobody else."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from netral_learn.api.models import ApiClient
from netral_learn.core.audit import AuditEvent
from netral_learn.extensions import db

from ..conftest import make_app
from ..factories import Factory


def _create(client, unit, name="SIMPEG Kabupaten", expires_on=""):
    return client.post("/admin/api/baru", data={"name": name, "scope_unit": unit.id, "expires_on": expires_on})


def _token_in(page: str) -> str:
    return re.search(r'id="token" type="text" class="mono" value="(nlk_[^"]+)"', page).group(1)


def test_admin_creates_a_token_shown_once(app, world, client_for, api_get):
    """Is the new token shown on the page after creating it, working, audited, and never shown again?"""
    client = client_for(world["staff"]["admin"])
    form = client.get("/admin/api/baru").get_data(as_text=True)
    assert 'name="csrf_token"' in form and "Dinas Pendidikan" in form and "Kota Lain" not in form
    response = _create(client, world["tree"]["a"], expires_on="2099-12-31")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "hanya ditampilkan sekali" in page
    assert response.headers["Cache-Control"] == "no-store"
    token = _token_in(page)
    assert api_get("/programs", token).status_code == 200
    listing = client.get("/admin/api").get_data(as_text=True)
    assert "SIMPEG Kabupaten" in listing and token[:12] in listing and token not in listing
    assert "Dinas Pendidikan" in listing and "2099" in listing
    with app.app_context():
        stored = db.session.scalar(select(ApiClient))
        assert stored.scope_unit_id == world["tree"]["a"].id and stored.instansi_id == world["tree"]["root"].id
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.client.create")).actor_id \
            == world["staff"]["admin"].id


def test_create_refuses_a_past_expiry_and_an_empty_name(world, client_for):
    """Are an expiry in the past and a blank name refused with a message, creating nothing?"""
    client = client_for(world["staff"]["admin"])
    page = _create(client, world["tree"]["root"], expires_on="2020-01-01").get_data(as_text=True)
    assert "harus di masa depan" in page and "nlk_" not in page
    assert "Nama klien wajib diisi" in _create(client, world["tree"]["root"], name="  ").get_data(as_text=True)
    assert "Belum ada token API" in client.get("/admin/api").get_data(as_text=True)


def test_admin_revokes_after_confirming(app, world, client_for, issue_token, api_get):
    """Does revoking ask first (GET changes nothing), then stop the token at once?"""
    client_id, token = issue_token(world["tree"]["root"])
    client = client_for(world["staff"]["admin"])
    confirm = client.get(f"/admin/api/{client_id}/cabut")
    assert confirm.status_code == 200 and "tidak dapat dibatalkan" in confirm.get_data(as_text=True)
    assert api_get("/programs", token).status_code == 200
    response = client.post(f"/admin/api/{client_id}/cabut", follow_redirects=True)
    assert "dicabut" in response.get_data(as_text=True)
    assert api_get("/programs", token).status_code == 401
    again = client.post(f"/admin/api/{client_id}/cabut", follow_redirects=True)
    assert "sudah dicabut" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ApiClient, client_id).revoked_by_id == world["staff"]["admin"].id


def test_other_instansi_admin_cannot_see_or_revoke(world, client_for, issue_token, api_get):
    """Is another instansi's token invisible (404) to an admin, and a unit of theirs no choice for a new one?"""
    client_id, token = issue_token(world["tree"]["root"])
    client = client_for(world["staff"]["admin_other"])
    assert "SIMPEG" not in client.get("/admin/api").get_data(as_text=True)
    assert client.get(f"/admin/api/{client_id}/cabut").status_code == 404
    assert client.post(f"/admin/api/{client_id}/cabut").status_code == 404
    assert _create(client, world["tree"]["a"]).status_code == 200  # re-rendered: not a valid choice
    assert api_get("/programs", token).status_code == 200


@pytest.mark.parametrize("who", ["operator_a", "participant"])
@pytest.mark.parametrize("path", ["/admin/api", "/admin/api/baru", "/admin/api/dokumentasi"])
def test_non_admins_are_forbidden(world, client_for, who, path):
    """Is every token page refused (403) to operators and participants?"""
    assert client_for(world["staff"][who]).get(path).status_code == 403


def test_non_admins_cannot_post(world, client_for, issue_token):
    """Can an operator neither create nor revoke a token by posting directly?"""
    client_id, _token = issue_token(world["tree"]["root"])
    client = client_for(world["staff"]["operator_a"])
    assert _create(client, world["tree"]["a"]).status_code == 403
    assert client.post(f"/admin/api/{client_id}/cabut").status_code == 403


def test_token_forms_carry_csrf(tmp_root, app, world, issue_token):
    """With CSRF on, are a create or revoke post without their token refused, changing nothing?"""
    client_id, _token = issue_token(world["tree"]["root"])
    csrf_app = make_app(tmp_root, WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    login_page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/masuk", data={"nip": world["staff"]["admin"].nip, "password": Factory.PASSWORD, "csrf_token": token})
    assert 'name="csrf_token"' in client.get(f"/admin/api/{client_id}/cabut").get_data(as_text=True)
    assert _create(client, world["tree"]["a"]).status_code == 400
    assert client.post(f"/admin/api/{client_id}/cabut").status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(select(ApiClient.revoked_at)) is None
        assert len(db.session.scalars(select(ApiClient)).all()) == 1


def test_admin_menu_and_docs_page(world, client_for):
    """Does an admin find the API page in the menu, and its endpoints and the OpenAPI link on the docs page?"""
    client = client_for(world["staff"]["admin"])
    assert 'href="/admin/api"' in client.get("/").get_data(as_text=True)
    assert 'href="/admin/api"' not in client_for(world["staff"]["operator_a"]).get("/").get_data(as_text=True)
    page = client.get("/admin/api/dokumentasi").get_data(as_text=True)
    assert 'href="/api/v1/openapi.json"' in page and "/api/v1/programs/{program_id}/people" in page
    assert "Authorization: Bearer &lt;token&gt;" in page
