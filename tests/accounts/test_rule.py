"""The one rule for acting on a person: every entry point that touches a person asks it.

The attack of issue 17: an operator printed the login slip of an admin placed inside their
subtree and logged in as that admin. These tests enumerate the URL map and the CLI, require
each entry point acting on a person to declare its action (``acts_on_person``), and call each
one as an operator (and as a peer admin) on an admin, watching the rule's decisions.
"""
from __future__ import annotations

import hashlib
import io
import re
from contextlib import contextmanager
from datetime import timedelta

import click
import pytest
from pypdf import PdfReader

from netral_learn.accounts import activation
from netral_learn.accounts.models import ActivationLink, Person, Role
from netral_learn.accounts.passwords import decrypt_initial
from netral_learn.core.audit import AuditEvent
from netral_learn.core.clock import now_utc
from netral_learn.accounts.scope import Action, decided, may_act_on
from netral_learn.extensions import db

from ..factories import Factory

#: URL arguments that name a person, or an object that belongs to one.
PERSON_ARGUMENTS = {"person_id", "certificate_id", "signature_id"}
#: Pages that act on many people at once (no id in the URL) and must be marked too.
BULK_ENDPOINTS = {"accounts.slips_pdf", "accounts.renew_expired", "accounts.roster_upload", "accounts.roster_apply"}
#: Routes that carry such an id but are the signed-in person's own act, each with the reason.
OWN_ACTS = {"pact.witness_sign": "a witness countersigns a pact of a program that names them (pact.services decides)"}
#: CLI commands that touch no person, each with the reason; any other command must be marked.
CLI_NOT_ABOUT_A_PERSON = {
    "db": "Alembic schema commands",
    "sessions purge": "deletes expired login sessions, whoever they belong to",
    "content load": "course, question and pact content",
    "quiz close-expired": "scores attempts whose time ran out (the learner's own attempt)",
    "keys init": "signing keys",
    "audit verify": "reads the audit chain",
    "certificates issue-pending": "issues what the learner's own completion earned",
    "report export": "aggregates and lists for a program, read-only",
    "demo seed": "builds the demo instansi from nothing; acts on no existing person",
    "worker": "runs queued jobs enqueued by entry points that asked the rule",
    "audit anchor": "signs the audit chain's head",
    "doctor": "checks the installation's settings and services",
    "backup create": "copies the whole database and storage, changes nothing",
    "backup verify": "reads an archive",
    "backup restore": "restores a whole installation onto an empty one",
    "backup keygen": "makes an encryption key file",
}


@pytest.fixture
def world(factory):
    """An operator of Dinas Pendidikan whose subtree holds a participant and an admin (placed
    there, as in the report) who both still have a first password stored; a peer admin."""
    tree = factory.tree()
    operator = factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"], name="Operator Dinas")
    admin = factory.person(tree["a1"], role=Role.ADMIN, scope=tree["root"], password=None, name="Admin Sasaran")
    peer = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"], name="Admin Rekan")
    participant = factory.person(tree["a1"], password=None, name="Peserta Biasa")
    outsider = factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"], name="Operator Lain")
    return {"tree": tree, "operator": operator, "admin": admin, "peer": peer,
            "participant": participant, "outsider": outsider}


@contextmanager
def decisions():
    """Collect the rule's decisions made inside the block: (actor id, person id, action, allowed)."""
    seen: list[tuple] = []

    def receiver(action, actor=None, person=None, allowed=None):
        seen.append((getattr(actor, "id", None), person.id, action, allowed))

    decided.connect(receiver)
    try:
        yield seen
    finally:
        decided.disconnect(receiver)


def client_for(app, person, password=Factory.PASSWORD):
    client = app.test_client()
    response = client.post("/masuk", data={"nip": person.nip, "password": password})
    assert response.status_code == 302
    return client


