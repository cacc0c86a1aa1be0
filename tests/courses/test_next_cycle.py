"""Opening the next election cycle (issue 18, item 9): a copied course brings its question bank,
a new program takes the quiz settings and the pact of an earlier one, and the checklist says what
is left. Services, no HTTP (the pages are tested in test_admin_pages.py)."""
from datetime import date

from sqlalchemy import select

from netral_learn.accounts.models import Person, Role, Unit
from netral_learn.courses import authoring, cycle
from netral_learn.courses.models import CourseVersion, Program
from netral_learn.extensions import db
from netral_learn.pact import templates_admin
from netral_learn.pact.models import ProgramPact
from netral_learn.quiz.models import Question, QuizSettings

import pytest


@pytest.fixture
def world(factory):
    tree = factory.tree()
    version = factory.course(modules=2)
    questions = factory.bank(version, count=9)
    program = factory.program(tree["root"], version, title="Pilkada 2024")
    factory.quiz_settings(program, question_count=4, per_tag={"dasar": 1}, min_per_tag=2, pass_mark=80,
                          max_attempts=5, time_limit_minutes=15, review_mode="immediately", pretest_enabled=True)
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    return {"tree": tree, "version": version, "questions": questions, "program": program, "admin": admin}


def get(model, obj):
    return db.session.get(model, obj if isinstance(obj, int) else obj.id)


def test_a_copy_for_the_next_cycle_brings_the_question_bank(ctx, world):
    """Does the copy get every active question with its options and key (not the retired ones), the
    old bank staying as it was?"""
    retired = get(Question, world["questions"][0])
    retired.active = False
    db.session.flush()
    admin, source = get(Person, world["admin"]), get(CourseVersion, world["version"])
    course = authoring.copy_course(admin, source, get(Unit, world["tree"]["root"]), "Netralitas ASN Pemilu 2029")
    copied = db.session.scalars(select(Question).where(Question.course_id == course.id).order_by(Question.id)).all()
    originals = db.session.scalars(select(Question).where(Question.course_id == source.course_id,
                                                          Question.active.is_(True)).order_by(Question.id)).all()
    assert len(copied) == len(originals) == 8
    for twin, original in zip(copied, originals):
        assert (twin.type, twin.tag, twin.text, twin.basis) == (original.type, original.tag, original.text, original.basis)
        assert [(o.text, o.is_correct) for o in twin.options] == [(o.text, o.is_correct) for o in original.options]
        assert twin.id != original.id and twin.source_key is None
    copied[0].text = "Diubah untuk 2029?"
    db.session.flush()
    assert "Diubah untuk 2029?" not in {q.text for q in originals}


def _published_pact(admin, instansi):
    template = templates_admin.create_template(admin, instansi, "Pakta Kabupaten")
    draft = template.versions[0]
    templates_admin.update_draft(admin, draft, title="Pakta Kabupaten", opening="Saya, {nama}:",
                                 clauses=[{"text": "Menjaga netralitas.", "requires_agreement": True}],
                                 closing="{tempat}, {tanggal}", legal_footer="UU 20/2023")
    return templates_admin.publish(admin, draft)


def test_a_new_program_takes_the_quiz_settings_and_the_pact_of_the_earlier_one(ctx, world):
    """Does a program opened "like Pilkada 2024" get its quiz settings, and the newest text of the same
    pact template with the same witnesses, all in the audit log?"""
    admin, root = get(Person, world["admin"]), get(Unit, world["tree"]["root"])
    earlier = get(Program, world["program"])
    v1 = _published_pact(admin, root)
    witness, _password = templates_admin.create_witness_account(admin, root, "Wakil Bawaslu", "BWS-001")
    templates_admin.set_program_pact(admin, earlier, v1, [(witness, "Perwakilan Bawaslu Kabupaten")])
    v2 = templates_admin.publish(admin, templates_admin.new_draft_from(admin, v1))
    program = cycle.open_program(
        admin, root, earlier=earlier, title="Pemilu 2029", version=get(CourseVersion, world["version"]),
        starts_on=date(2029, 1, 1), ends_on=date(2029, 2, 1), targets=[root], jenis=earlier.jenis_set)
    settings = db.session.get(QuizSettings, program.id)
    assert (settings.question_count, settings.per_tag, settings.min_per_tag, settings.pass_mark,
            settings.max_attempts, settings.time_limit_minutes, settings.review_mode.value,
            settings.pretest_enabled) == (4, {"dasar": 1}, 2, 80, 5, 15, "immediately", True)
    chosen = db.session.get(ProgramPact, program.id)
    assert chosen.template_version_id == v2.id
    assert [(w.person_id, w.capacity) for w in chosen.witnesses] == [(witness.id, "Perwakilan Bawaslu Kabupaten")]
    from netral_learn.core.audit import AuditEvent

    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "program.carry_over",
                                                      AuditEvent.target == f"program:{program.id}")) is not None


def test_settings_come_only_from_a_program_of_the_same_instansi(ctx, world, factory):
    """Is carrying over from another instansi's program refused?"""
    admin = get(Person, world["admin"])
    other = get(Program, factory.program(world["tree"]["other"], world["version"], title="Kabupaten Lain"))
    with pytest.raises(Exception, match="instansi yang sama"):
        cycle.carry_over(admin, get(Program, world["program"]), other)


def test_the_checklist_marks_what_is_done(ctx, world):
    """On a fresh copy, are the bank and modules done and the review, publication and program still to do;
    and once a program is opened from the earlier one, are its quiz settings and pact lines there?"""
    admin, root = get(Person, world["admin"]), get(Unit, world["tree"]["root"])
    course = authoring.copy_course(admin, get(CourseVersion, world["version"]), root, "Netralitas ASN Pemilu 2029")
    draft = course.versions[0]
    done = {str(c.label): c.done for c in cycle.checklist(draft, [])}
    assert done["Periksa bank soal (disalin bersama kursus)"] and done["Periksa dan perbarui isi modul"]
    assert not done["Catat peninjauan hukum (sumber JDIH)"] and not done["Terbitkan versi"]
    authoring.publish_version(admin, draft, acknowledge_unreviewed=True)
    program = cycle.open_program(admin, root, earlier=get(Program, world["program"]), title="Pemilu 2029",
                                 version=draft, starts_on=date(2029, 1, 1), ends_on=date(2029, 2, 1),
                                 targets=[root], jenis=get(Program, world["program"]).jenis_set)
    lines = {str(c.label): c for c in cycle.checklist(draft, [program])}
    assert lines["Terbitkan versi"].done and lines[
        "Buat program pada versi ini, dengan pengaturan disalin dari program sebelumnya"].done
    assert lines["Pengaturan kuis: Pemilu 2029"].done
    assert "Pakta integritas: Pemilu 2029" in lines
    assert not lines["Periksa pengaturan sertifikat (penanda tangan, nomor, templat)"].done
    assert not lines["Terbitkan program"].done
