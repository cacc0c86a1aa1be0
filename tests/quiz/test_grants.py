"""Extra attempts for a learner who failed every one: who may grant, how many, why, and what the learner sees."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from netral_learn.accounts.contacts import contacts_for
from netral_learn.accounts.models import Person, Role
from netral_learn.core import clock
from netral_learn.core.audit import AuditEvent
from netral_learn.core.errors import InvalidInput, NotAllowed
from netral_learn.courses.models import Program
from netral_learn.extensions import db
from netral_learn.quiz import grants, services
from netral_learn.quiz.models import AttemptGrant, AttemptKind

from .test_attempts import correct_answers, finish_modules


@pytest.fixture
def world(factory):
    tree = factory.tree()
    version = factory.course(modules=2)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=12)
    factory.quiz_settings(program, question_count=5, pass_mark=70, max_attempts=2, time_limit_minutes=10,
                          max_extra_attempts=2)
    return {
        "tree": tree, "program": program,
        "learner": factory.person(tree["a1"], name="Rina Peserta"),
        "operator_a": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"], name="Budi Operator",
                                     phone="0812-3456-7890"),
        "operator_b": factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"], name="Operator Kesehatan"),
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"], name="Admin BKPSDM",
                                phone="0541-123456"),
    }


def fail_all(person_id, program_id, times=2):
    """Finish the modules, then fail ``times`` attempts."""
    person, program = finish_modules(person_id, program_id)
    for _ in range(times):
        fail_once(person, program)
    return person, program


def fail_once(person, program):
    attempt = services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    services.submit_attempt(attempt, correct_answers(attempt, right=False), clock.now_utc())
    db.session.commit()


def load(world, *names):
    return [db.session.get(Person, world[name].id) for name in names]


def test_operator_grants_an_attempt_and_the_learner_can_start_again(ctx, world):
    """Can an operator give a learner who failed every attempt one more, audited with the reason?"""
    person, program = fail_all(world["learner"].id, world["program"])
    state = grants.standing(person, program)
    assert state.out_of_attempts and state.used == 2 and state.grantable == 2
    assert not services.can_start(person, program, AttemptKind.POST, clock.now_utc()).allowed
    operator, = load(world, "operator_a")
    grants.grant_attempts(operator, person, program, 1, "Sudah dibimbing membaca ulang modul 2", 0, clock.now_utc())
    db.session.commit()
    check = services.can_start(person, program, AttemptKind.POST, clock.now_utc())
    assert check.allowed and check.attempts_left == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "quiz.attempts_granted")).one()
    assert event.actor_id == operator.id and event.target == f"person:{person.id}"
    assert "dibimbing" in event.details
    fail_once(person, program)
    assert grants.standing(person, program).out_of_attempts
    assert grants.standing(person, program).grantable == 1


def test_grants_follow_the_one_access_rule(ctx, world):
    """Can an operator of another OPD, or an operator over a peer operator, grant attempts? (No.)"""
    person, program = fail_all(world["learner"].id, world["program"])
    other, operator_a = load(world, "operator_b", "operator_a")
    with pytest.raises(NotAllowed):
        grants.grant_attempts(other, person, program, 1, "Alasan yang cukup", 0, clock.now_utc())
    with pytest.raises(NotAllowed):
        grants.grant_attempts(operator_a, other, program, 1, "Alasan yang cukup", 0, clock.now_utc())
    admin, = load(world, "admin")
    grants.grant_attempts(admin, person, program, 2, "Gangguan listrik saat kuis", 0, clock.now_utc())
    assert grants.standing(person, program).allowed == 4


def test_grant_needs_a_reason_respects_the_limit_and_a_double_click_counts_once(ctx, world):
    """Is a grant refused without a reason, above the admin's limit, before it is needed, and twice from one page?"""
    operator, = load(world, "operator_a")
    person, program = finish_modules(world["learner"].id, world["program"])
    with pytest.raises(InvalidInput, match="belum diperlukan"):
        grants.grant_attempts(operator, person, program, 1, "Masih bisa mencoba", 0, clock.now_utc())
    fail_once(person, program)
    fail_once(person, program)
    with pytest.raises(InvalidInput, match="alasan"):
        grants.grant_attempts(operator, person, program, 1, "  ok ", 0, clock.now_utc())
    with pytest.raises(InvalidInput, match="antara 1 dan 2"):
        grants.grant_attempts(operator, person, program, 3, "Alasan yang cukup", 0, clock.now_utc())
    grants.grant_attempts(operator, person, program, 1, "Alasan yang cukup", 0, clock.now_utc())
    db.session.commit()
    with pytest.raises(InvalidInput, match="sudah diberikan sejak halaman dibuka"):  # the same page, again
        grants.grant_attempts(operator, person, program, 1, "Alasan yang cukup", 0, clock.now_utc())
    fail_once(person, program)
    grants.grant_attempts(operator, person, program, 1, "Alasan kedua cukup", 1, clock.now_utc())
    db.session.commit()
    fail_once(person, program)
    with pytest.raises(InvalidInput, match="Batas tambahan"):
        grants.grant_attempts(operator, person, program, 1, "Alasan ketiga", 2, clock.now_utc())
    assert [g.total_extra for g in grants.grants_of(person, program)] == [1, 2]


def test_the_database_refuses_two_grants_reaching_the_same_total(ctx, world):
    """Does the schema itself refuse two grants that count the same extra attempt (a race)?"""
    person, program = fail_all(world["learner"].id, world["program"])
    db.session.add(AttemptGrant(program_id=program.id, person_id=person.id, extra=1, total_extra=1, reason="Alasan satu"))
    db.session.flush()
    db.session.add(AttemptGrant(program_id=program.id, person_id=person.id, extra=1, total_extra=1, reason="Alasan dua"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(AttemptGrant(program_id=program.id, person_id=person.id, extra=1, total_extra=1, reason=""))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_contacts_are_the_nearest_operators_else_bkpsdm(ctx, world, factory):
    """Does a learner see their own OPD's operator first, and BKPSDM's admin where no operator covers them?"""
    sub_operator = factory.person(world["tree"]["a1"], role=Role.OPERATOR, scope=world["tree"]["a1"],
                                  name="Ani Sekretariat", phone="081299990000")
    learner, = load(world, "learner")
    assert [c.name for c in contacts_for(learner)] == [sub_operator.name, "Budi Operator"]
    loner = factory.person(world["tree"]["root"], name="Pegawai Setda")
    fallback = contacts_for(db.session.get(Person, loner.id))
    assert [(c.name, c.role, c.phone) for c in fallback] == [("Admin BKPSDM", Role.ADMIN, "0541-123456")]


def test_home_says_out_of_attempts_and_whom_to_call(app, world):
    """Does the beranda of a learner out of attempts show 'Percobaan habis' and the operator's name and phone
    instead of 'Mulai Kuis', and 'Mulai Kuis' again after a grant?"""
    with app.test_request_context():
        fail_all(world["learner"].id, world["program"])
    client = app.test_client()
    client.post("/masuk", data={"nip": world["learner"].nip, "password": "Kuat#Sandi-2026"})
    page = client.get("/").get_data(as_text=True)
    assert "Percobaan habis" in page and "Mulai Kuis" not in page
    assert "Budi Operator" in page and "0812-3456-7890" in page and 'href="tel:0812-3456-7890"' in page
    with app.test_request_context():
        operator, person = load(world, "operator_a", "learner")
        grants.grant_attempts(operator, person, db.session.get(Program, world["program"]), 1,
                              "Alasan yang cukup", 0, clock.now_utc())
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Percobaan habis" not in page and "Mulai Kuis" in page