def documents_of(app, factory, root, person) -> dict:
    """A certificate and a pact signature of ``person`` (rows only: the routes load them by id)."""
    from netral_learn.certificates.models import Certificate
    from netral_learn.pact.models import PactSignature, SignatureStatus

    version = factory.course()
    program = factory.program(root, version)
    template_version = factory.pact_template()
    with app.app_context():
        certificate = Certificate(program_id=program, person_id=person.id, instansi_id=root.id, year=2026, seq=1,
                                  number="800/0001/NETRAL/2026", verify_code="ABCD2345EFGH", issued_at=now_utc())
        signature = PactSignature(program_id=program, person_id=person.id, template_version_id=template_version,
                                  status=list(SignatureStatus)[0], text="Pakta", text_sha256="0" * 64,
                                  typed_name=person.name, signed_at=now_utc(), verify_code="PAKTA2345ABC")
        db.session.add_all([certificate, signature])
        db.session.commit()
        return {"certificate_id": certificate.id, "signature_id": signature.id, "program_id": program}


def person_endpoints(app) -> dict[str, object]:
    """Every endpoint that names a person (or their document) in its URL, plus the bulk ones."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OWN_ACTS:
            continue
        if PERSON_ARGUMENTS & set(rule.arguments) or rule.endpoint in BULK_ENDPOINTS:
            found[rule.endpoint] = rule
    return found


def test_every_entry_point_touching_a_person_declares_its_action(app):
    """Does every route naming a person, and every bulk action on people, declare what it does?"""
    endpoints = person_endpoints(app)
    assert {"accounts.reset_password", "accounts.person_slip", "accounts.slips_pdf",
            "certificates.revoke", "pact.revoke"} <= set(endpoints)
    unmarked = [name for name in endpoints
                if not isinstance(getattr(app.view_functions[name], "person_action", None), Action)]
    assert not unmarked, f"mark these views with @acts_on_person(Action.…): {unmarked}"


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        qualified = f"{prefix}{name}"
        if isinstance(command, click.Group):
            if qualified in CLI_NOT_ABOUT_A_PERSON:
                continue
            yield from _commands(command, qualified + " ")
        else:
            yield qualified, command


def test_every_cli_command_is_classified(app):
    """Is every CLI command either marked as acting on people or listed as touching none?"""
    marked, unclassified = {}, []
    for name, command in _commands(app.cli):
        action = getattr(command.callback, "person_action", None)
        if action is not None:
            marked[name] = action
        elif name not in CLI_NOT_ABOUT_A_PERSON:
            unclassified.append(name)
    assert not unclassified, f"mark with @acts_on_person or list in CLI_NOT_ABOUT_A_PERSON: {unclassified}"
    assert marked["roster import"] == Action.IMPORT
    assert marked["instansi create"] == Action.RESET  # probed in test_instansi.py


def _build(rule, values: dict) -> str:
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
    return url


POST_DATA = {"new": "Sandi#Rahasia-Baru-2026", "confirm": "Sandi#Rahasia-Baru-2026", "reason": "Alasan uji coba",
             "role": "participant", "scope_unit": "", "name": "Nama Diubah", "nip": "", "jenis": "PNS",
             "unit": "", "token": "x" * 20}


def test_an_operator_is_refused_every_action_on_an_admin_and_the_rule_said_so(app, factory, world):
    """Called as an operator on an admin inside their subtree, does every marked entry point
    either refuse or (viewing only) ask the rule — and never hand over the admin's first password?"""
    admin = world["admin"]
    ids = {"person_id": admin.id, **documents_of(app, factory, world["tree"]["root"], admin)}
    with app.app_context():
        admin_password = decrypt_initial(db.session.get(Person, admin.id).initial_password_enc)
    for name, rule in person_endpoints(app).items():
        action = app.view_functions[name].person_action
        methods = sorted(rule.methods & {"GET", "POST"})
        for method in methods:
            for actor in (world["operator"], world["peer"]):
                client = client_for(app, actor)
                with decisions() as seen:
                    response = client.open(_build(rule, ids), method=method,
                                           data=POST_DATA if method == "POST" else None)
                body = response.get_data()
                where = f"{actor.name} {method} {rule.rule}"
                assert admin_password.encode() not in body, where
                if action in (Action.VIEW, Action.REMIND):  # allowed to anyone who may see the person
                    assert (actor.id, admin.id, action, True) in seen, where
                    continue
                reached_rule = [d for d in seen if d[1] == admin.id and d[2] == action]
                assert all(not allowed for *_, allowed in reached_rule), where
                if name in BULK_ENDPOINTS:  # many people at once: the admin is left out by the rule
                    if response.status_code == 200 and response.mimetype == "application/pdf":
                        assert reached_rule, f"{where}: the rule was never asked"
                    continue
                assert response.status_code in (302, 400, 403, 404), where
                if actor.role == Role.ADMIN:
                    assert reached_rule, f"{where}: the rule was never asked"
    with app.app_context():
        stored = db.session.get(Person, admin.id)
        assert stored.name == "Admin Sasaran" and stored.active and stored.role == Role.ADMIN
        assert decrypt_initial(stored.initial_password_enc) == admin_password


