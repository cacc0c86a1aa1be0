"""Unit kerja tree operations: create, rename, move (with its subtree), (de)activate."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, update

from ..core import audit
from ..core.errors import InvalidInput
from .scope import subtree_clause, units_in_scope
from ..extensions import db
from .models import Person, Unit

ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_l("Nama unit wajib diisi."))
    if len(name) > 200:
        raise InvalidInput(_l("Nama unit maksimal 200 karakter."))
    return name


def _check_sibling_name(parent_id: int | None, name: str, exclude_id: int | None = None) -> None:
    query = select(Unit.id).where(Unit.parent_id.is_(parent_id) if parent_id is None else Unit.parent_id == parent_id)
    query = query.where(func.lower(Unit.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Unit.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise InvalidInput(_l("Sudah ada unit bernama \u201c%(name)s\u201d di tingkat yang sama.", name=name))


def _check_code(code: str | None, exclude_id: int | None = None) -> str | None:
    code = (code or "").strip() or None
    if code is None:
        return None
    query = select(Unit.id).where(Unit.code == code)
    if exclude_id is not None:
        query = query.where(Unit.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise InvalidInput(_l("Kode unit %(code)s sudah dipakai unit lain.", code=code))
    return code


def create_unit(actor, parent: Unit | None, name: str, code: str | None = None,
                timezone: str | None = None) -> Unit:
    """Add a unit under ``parent`` (or a new instansi when ``parent`` is None)."""
    name = _clean_name(name)
    _check_sibling_name(parent.id if parent else None, name)
    if parent is None and timezone not in ZONES:
        raise InvalidInput(_l("Pilih zona waktu instansi (WIB, WITA atau WIT)."))
    if parent is not None and not parent.active:
        raise InvalidInput(_l("Unit induk tidak aktif."))
    unit = Unit(
        parent_id=parent.id if parent else None,
        name=name,
        code=_check_code(code),
        depth=parent.depth + 1 if parent else 0,
        timezone=timezone if parent is None else None,
        path="",
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    audit.record(actor, "unit.create", f"unit:{unit.id}", name=name, parent=unit.parent_id)
    return unit


def rename_unit(actor, unit: Unit, name: str, code: str | None = None) -> Unit:
    """Change a unit's name (and code); its place in the tree stays."""
    name = _clean_name(name)
    _check_sibling_name(unit.parent_id, name, exclude_id=unit.id)
    old = unit.name
    unit.name = name
    unit.code = _check_code(code, exclude_id=unit.id)
    db.session.flush()
    audit.record(actor, "unit.rename", f"unit:{unit.id}", old=old, new=name)
    return unit


def move_unit(actor, unit: Unit, new_parent: Unit) -> Unit:
    """Move ``unit`` and its whole subtree under ``new_parent`` (one UPDATE of the paths)."""
    if unit.parent_id is None:
        raise InvalidInput(_l("Instansi (unit puncak) tidak dapat dipindahkan."))
    if new_parent.path.startswith(unit.path):
        raise InvalidInput(_l("Unit tidak dapat dipindahkan ke dirinya sendiri atau ke sub-unitnya."))
    if new_parent.root_id != unit.root_id:
        raise InvalidInput(_l("Unit hanya dapat dipindahkan di dalam instansi yang sama."))
    if not new_parent.active:
        raise InvalidInput(_l("Unit tujuan tidak aktif."))
    if new_parent.id == unit.parent_id:
        return unit
    _check_sibling_name(new_parent.id, unit.name, exclude_id=unit.id)
    old_path, new_path = unit.path, f"{new_parent.path}{unit.id}/"
    depth_delta = new_parent.depth + 1 - unit.depth
    db.session.execute(
        update(Unit)
        .where(subtree_clause(Unit.path, old_path))
        .values(
            path=literal(new_path) + func.substr(Unit.path, len(old_path) + 1),
            depth=Unit.depth + depth_delta,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Unit).where(Unit.id == unit.id).values(parent_id=new_parent.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    audit.record(actor, "unit.move", f"unit:{unit.id}", old_path=old_path, new_path=new_path)
    return db.session.get(Unit, unit.id)


def set_unit_active(actor, unit: Unit, active: bool) -> Unit:
    """Deactivate a unit with its subtree (refused while active people remain), or reactivate it."""
    if active:
        if unit.parent is not None and not unit.parent.active:
            raise InvalidInput(_l("Aktifkan dulu unit induknya."))
        unit.active = True
    else:
        people = db.session.scalar(
            select(func.count(Person.id)).join(Person.unit)
            .where(subtree_clause(Unit.path, unit.path), Person.active.is_(True))
        )
        if people:
            raise InvalidInput(_l(
                "Masih ada %(n)d pegawai aktif di unit ini atau sub-unitnya. Pindahkan atau "
                "nonaktifkan mereka terlebih dahulu.", n=people))
        db.session.execute(
            update(Unit).where(subtree_clause(Unit.path, unit.path)).values(active=False)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(unit)
    db.session.flush()
    audit.record(actor, "unit.activate" if active else "unit.deactivate", f"unit:{unit.id}")
    return unit


@dataclass
class TreeNode:
    unit: Unit
    children: list["TreeNode"] = field(default_factory=list)


def build_tree(units: list[Unit]) -> list[TreeNode]:
    """Nest a flat list of units (any order) into trees sorted by name; top nodes are those
    whose parent is not in the list."""
    nodes = {u.id: TreeNode(u) for u in units}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id)
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.unit.name.lower())
    roots.sort(key=lambda n: n.unit.name.lower())
    return roots


def unit_label(unit: Unit, names_by_id: dict[int, str]) -> str:
    """Full path of names, e.g. 'Pemkab Paser › Dinas Pendidikan › Sekretariat'."""
    return " \u203a ".join(names_by_id.get(i, "?") for i in unit.ancestor_ids)


def unit_options(actor) -> list[tuple[int, str]]:
    """(id, full path label) of the active units in the actor's scope, sorted by label."""
    units = db.session.scalars(units_in_scope(actor)).all()
    names = {u.id: u.name for u in units}
    all_names = names
    missing = {i for u in units for i in u.ancestor_ids} - set(names)
    if missing:
        all_names = {**names, **dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(missing))).tuples().all())}
    return sorted(((u.id, unit_label(u, all_names)) for u in units if u.active), key=lambda c: c[1].lower())
