"""A pact revocation counts: the certificate goes with it, and the person leaves "completed" everywhere."""
import pytest

from netral_learn.accounts.models import Person, Role, Unit
from netral_learn.api import services as api_services
from netral_learn.certificates.models import Certificate
from netral_learn.core import audit, clock
from netral_learn.courses.models import Program
from netral_learn.extensions import db
from netral_learn.pact import services
from netral_learn.reports import followup, funnel, snapshot

from .test_signing import PASSWORD, pass_quiz, world  # noqa: F401 - fixture


def completed_everywhere(program_id: int, unit_id: int, person_id: int) -> dict:
    """How the person counts in the exact funnel, the snapshot cells, the API and the follow-up list."""
    program, unit = db.session.get(Program, program_id), db.session.get(Unit, unit_id)
    person = db.session.get(Person, person_id)
    snapshot.refresh(program)
    api_rows = db.session.execute(api_services.people_query(program, unit)).all()
    followups = {row.person_id: row.stage for row in followup._rows(db.session.execute(
        followup.followup_query(program, unit)))}
    return {"funnel": funnel.build_report(program, unit, clock.now_utc()).total.certificate,
            "snapshot": snapshot.current_report(program, unit).total.certificate,
            "api": [row.status for row in api_rows if row.nip == person.nip],
            "followup": followups.get(person_id)}


@pytest.fixture
def signed(app, world, factory):  # noqa: F811
    admin = factory.person(world["tree"]["root"], role=Role.ADMIN, scope=world["tree"]["root"])
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        signature = services.sign_pact(person, program, services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD,
                                                                              None, None, None), clock.now_utc())
        db.session.commit()
        before = completed_everywhere(program.id, world["tree"]["root"].id, person.id)
        assert before == {"funnel": 1, "snapshot": 1, "api": ["certificate"], "followup": None}
        return {"signature": signature.id, "admin": admin}


def test_revoking_a_pact_revokes_its_certificate_and_the_person_is_no_longer_completed(app, world, signed,
                                                                                       login_as, client):
    """Does an admin's pact revocation revoke the certificate with the same reason (both audited), and does
    the person leave "completed" in the funnel, the snapshot and the API and reappear in the follow-up list?"""
    login_as(signed["admin"])
    page = client.get(f"/admin/pakta/{signed['signature']}/cabut").get_data(as_text=True)
    assert 'value="revoke"' in page and 'value="keep"' in page  # the admin chooses, revoking is the default
    response = client.post(f"/admin/pakta/{signed['signature']}/cabut", data={"reason": "Data identitas keliru"})
    assert response.status_code == 302
    with app.test_request_context():
        certificate = db.session.query(Certificate).one()
        assert certificate.revoked_at is not None and certificate.revoked_reason == "Data identitas keliru"
        events = {e.action: e for e in db.session.query(audit.AuditEvent)}
        assert {"pact.revoke", "certificate.revoke"} <= set(events) and audit.verify_chain().ok
        after = completed_everywhere(world["program"], world["tree"]["root"].id, world["learner"].id)
        assert after["funnel"] == 0 and after["snapshot"] == 0
        assert after["api"] == ["pact"] and after["followup"] == followup.Stage.REVOKED


def test_the_admin_may_explicitly_keep_the_certificate(app, world, signed, login_as, client):
    """Can the admin choose to keep the certificate valid, and is that choice in the audit log?"""
    login_as(signed["admin"])
    client.post(f"/admin/pakta/{signed['signature']}/cabut", data={"reason": "Salah program", "certificate": "keep"})
    with app.test_request_context():
        assert db.session.query(Certificate).one().revoked_at is None
        event = db.session.query(audit.AuditEvent).filter_by(action="pact.revoke").one()
        assert '"certificate_too":false' in event.details and db.session.query(audit.AuditEvent).filter_by(
            action="certificate.revoke").count() == 0


def test_an_admin_reopens_signing_and_the_person_completes_again(app, world, signed, login_as, client):
    """After a pact revocation, can an admin reopen signing (audited), so the person is back at the pact
    step, signs a new pact, gets a new valid certificate and counts as completed again, while the old
    code still verifies as revoked?"""
    login_as(signed["admin"])
    client.post(f"/admin/pakta/{signed['signature']}/cabut", data={"reason": "Data identitas keliru"})
    assert "Buka ulang penandatanganan" in client.get(f"/admin/pakta/{signed['signature']}/buka-ulang").get_data(
        as_text=True)
    assert client.post(f"/admin/pakta/{signed['signature']}/buka-ulang").status_code == 302
    with app.test_request_context():
        old = db.session.get(services.PactSignature, signed["signature"])
        old_code = old.verify_code
        assert old.reopened_at is not None
        assert db.session.query(audit.AuditEvent).filter_by(action="pact.reopen").count() == 1
        state = completed_everywhere(world["program"], world["tree"]["root"].id, world["learner"].id)
        assert state["funnel"] == state["snapshot"] == 0 and state["followup"] == followup.Stage.PACT
        with pytest.raises(services.InvalidInput):
            services.reopen(db.session.get(Person, signed["admin"].id), old, clock.now_utc())
    learner = app.test_client()
    learner.post("/masuk", data={"nip": world["learner"].nip, "password": PASSWORD})
    response = learner.post(f"/program/{world['program']}/pakta",
                            data={"typed_name": "Dewi Lestari", "password": PASSWORD, "agree": ["0", "1"]})
    assert response.status_code == 302
    with app.test_request_context():
        signatures = db.session.query(services.PactSignature).order_by(services.PactSignature.id).all()
        assert len(signatures) == 2 and signatures[1].status == services.SignatureStatus.COMPLETE
        certificates = db.session.query(Certificate).order_by(Certificate.id).all()
        assert [c.revoked_at is None for c in certificates] == [False, True]
        assert certificates[0].number != certificates[1].number
        state = completed_everywhere(world["program"], world["tree"]["root"].id, world["learner"].id)
        assert state == {"funnel": 1, "snapshot": 1, "api": ["certificate"], "followup": None}
        new_code = signatures[1].verify_code
    public = app.test_client()
    assert 'data-verdict="DICABUT"' in public.get(f"/verifikasi/{old_code}").get_data(as_text=True)
    assert 'data-verdict="ASLI"' in public.get(f"/verifikasi/{new_code}").get_data(as_text=True)
