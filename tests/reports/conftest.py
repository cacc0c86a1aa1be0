"""Report fixtures: a two-instansi tree, a program, staff of every reach, and journeys set directly."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from netral_learn.accounts.models import Role
from netral_learn.certificates.models import Certificate
from netral_learn.courses.models import Enrollment, Module, ModuleProgress, Program
from netral_learn.extensions import db
from netral_learn.pact.models import PactSignature, SignatureStatus

_seq = itertools.count(1)
START = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


def add_journey(person_id: int, program_id: int, *, modules: int = 0, quiz: bool = False, pact: bool = False,
                certificate: str | None = None, score: float | None = None, pretest: float | None = None,
                awaiting_witness: bool = False, at: datetime = START, pact_version_id: int | None = None) -> None:
    """Record a journey straight in the tables (inside an app context; the caller commits).

    ``modules``: how many modules were completed (all of them sets modules_completed_at);
    ``certificate``: None, "valid" or "revoked".
    """
    program = db.session.get(Program, program_id)
    enrollment = Enrollment(program_id=program_id, person_id=person_id, started_at=at,
                            quiz_best_score=score, pretest_score=pretest)
    db.session.add(enrollment)
    db.session.flush()
    all_modules = db.session.query(Module).filter_by(version_id=program.course_version_id).order_by(Module.position).all()
    for module in all_modules[:modules]:
        db.session.add(ModuleProgress(enrollment_id=enrollment.id, module_id=module.id, opened_at=at, completed_at=at))
    if modules >= len(all_modules):
        enrollment.modules_completed_at = at + timedelta(hours=1)
    if quiz:
        enrollment.quiz_passed_at = at + timedelta(hours=2)
    if awaiting_witness:
        code = f"W{next(_seq):015d}"
        db.session.add(PactSignature(
            program_id=program_id, person_id=person_id, template_version_id=pact_version_id,
            status=SignatureStatus.AWAITING_WITNESSES, text="Pakta", text_sha256="0" * 64, typed_name="Nama",
            signed_at=at + timedelta(hours=3), verify_code=code, pdf_history=[]))
    if pact:
        enrollment.pact_signed_at = at + timedelta(hours=3)
    if certificate:
        add_certificate(person_id, program, at + timedelta(hours=4), revoked=certificate == "revoked")
        enrollment.completed_at = at + timedelta(hours=4)
    db.session.flush()


def add_certificate(person_id: int, program: Program, issued_at: datetime, revoked: bool = False) -> None:
    seq = next(_seq)
    db.session.add(Certificate(
        program_id=program.id, person_id=person_id, instansi_id=program.instansi_id, year=issued_at.year, seq=seq,
        number=f"800/{seq:04d}/UJI/{issued_at.year}", verify_code=f"C{seq:015d}", issued_at=issued_at,
        previous_hashes=[], revoked_at=issued_at + timedelta(days=1) if revoked else None,
        revoked_reason="Data keliru" if revoked else None))


@pytest.fixture
def world(app, factory):
    """Kabupaten Uji (Dinas Pendidikan › Sekretariat, Dinas Kesehatan › Sekretariat), Kota Lain;
    a three-module program for the Kabupaten; an operator of Dinas Pendidikan and admins."""
    tree = factory.tree()
    version = factory.course(modules=3)
    program = factory.program(tree["root"], version, title="Sosialisasi Netralitas Pilkada")
    other_version = factory.course(modules=1)
    other_program = factory.program(tree["other"], other_version, title="Program Kota Lain")
    staff = {
        "operator_a": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"], name="Operator Pendidikan"),
        "operator_b": factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"], name="Operator Kesehatan"),
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"], name="Admin BKPSDM"),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"], name="Admin Kota"),
        "superadmin": factory.person(tree["root"], role=Role.SUPERADMIN, name="Super Admin"),
        "participant": factory.person(tree["a1"], name="Peserta Biasa"),
    }
    return {"tree": tree, "program": program, "other_program": other_program, "staff": staff}


@pytest.fixture
def client_for(app):
    """A fresh test client logged in as ``person``."""

    def _client(person):
        client = app.test_client()
        response = client.post("/masuk", data={"nip": person.nip, "password": "Kuat#Sandi-2026"})
        assert response.status_code == 302
        return client

    return _client
