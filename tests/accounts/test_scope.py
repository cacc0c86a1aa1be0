"""The access matrix: every route × every role, and no way around scope by guessing ids."""
import pytest

from netral_learn.accounts.models import Person, Role
from netral_learn.core.scope import may_manage_person, may_view_person
from netral_learn.extensions import db


@pytest.fixture
def world(factory):
    """Two instansi; actors of every role; a target person in Dinas Pendidikan › Sekretariat."""
    tree = factory.tree()
    actors = {
        "participant": factory.person(tree["a1"]),
        "operator_a": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]),
        "operator_b": factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"]),
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]),
        "superadmin": factory.person(tree["root"], role=Role.SUPERADMIN),
    }
    target = factory.person(tree["a1"], name="Target Orang")
    return {"tree": tree, "actors": actors, "target": target}


# expected status per actor: anonymous, participant, operator_a, operator_b, admin, admin_other, superadmin
ACTORS = ["anonymous", "participant", "operator_a", "operator_b", "admin", "admin_other", "superadmin"]
MATRIX = [
    ("GET", "/admin/pegawai", [302, 403, 200, 200, 200, 200, 200]),
    ("GET", "/admin/pegawai/{target}", [302, 403, 200, 404, 200, 404, 200]),
    ("GET", "/admin/pegawai/{target}/slip.pdf", [302, 403, 302, 404, 302, 404, 302]),
    ("POST", "/admin/pegawai/{target}/reset-sandi", [302, 403, 200, 404, 200, 404, 200]),
    ("POST", "/admin/pegawai/{target}/buka-kunci", [302, 403, 302, 404, 302, 404, 302]),
    ("POST", "/admin/pegawai/{target}/nonaktifkan", [302, 403, 302, 404, 302, 404, 302]),
    ("POST", "/admin/pegawai/{target}/aktifkan", [302, 403, 302, 404, 302, 404, 302]),
    ("POST", "/admin/pegawai/{target}/atur-sandi", [302, 403, 400, 404, 400, 404, 400]),
    ("GET", "/admin/slip-login", [302, 403, 200, 200, 200, 200, 200]),
    ("POST", "/admin/slip-login/perbarui", [302, 403, 302, 302, 302, 302, 302]),
    ("GET", "/admin/pegawai/baru", [302, 403, 200, 200, 200, 200, 200]),
    ("GET", "/admin/pegawai/{target}/ubah", [302, 403, 200, 404, 200, 404, 200]),
    ("POST", "/admin/pegawai/{target}/ubah", [302, 403, 400, 404, 400, 404, 400]),
    ("GET", "/admin/instansi", [302, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/instansi/baru", [302, 403, 403, 403, 403, 403, 200]),
    ("GET", "/aktivasi/tautan-yang-tidak-ada", [404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/admin/unit", [302, 403, 403, 403, 200, 200, 200]),
    ("GET", "/admin/unit/{unit_a}", [302, 403, 403, 403, 200, 404, 200]),
    ("POST", "/admin/unit/{unit_a}/status", [302, 403, 403, 403, 302, 404, 302]),
    ("GET", "/admin/unit/baru", [302, 403, 403, 403, 200, 200, 200]),
    ("GET", "/admin/impor", [302, 403, 403, 403, 200, 200, 200]),
    ("GET", "/admin/impor/templat.xlsx", [302, 403, 403, 403, 200, 200, 200]),
    ("GET", "/", [302, 200, 200, 200, 200, 200, 200]),
]


@pytest.mark.parametrize("method, url, expected", MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_access_matrix(app, world, login_as, method, url, expected):
    """Does each role get exactly the answer it should on each route?"""
    url = url.format(target=world["target"].id, unit_a=world["tree"]["a"].id)
    for actor_name, status in zip(ACTORS, expected):
        client = app.test_client()
        if actor_name != "anonymous":
            client.post("/masuk", data={"nip": world["actors"][actor_name].nip, "password": "Kuat#Sandi-2026"})
        response = client.open(url, method=method, data={"active": "1"})
        assert response.status_code == status, f"{actor_name} {method} {url}: {response.status_code} != {status}"


def test_operator_list_shows_only_their_subtree(app, world, login_as, client):
    """Does an operator's people list contain their subtree and nothing else?"""
    login_as(world["actors"]["operator_a"])
    page = client.get("/admin/pegawai?status=all").get_data(as_text=True)
    assert "Target Orang" in page
    assert world["actors"]["operator_b"].name not in page
    assert world["actors"]["admin_other"].name not in page


def test_guessing_ids_reveals_nothing(app, world, client, login_as):
    """Do all ids outside an operator's subtree answer 404, whether they exist or not?"""
    login_as(world["actors"]["operator_b"])
    with app.app_context():
        ids = [p.id for p in db.session.query(Person)]
    top = max(ids) + 5
    for person_id in range(1, top):
        status = client.get(f"/admin/pegawai/{person_id}").status_code
        with app.app_context():
            person = db.session.get(Person, person_id)
            inside = person is not None and person.unit.path.startswith(world["tree"]["b"].path)
        assert status == (200 if inside else 404), person_id


def test_people_filter_by_unit_outside_scope_is_ignored(app, world, client, login_as):
    """Can an operator widen the list by passing another unit's id in the filter?"""
    login_as(world["actors"]["operator_b"])
    page = client.get(f"/admin/pegawai?unit={world['tree']['a'].id}&status=all").get_data(as_text=True)
    assert "Target Orang" not in page


def test_operator_cannot_manage_equal_or_higher_rank(ctx, world):
    """Can an operator reset another operator's or an admin's password? (No.)"""
    actors = world["actors"]
    operator = db.session.get(Person, actors["operator_a"].id)
    peer = db.session.get(Person, actors["operator_b"].id)
    admin = db.session.get(Person, actors["admin"].id)
    target = db.session.get(Person, world["target"].id)
    assert may_manage_person(operator, target)
    assert not may_manage_person(operator, admin)
    assert not may_view_person(operator, peer)
    assert not may_manage_person(admin, db.session.get(Person, actors["superadmin"].id))


def test_admin_cannot_grant_admin(app, world, client, login_as):
    """Can an admin make someone else an admin? (Only a superadmin can.)"""
    login_as(world["actors"]["admin"])
    target = world["target"]
    response = client.post(f"/admin/pegawai/{target.id}/peran",
                           data={"role": "admin", "scope_unit": world["tree"]["root"].id})
    assert response.status_code == 403
    response = client.post(f"/admin/pegawai/{target.id}/peran",
                           data={"role": "operator", "scope_unit": world["tree"]["a"].id})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Person, target.id).role == Role.OPERATOR