def test_bulk_slips_never_print_staff_and_record_who_printed_whom(app, world):
    """Does the unit's slip PDF print the participant but not the admin in the subtree, and is
    the printing in the audit trail with the people printed?"""
    client = client_for(app, world["operator"])
    with decisions() as seen:
        response = client.get("/admin/slip-login.pdf")
    assert response.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Peserta Biasa" in text and "Admin Sasaran" not in text
    assert (world["operator"].id, world["admin"].id, Action.PRINT_SLIP, False) in seen
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="slip.print").one()
        assert event.actor_id == world["operator"].id
        assert f"[{world['participant'].id}]" in event.details


def test_the_single_slip_and_the_first_password_of_staff_are_refused_even_to_a_superadmin(app, factory, world):
    """Can anyone, even a superadmin, print a slip or read a first password of a staff account?"""
    superadmin = factory.person(world["tree"]["root"], role=Role.SUPERADMIN)
    with app.app_context():
        admin = db.session.get(Person, world["admin"].id)
        boss = db.session.get(Person, superadmin.id)
        assert not may_act_on(boss, admin, Action.PRINT_SLIP)
        assert not may_act_on(boss, admin, Action.READ_SECRET)
        assert not may_act_on(None, admin, Action.PRINT_SLIP)
        assert may_act_on(boss, admin, Action.RESET)
    assert client_for(app, superadmin).get(f"/admin/pegawai/{world['admin'].id}/slip.pdf").status_code == 403


def test_the_migration_leaves_no_printable_first_password_on_staff(app, factory, world):
    """Does making someone an operator remove their printable first password?"""
    admin = world["peer"]
    client = client_for(app, admin)
    response = client.post(f"/admin/pegawai/{world['participant'].id}/peran",
                           data={"role": "operator", "scope_unit": world["tree"]["a1"].id})
    assert response.status_code == 302
    with app.app_context():
        promoted = db.session.get(Person, world["participant"].id)
        assert promoted.initial_password_enc is None and promoted.password_hash is None
    page = client.get(f"/admin/pegawai/{world['participant'].id}").get_data(as_text=True)
    assert "Belum diaktifkan" in page and "Buat tautan aktivasi" in page


