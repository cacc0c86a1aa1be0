"""Scope: no way around it by guessing ids or filters (the route × role matrix is tests/test_route_matrix.py)."""
import pytest

from netral_learn.accounts.models import Person, Role
from netral_learn.accounts.scope import may_manage_person, may_view_person
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
