"""What an inspector expects in the audit log: logins, refusals, lockouts, API token use, exports and
staff looking at a person's record — each scoped to its instansi and tied to the person concerned."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from netral_learn.api import services as api_services
from netral_learn.core import audit
from netral_learn.core.clock import now_utc
from netral_learn.accounts.models import Person, Unit
from netral_learn.extensions import db

from .reports.conftest import client_for, world  # noqa: F401  (fixtures shared with reports)

PACKAGE = Path(__file__).resolve().parent.parent / "netral_learn"


def entries(app, action=None):
    with app.app_context():
        query = select(audit.AuditEvent).order_by(audit.AuditEvent.seq)
        if action:
            query = query.where(audit.AuditEvent.action == action)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def test_login_success_and_failures_are_audited(app, client, world):
    """Are a login, a wrong password and an unknown NIP each logged with the address and the person concerned?"""
    person = world["staff"]["participant"]
    client.post("/masuk", data={"nip": person.nip, "password": "salah-sekali"})
    client.post("/masuk", data={"nip": "199901012020011999", "password": "apa-saja"})
    client.post("/masuk", data={"nip": "kata sandi rahasia", "password": "x"})
    client.post("/masuk", data={"nip": person.nip, "password": "Kuat#Sandi-2026"})
    failed = entries(app, "auth.login_failed")
    assert [e.target for e in failed] == [f"person:{person.id}", "login:unknown", "login:unknown"]
    assert '"reason":"wrong_password"' in failed[0].details and '"ip":"127.0.0.1"' in failed[0].details
    assert failed[0].subject_id == person.id and failed[0].instansi_id == world["tree"]["root"].id
    assert '"login_id":"199901012020011999"' in failed[1].details
    assert "rahasia" not in failed[2].details.lower()  # free text typed as a login id is never copied
    [login] = entries(app, "auth.login")
    assert login.actor_id == person.id and login.subject_id == person.id


def test_lockout_is_audited_once_with_its_length(app, client, world):
    """When failures lock an account, is the lock logged once, and are attempts while locked logged as such?"""
    person = world["staff"]["participant"]
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit + 1):
        client.post("/masuk", data={"nip": person.nip, "password": "salah-sekali"})
    [lock] = entries(app, "auth.lockout")
    assert lock.subject_id == person.id and f'"minutes":{app.config["LOGIN_LOCK_MINUTES"]}' in lock.details
    assert '"reason":"locked"' in entries(app, "auth.login_failed")[-1].details


def test_api_token_use_is_audited_at_most_once_a_minute(app, world):
    """Is a token's use logged (which client, which path, from where), without a row per request?"""
    with app.test_request_context():
        admin = db.session.get(Person, world["staff"]["admin"].id)
        api_client, token = api_services.create_client(admin, "SIMPEG", db.session.get(Unit, world["tree"]["root"].id),
                                                       None, now_utc())
        db.session.commit()
        client_id = api_client.id
    http = app.test_client()
    for _ in range(3):
        assert http.get("/api/v1/programs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    [use] = entries(app, "api.token_use")
    assert use.target == f"api_client:{client_id}" and '"path":"/api/v1/programs"' in use.details
    assert use.instansi_id == world["tree"]["root"].id


def test_staff_view_of_a_person_is_audited(app, world, client_for):
    """Is an operator opening a person's page logged with who looked at whom?"""
    operator, person = world["staff"]["operator_a"], world["staff"]["participant"]
    assert client_for(operator).get(f"/admin/pegawai/{person.id}").status_code == 200
    [view] = entries(app, "person.view")
    assert view.actor_id == operator.id and view.subject_id == person.id


def test_report_exports_are_audited_from_pages_and_cli(app, world, client_for, tmp_path):
    """Are report downloads (XLSX, follow-up CSV) and `flask report export` logged with program and format?"""
    client = client_for(world["staff"]["admin"])
    program = world["program"]
    assert client.get(f"/laporan/ekspor.xlsx?program={program}").status_code == 200
    assert client.get(f"/laporan/tindak-lanjut.csv?program={program}").status_code == 200
    result = app.test_cli_runner().invoke(args=["report", "export", "--program", str(program), "--format", "csv",
                                                "--output", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    exports = entries(app, "report.export")
    assert [e.target for e in exports] == [f"program:{program}"] * 3
    assert '"format":"xlsx"' in exports[0].details and '"list":"followup"' in exports[1].details
    assert '"via":"cli"' in exports[2].details and exports[2].actor_id is None
    assert all(e.instansi_id == world["tree"]["root"].id for e in exports)


def test_every_recorded_action_is_in_the_catalog():
    """Does every `audit.record(…, "kind", …)` in the code name a kind the audit-log page can label?"""
    pattern = re.compile(r"audit\.record\(\s*[^,]+,\s*(f?)\"([^\"]+)\"")
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for is_f, action in pattern.findall(path.read_text()):
            if is_f:  # f"certificate.{which}": every value of the placeholder
                continue
            found.add(action)
    assert found, "no audit.record calls found"
    assert sorted(found - set(audit.ACTIONS)) == []
    assert {"certificate.logo", "certificate.signature"} <= set(audit.ACTIONS)