def test_a_staff_reset_gives_a_one_time_link_that_works_once(app, world):
    """Does resetting an admin give a one-time link (no first password), which sets the password
    once and is refused the second time?"""
    peer = world["peer"]
    client = client_for(app, peer)
    operator = world["operator"]
    page = client.post(f"/admin/pegawai/{operator.id}/reset-sandi").get_data(as_text=True)
    link = re.search(r"http://127\.0\.0\.1:5000(/aktivasi/[\w-]+)", page).group(1)
    with app.app_context():
        stored = db.session.get(Person, operator.id)
        assert stored.initial_password_enc is None and stored.password_hash is None
        token = link.rsplit("/", 1)[1]
        row = db.session.query(ActivationLink).filter_by(person_id=operator.id).one()
        assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 200
    weak = anonymous.post(link, data={"new": "12345678", "confirm": "12345678"})
    assert weak.status_code == 400
    done = anonymous.post(link, data={"new": "Sandi#Operator-2026", "confirm": "Sandi#Operator-2026"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/masuk")
    assert anonymous.get(link).status_code == 404
    assert app.test_client().post("/masuk", data={"nip": operator.nip, "password": "Sandi#Operator-2026"}
                                  ).status_code == 302


def test_an_activation_link_expires(app, world):
    """Is a link refused once ACTIVATION_LINK_HOURS have passed?"""
    from netral_learn.core import clock

    with app.test_request_context():
        credential = activation.create_link(None, db.session.get(Person, world["operator"].id))
        db.session.commit()
    path = credential.link.removeprefix("http://127.0.0.1:5000")
    clock.freeze(now_utc() + timedelta(hours=app.config["ACTIVATION_LINK_HOURS"], minutes=1))
    assert app.test_client().get(path).status_code == 404


def test_a_first_password_expires_and_the_person_is_told_what_to_do(app, world):
    """After FIRST_PASSWORD_DAYS, is the first password refused with a message saying whom to ask,
    left off the slips, and working again after a reset?"""
    from netral_learn.core import clock

    with app.app_context():
        first = decrypt_initial(db.session.get(Person, world["participant"].id).initial_password_enc)
    clock.freeze(now_utc() + timedelta(days=app.config["FIRST_PASSWORD_DAYS"], minutes=1))
    response = app.test_client().post("/masuk", data={"nip": world["participant"].nip, "password": first})
    assert response.status_code == 401
    assert "kedaluwarsa" in response.get_data(as_text=True) and "operator" in response.get_data(as_text=True)
    operator = client_for(app, world["operator"])
    assert "kedaluwarsa" in operator.get("/admin/slip-login").get_data(as_text=True)
    assert operator.get("/admin/slip-login.pdf").status_code == 302  # nothing left to print
    assert operator.post("/admin/slip-login/perbarui", data={"unit": "", "jenis": ""}).status_code == 302
    with app.app_context():
        renewed = decrypt_initial(db.session.get(Person, world["participant"].id).initial_password_enc)
        assert renewed != first
        assert decrypt_initial(db.session.get(Person, world["admin"].id).initial_password_enc) is not None
        [event] = db.session.query(AuditEvent).filter_by(action="password.renew_expired").all()
        assert f"[{world['participant'].id}]" in event.details  # the admin's stays untouched
    assert operator.get("/admin/slip-login.pdf").status_code == 200
    page = operator.post(f"/admin/pegawai/{world['participant'].id}/reset-sandi").get_data(as_text=True)
    with app.app_context():
        fresh = decrypt_initial(db.session.get(Person, world["participant"].id).initial_password_enc)
    assert fresh in page
    response = app.test_client().post("/masuk", data={"nip": world["participant"].nip, "password": fresh})
    assert response.status_code == 302


def test_an_admin_can_set_a_staff_password_in_person(app, world):
    """Can an admin let an operator type their own password at the admin's desk?"""
    client = client_for(app, world["peer"])
    response = client.post(f"/admin/pegawai/{world['operator'].id}/atur-sandi",
                           data={"new": "Meja#Admin-Sandi-2026", "confirm": "Meja#Admin-Sandi-2026"})
    assert response.status_code == 302
    assert app.test_client().post("/masuk", data={"nip": world["operator"].nip,
                                                  "password": "Meja#Admin-Sandi-2026"}).status_code == 302
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="password.set_in_person").count() == 1
