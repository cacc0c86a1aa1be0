"""Unit tree: materialized paths, moving a subtree, deactivating, names."""
import pytest
from sqlalchemy import select

from netral_learn.accounts import units
from netral_learn.accounts.models import Person, Unit
from netral_learn.core.errors import InvalidInput
from netral_learn.accounts.scope import subtree_clause
from netral_learn.extensions import db


def load(unit):
    return db.session.get(Unit, unit.id)


def test_paths_describe_the_tree(ctx, factory):
    """Does each unit's path list its ancestors, so a subtree is one range query?"""
    tree = factory.tree()
    a1 = load(tree["a1"])
    assert a1.path == f"/{tree['root'].id}/{tree['a'].id}/{a1.id}/" and a1.depth == 2
    inside = db.session.scalars(select(Unit.name).where(subtree_clause(Unit.path, load(tree["a"]).path))).all()
    assert sorted(inside) == ["Dinas Pendidikan", "Sekretariat"]


def test_moving_a_unit_moves_its_subtree(ctx, factory):
    """When a unit moves, do all its descendants' paths and depths follow?"""
    tree = factory.tree()
    deep = factory.unit("Seksi Kurikulum", tree["a1"])
    units.move_unit(None, load(tree["a1"]), load(tree["b1"]))
    db.session.commit()
    a1, deep = load(tree["a1"]), load(deep)
    assert a1.parent_id == tree["b1"].id
    assert a1.path == f"{load(tree['b1']).path}{a1.id}/" and a1.depth == 3
    assert deep.path == f"{a1.path}{deep.id}/" and deep.depth == 4


def test_move_refuses_cycles_and_other_instansi(ctx, factory):
    """Is moving a unit under its own descendant, or into another instansi, refused?"""
    tree = factory.tree()
    with pytest.raises(InvalidInput, match="sub-unit"):
        units.move_unit(None, load(tree["a"]), load(tree["a1"]))
    with pytest.raises(InvalidInput, match="instansi yang sama"):
        units.move_unit(None, load(tree["a"]), load(tree["other"]))
    with pytest.raises(InvalidInput, match="tidak dapat dipindahkan"):
        units.move_unit(None, load(tree["root"]), load(tree["other"]))


def test_sibling_names_are_unique_but_cousins_may_share(ctx, factory):
    """May two OPDs each have a 'Sekretariat', but one OPD not have two?"""
    tree = factory.tree()
    with pytest.raises(InvalidInput, match="Sudah ada"):
        units.create_unit(None, load(tree["a"]), "sekretariat")


def test_deactivate_refused_while_people_remain_then_cascades(ctx, factory):
    """Is a unit with active people kept active, and an empty one deactivated with its subtree?"""
    tree = factory.tree()
    person = factory.person(tree["a1"])
    with pytest.raises(InvalidInput, match="1 pegawai aktif"):
        units.set_unit_active(None, load(tree["a"]), False)
    db.session.get(Person, person.id).active = False
    units.set_unit_active(None, load(tree["a"]), False)
    db.session.commit()
    assert not load(tree["a"]).active and not load(tree["a1"]).active
    with pytest.raises(InvalidInput, match="induk"):
        units.set_unit_active(None, load(tree["a1"]), True)


def test_admin_pages_create_rename_and_move(app, client, factory, login_as):
    """Through the pages: can an admin add a sub-unit, rename it and move it?"""
    tree = factory.tree()
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    response = client.post("/admin/unit/baru", data={"parent": tree["a"].id, "name": "Bidang SMP", "code": "",
                                                     "timezone": "Asia/Makassar"})
    assert response.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(Unit).where(Unit.name == "Bidang SMP"))
    response = client.post(f"/admin/unit/{new.id}", data={"rename-name": "Bidang Pembinaan SMP", "rename-code": "SMP-01"})
    assert response.status_code == 302
    response = client.post(f"/admin/unit/{new.id}", data={"move-new_parent": tree["b"].id})
    assert response.status_code == 302
    with app.app_context():
        moved = db.session.get(Unit, new.id)
        assert (moved.name, moved.code, moved.parent_id) == ("Bidang Pembinaan SMP", "SMP-01", tree["b"].id)
    tree_page = client.get("/admin/unit").get_data(as_text=True)
    assert "Bidang Pembinaan SMP" in tree_page and "Pemerintah Kota Lain" not in tree_page


def test_duplicate_name_in_page_shows_message(app, client, factory, login_as):
    """Does the create page show the Indonesian message for a duplicate sibling name?"""
    tree = factory.tree()
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    response = client.post("/admin/unit/baru", data={"parent": tree["a"].id, "name": "Sekretariat"})
    assert response.status_code == 200 and "Sudah ada unit" in response.get_data(as_text=True)
