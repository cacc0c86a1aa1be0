"""The one access rule: is this person or unit inside the actor's scope, and may the actor act on them?

Participants see only themselves; operators a unit subtree; admins an instansi; superadmins
everything. Every view that loads a person or unit by id goes through :func:`get_person` /
:func:`get_unit`, which answer 404 for anything out of scope (ids reveal nothing).
Acting on a person (reading a secret, printing a slip, resetting, editing, moving, importing
over them) is decided by :func:`may_act_on` alone; entry points declare the action they perform
with :func:`acts_on_person` so a test can enumerate and probe them all.
"""
from __future__ import annotations

import enum

from blinker import Namespace
from sqlalchemy import Select, and_, false, select, true

from ..core.errors import NotAllowed, OutOfScope
from ..extensions import db
from .models import ROLE_RANK, Person, Role, Unit


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


class Action(enum.StrEnum):
    """What an actor wants to do to a person; :func:`may_act_on` decides each one."""

    VIEW = "view"                 #: see the person's record
    READ_SECRET = "read_secret"   #: see a generated first password on screen
    PRINT_SLIP = "print_slip"     #: print a login slip carrying the first password
    RESET = "reset"               #: new first password, activation link, or password set in person
    UNLOCK = "unlock"             #: lift a failed-login lock
    EDIT = "edit"                 #: change name, NIP, jabatan, contact …
    MOVE = "move"                 #: move to another unit
    ACTIVATE = "activate"         #: deactivate or reactivate
    ROLE = "role"                 #: make operator/admin or participant
    IMPORT = "import"             #: overwrite by a roster row
    GRANT = "grant"               #: give extra quiz attempts
    REMIND = "remind"             #: send a reminder (reads their phone or e-mail)


#: Actions that hand a first password to the actor: never for staff, whoever asks.
SECRET_ACTIONS = frozenset({Action.READ_SECRET, Action.PRINT_SLIP})
#: Actions reserved to admins and above (imports: unless the instansi lets its operators import).
ADMIN_ACTIONS = frozenset({Action.ROLE, Action.IMPORT})

#: Sent on every decision (sender: the action; actor, person, allowed): lets a test prove that an
#: entry point asked the rule, and lets the audit trail follow refusals if it wants to.
decided = Namespace().signal("scope-decided")


def _decide(actor: Person | None, person: Person, action: Action) -> bool:
    if action in SECRET_ACTIONS and person.is_staff:
        return False  # staff activate through a one-time link or in person, never on paper
    if actor is None:
        return True  # the command line: whoever runs it owns the server
    if action in (Action.VIEW, Action.REMIND):  # reminding needs only what seeing the person needs
        return actor.id == person.id or (actor.is_staff and unit_in_scope(actor, person.unit))
    if actor.id == person.id or not actor.is_staff:
        return False
    if action in ADMIN_ACTIONS and actor.rank < ROLE_RANK[Role.ADMIN] and not (
            action == Action.IMPORT and operators_may_import(actor)):
        return False
    if actor.role != Role.SUPERADMIN and person.rank >= actor.rank:
        return False  # never someone of equal or higher rank
    return unit_in_scope(actor, person.unit)


def operators_may_import(actor: Person) -> bool:
    """Has the actor's instansi allowed its operators to import rosters for their own subtree?"""
    if actor.role != Role.OPERATOR or actor.scope_unit is None:
        return False
    instansi = db.session.get(Unit, actor.scope_unit.root_id)
    return bool(instansi is not None and instansi.operators_import_roster)


def may_act_on(actor: Person | None, person: Person, action: Action) -> bool:
    """The one rule: may ``actor`` do ``action`` to ``person``? (``actor`` None: the command line.)

    Viewing needs the person inside the actor's scope (or oneself). Every other action also
    needs a strictly lower rank (superadmins excepted) and never applies to oneself; role
    changes and imports need an admin; a first password is never shown or printed for staff.
    """
    allowed = _decide(actor, person, action)
    decided.send(action, actor=actor, person=person, allowed=allowed)
    return allowed


def require(actor: Person | None, person: Person, action: Action) -> None:
    """Raise NotAllowed (403) unless :func:`may_act_on` allows it."""
    if not may_act_on(actor, person, action):
        raise NotAllowed()


def may_view_person(actor: Person, person: Person) -> bool:
    """May the actor see this person's data?"""
    return may_act_on(actor, person, Action.VIEW)


def may_manage_person(actor: Person | None, person: Person, action: Action = Action.EDIT) -> bool:
    """May the actor reset, unlock, edit or import over this person? (see :func:`may_act_on`)"""
    return may_act_on(actor, person, action)


def may_add_in_unit(actor: Person | None, unit: Unit) -> bool:
    """May the actor add a person to (or move one into) this unit?"""
    return actor is None or (actor.is_staff and unit_in_scope(actor, unit))


def acts_on_person(action: Action):
    """Mark a view or CLI command as an entry point acting on people with ``action``: the test of
    the rule enumerates the URL map and the CLI and calls every marked one (tests/accounts/test_rule.py)."""

    def mark(func):
        func.person_action = action
        return func

    return mark


def require_role(actor: Person, minimum: Role) -> None:
    if actor.rank < ROLE_RANK[minimum]:
        raise NotAllowed()


def get_person(actor: Person, person_id: int, action: Action = Action.VIEW) -> Person:
    """Load a person by id for ``actor``: OutOfScope (404) when the actor may not even see them,
    whatever the reason; NotAllowed (403) when they may see but not do ``action``."""
    person = db.session.get(Person, person_id)
    if person is None or not may_act_on(actor, person, Action.VIEW):
        raise OutOfScope()
    if action != Action.VIEW:
        require(actor, person, action)
    return person


def get_unit(actor: Person, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not actor.is_staff or not unit_in_scope(actor, unit):
        raise OutOfScope()
    return unit


def people_in_scope(actor: Person) -> Select:
    """SELECT of the people the actor may list (joined to their unit): the SQL form of
    ``may_act_on(actor, person, Action.VIEW)``. Acting on the rows still asks the rule per person."""
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


def instansi_administered(actor: Person) -> list[Unit]:
    """The instansi whose settings the actor may change as a whole: those in scope, for admins and
    superadmins; none for anyone else (operators manage a subtree, not an instansi's rules)."""
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        return []
    return list(db.session.scalars(instansi_in_scope(actor)))


def require_administered(actor: Person, instansi: Unit) -> None:
    """OutOfScope (404) unless ``instansi`` is a root unit the actor administers."""
    if instansi.parent_id is not None or instansi not in instansi_administered(actor):
        raise OutOfScope()


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
