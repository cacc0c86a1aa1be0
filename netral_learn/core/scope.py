"""The one access rule: is this person or unit inside the actor's scope?

Participants see only themselves; operators a unit subtree; admins an instansi; superadmins
everything. Every view that loads a person or unit by id goes through :func:`get_person` /
:func:`get_unit`, which answer 404 for anything out of scope (ids reveal nothing).
"""
from __future__ import annotations

from sqlalchemy import Select, and_, false, select, true

from ..accounts.models import ROLE_RANK, Person, Role, Unit
from ..extensions import db
from .errors import NotAllowed, OutOfScope


def subtree_clause(path_column, path: str):
    """SQL condition 'path_column is ``path`` or below it' as an index-friendly range.

    Paths are "/1/7/42/"; every descendant starts with the prefix, and "0" sorts right after
    "/", so [prefix, prefix-without-slash + "0") is exactly the subtree.
    """
    return and_(path_column >= path, path_column < path[:-1] + "0")


def scope_path(actor: Person) -> str | None:
    """Path of the subtree the actor manages; None means everything (superadmin)."""
    if actor.role == Role.SUPERADMIN:
        return None
    if actor.role in (Role.ADMIN, Role.OPERATOR) and actor.scope_unit is not None:
        return actor.scope_unit.path
    return ""  # participants manage nothing


def unit_in_scope(actor: Person, unit: Unit) -> bool:
    path = scope_path(actor)
    if path is None:
        return True
    return bool(path) and unit.path.startswith(path)


def may_view_person(actor: Person, person: Person) -> bool:
    """May the actor see this person's data?"""
    if actor.id == person.id:
        return True
    return actor.is_staff and unit_in_scope(actor, person.unit)


def may_manage_person(actor: Person, person: Person) -> bool:
    """May the actor reset, unlock or edit this person? Never someone of equal or higher rank."""
    if actor.id == person.id or not actor.is_staff:
        return False
    if actor.role != Role.SUPERADMIN and person.rank >= actor.rank:
        return False
    return unit_in_scope(actor, person.unit)


def require_role(actor: Person, minimum: Role) -> None:
    if actor.rank < ROLE_RANK[minimum]:
        raise NotAllowed()


def get_person(actor: Person, person_id: int, *, manage: bool = False) -> Person:
    """Load a person by id for ``actor``, or raise OutOfScope (404) whatever the reason."""
    person = db.session.get(Person, person_id)
    if person is None or not may_view_person(actor, person):
        raise OutOfScope()
    if manage and not may_manage_person(actor, person):
        raise NotAllowed()
    return person


def get_unit(actor: Person, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not actor.is_staff or not unit_in_scope(actor, unit):
        raise OutOfScope()
    return unit


def people_in_scope(actor: Person) -> Select:
    """SELECT of the people the actor may list (joined to their unit)."""
    query = select(Person).join(Person.unit)
    path = scope_path(actor)
    if path is None:
        return query
    if not path:
        return query.where(Person.id == actor.id)
    return query.where(subtree_clause(Unit.path, path))


def units_in_scope(actor: Person) -> Select:
    query = select(Unit)
    path = scope_path(actor)
    if path is None:
        return query.where(true())
    if not path:
        return query.where(false())
    return query.where(subtree_clause(Unit.path, path))


def instansi_in_scope(actor: Person) -> Select:
    """SELECT of the instansi (root units) the actor manages as a whole."""
    return units_in_scope(actor).where(Unit.parent_id.is_(None)).order_by(Unit.name)


def requires(minimum: Role):
    """View decorator: logged in, and at least ``minimum`` role (403 otherwise)."""
    from functools import wraps

    from flask_login import current_user, login_required

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            require_role(current_user, minimum)
            return view(*args, **kwargs)

        return wrapper

    return decorator
