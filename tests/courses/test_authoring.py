"""Course authoring as services (no HTTP): drafts, publishing, new versions, order, copies, scope."""
import io
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from netral_learn.accounts.models import Jenis, Person, Role, Unit
from netral_learn.core.audit import AuditEvent
from netral_learn.core.clock import now_utc
from netral_learn.core.errors import InvalidInput, NotAllowed, OutOfScope
from netral_learn.core.i18n import local_today
from netral_learn.courses import authoring, programs, services
from netral_learn.courses.models import CourseVersion, ModuleProgress, Program, VersionStatus
from netral_learn.extensions import db

from ..conftest import statements

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def world(factory):
    """An instansi with an admin and a learner, a second instansi with its own admin, a superadmin."""
    tree = factory.tree()
    return {
        "tree": tree,
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]),
        "superadmin": factory.person(tree["root"], role=Role.SUPERADMIN),
        "learner": factory.person(tree["a1"]),
    }


def get(model, obj):
    return db.session.get(model, obj if isinstance(obj, int) else obj.id)


def draft_course(admin, instansi, titles=("Pengantar", "Larangan", "Sanksi")) -> CourseVersion:
    course = authoring.create_course(admin, instansi, "Netralitas ASN Pilkada 2026", "Ringkasan.")
    version = course.versions[0]
    for title in titles:
        authoring.add_module(admin, version, title, f"## {title}\n\nIsi tentang {title.lower()}.")
    return version


def titles(version: CourseVersion) -> list[str]:
    return [m.title for m in sorted(version.modules, key=lambda m: m.position)]


def test_new_course_is_an_empty_draft_and_is_audited(ctx, world):
    """Does a new course start as draft version 1 of the admin's instansi, logged with who made it?"""
    admin = get(Person, world["admin"])
    course = authoring.create_course(admin, get(Unit, world["tree"]["root"]), "  Netralitas   ASN ", "")
    assert course.instansi_id == world["tree"]["root"].id and course.slug == "netralitas-asn"
    assert [(v.number, v.status, v.title) for v in course.versions] == [(1, VersionStatus.DRAFT, "Netralitas ASN")]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.create"))
    assert event.actor_id == admin.id and event.target == f"course:{course.id}"
    assert authoring.create_course(admin, get(Unit, world["tree"]["root"]), "Netralitas ASN").slug == "netralitas-asn-2"


def test_only_a_superadmin_makes_bundled_courses_and_nobody_makes_them_elsewhere(ctx, world):
    """Is an admin refused a bundled course, or one for another instansi or a sub-unit?"""
    admin = get(Person, world["admin"])
    with pytest.raises(NotAllowed):
        authoring.create_course(admin, None, "Bawaan")
    with pytest.raises(OutOfScope):
        authoring.create_course(admin, get(Unit, world["tree"]["other"]), "Milik lain")
    with pytest.raises(InvalidInput, match="unit puncak"):
        authoring.create_course(admin, get(Unit, world["tree"]["a"]), "Di OPD")
    assert authoring.create_course(get(Person, world["superadmin"]), None, "Bawaan").instansi_id is None


def test_publish_needs_a_module_and_freezes_the_version(ctx, world):
    """Can an empty draft not be published, and is a published version's text then frozen for good?"""
    admin = get(Person, world["admin"])
    empty = authoring.create_course(admin, get(Unit, world["tree"]["root"]), "Kosong").versions[0]
    with pytest.raises(InvalidInput, match="paling sedikit satu modul"):
        authoring.publish_version(admin, empty, acknowledge_unreviewed=True)
    version = draft_course(admin, get(Unit, world["tree"]["root"]))
    authoring.publish_version(admin, version, acknowledge_unreviewed=True)
    db.session.commit()  # as the view does; each refused edit below is rolled back
    assert version.status == VersionStatus.PUBLISHED and version.published_at is not None
    module = version.modules[0]
    edits = [
        lambda: authoring.update_version(admin, version, "Baru", "", None, ""),
        lambda: authoring.add_module(admin, version, "Tambahan"),
        lambda: authoring.update_module(admin, module, "Diubah", "Teks lain", 3),
        lambda: authoring.delete_module(admin, module),
        lambda: authoring.move_module(admin, module, "down"),
        lambda: authoring.attach(admin, module, "aturan.pdf", io.BytesIO(PDF)),
        lambda: authoring.publish_version(admin, version, acknowledge_unreviewed=True),
    ]
    for edit in edits:
        with pytest.raises(InvalidInput, match="buat versi baru"):
            edit()
        db.session.rollback()
    version = get(CourseVersion, version)
    assert version.title == "Netralitas ASN Pilkada 2026" and titles(version) == ["Pengantar", "Larangan", "Sanksi"]
    assert version.modules[0].body_md.startswith("## Pengantar") and not version.modules[0].attachments


def test_modules_move_up_and_down_and_deleting_closes_the_gap(ctx, world):
    """Do up/down swap neighbours (nothing at the ends), and does deleting renumber 0..n-1?"""
    admin = get(Person, world["admin"])
    version = draft_course(admin, get(Unit, world["tree"]["root"]), ("A", "B", "C", "D"))
    by_title = {m.title: m for m in version.modules}
    authoring.move_module(admin, by_title["C"], "up")
    assert titles(version) == ["A", "C", "B", "D"]
    authoring.move_module(admin, by_title["A"], "down")
    authoring.move_module(admin, by_title["A"], "down")
    assert titles(version) == ["C", "B", "A", "D"]
    authoring.move_module(admin, by_title["C"], "up")  # already first
    authoring.move_module(admin, by_title["D"], "down")  # already last
    assert titles(version) == ["C", "B", "A", "D"]
    authoring.delete_module(admin, by_title["B"])
    db.session.expire_all()
    version = get(CourseVersion, version)
    assert titles(version) == ["C", "A", "D"] and [m.position for m in version.modules] == [0, 1, 2]


def test_reading_time_defaults_from_the_text(ctx, world):
    """Is an empty reading time estimated from the text, and a nonsense one refused?"""
    admin = get(Person, world["admin"])
    module = draft_course(admin, get(Unit, world["tree"]["root"]), ("A",)).modules[0]
    authoring.update_module(admin, module, "A", "kata " * 540, None)
    assert module.minutes == 3
    authoring.update_module(admin, module, "A", "kata", 12)
    assert module.minutes == 12
    with pytest.raises(InvalidInput, match="waktu baca"):
        authoring.update_module(admin, module, "A", "kata", 10_000)


def test_new_version_copies_modules_and_files_and_leaves_the_old_one(ctx, world):
    """Does 'new version' copy text and attachment rows (same stored file) into v2, leaving v1 untouched?"""
    admin = get(Person, world["admin"])
    v1 = draft_course(admin, get(Unit, world["tree"]["root"]))
    item = authoring.attach(admin, v1.modules[1], "PP 94 2021.pdf", io.BytesIO(PDF))
    authoring.publish_version(admin, v1, acknowledge_unreviewed=True)
    db.session.expire_all()  # texts are deferred: the copy reads them once, not module by module
    with statements(current_app) as seen:
        v2 = authoring.new_draft_from(admin, get(CourseVersion, v1.id))
    assert not [sql for sql in seen if sql.lstrip().startswith("SELECT modules.body_md")]
    assert [m.body_md for m in v2.modules] == [m.body_md for m in get(CourseVersion, v1.id).modules]
    assert (v2.number, v2.status, v2.title) == (2, VersionStatus.DRAFT, v1.title)
    assert titles(v2) == titles(v1) and {m.id for m in v2.modules}.isdisjoint({m.id for m in v1.modules})
    copied = v2.modules[1].attachments
    assert [(a.filename, a.stored_name, a.mime) for a in copied] == [
        ("PP-94-2021.pdf", item.stored_name, "application/pdf")]
    assert copied[0].id != item.id
    with pytest.raises(InvalidInput, match="Masih ada draf versi 2"):
        authoring.new_draft_from(admin, v1)
    authoring.update_module(admin, v2.modules[0], "Pengantar baru", "Teks baru.", None)
    assert get(CourseVersion, v1).modules[0].title == "Pengantar"


def test_progress_pinned_to_v1_survives_v2(ctx, world):
    """After v2 is published and a new program uses it, is a learner's v1 progress exactly as it was?"""
    admin, learner = get(Person, world["admin"]), get(Person, world["learner"])
    root, unit_a = get(Unit, world["tree"]["root"]), get(Unit, world["tree"]["a"])
    today = local_today(learner)
    v1 = draft_course(admin, root)
    authoring.publish_version(admin, v1, acknowledge_unreviewed=True)
    dates = {"starts_on": today - timedelta(days=1), "ends_on": today + timedelta(days=30)}
    old = programs.create_program(admin, root, title="Pilkada 2026", version=v1, targets=[unit_a],
                                  jenis=set(Jenis), published=True, **dates)
    services.open_module(learner, old, 0, today)
    services.complete_module(learner, old, 0, today)
    services.open_module(learner, old, 1, today)
    v2 = authoring.new_draft_from(admin, v1)
    authoring.update_module(admin, v2.modules[0], "Pengantar (revisi)", "Teks revisi.", None)
    authoring.delete_module(admin, v2.modules[2])
    authoring.publish_version(admin, v2, acknowledge_unreviewed=True)
    new = programs.create_program(admin, root, title="Pilkada 2026 gelombang 2", version=v2, targets=[unit_a],
                                  jenis=set(Jenis), published=True, **dates)
    db.session.expire_all()
    old, new = get(Program, old), get(Program, new)
    state = services.journey_state(old, services.find_enrollment(learner, old))
    assert old.course_version.number == 1 and state.module_count == 3 and state.completed == frozenset({0})
    assert old.course_version.modules[0].title == "Pengantar"
    assert services.journey_state(new, services.find_enrollment(learner, new)).completed == frozenset()
    assert new.course_version.number == 2 and len(new.course_version.modules) == 2
    rows = db.session.scalars(select(ModuleProgress)).all()
    assert len(rows) == 2 and all(row.module.version_id == v1.id for row in rows)


def test_copy_for_the_next_cycle(ctx, factory, world, monkeypatch):
    """Does copying a bundled course give the instansi its own draft, leaving old programs and progress alone?"""
    bundled_v1 = factory.course(modules=2)
    admin, learner = get(Person, world["admin"]), get(Person, world["learner"])
    root = get(Unit, world["tree"]["root"])
    old = get(Program, factory.program(world["tree"]["root"], bundled_v1, targets=[world["tree"]["a"]]))
    today = local_today(learner)
    services.open_module(learner, old, 0, today)
    services.complete_module(learner, old, 0, today)
    calls = []
    monkeypatch.setitem(authoring.COPY_HOOKS, "soal", lambda source, copy: calls.append((source.id, copy.id)) or 7)
    source = get(CourseVersion, bundled_v1)
    course = authoring.copy_course(admin, source, root, "Netralitas ASN Pemilu 2029")
    draft = course.versions[0]
    assert course.instansi_id == root.id and course.id != source.course_id
    assert (draft.number, draft.status, draft.title) == (1, VersionStatus.DRAFT, "Netralitas ASN Pemilu 2029")
    assert titles(draft) == titles(source) and calls == [(source.course_id, course.id)]
    authoring.update_module(admin, draft.modules[0], "Diperbarui 2029", "Teks 2029.", None)
    db.session.expire_all()
    old = get(Program, old)
    assert old.course_version_id == bundled_v1 and old.course_version.modules[0].title == "Modul Uji 1"
    assert services.journey_state(old, services.find_enrollment(learner, old)).completed == frozenset({0})
    with pytest.raises(InvalidInput, match="sudah terbit"):
        authoring.copy_course(admin, draft, root, "Salinan draf")


def test_bundled_courses_are_read_only_for_admins_and_others_are_out_of_scope(ctx, factory, world):
    """Can an admin read but not edit bundled content, and not even see another instansi's course?"""
    bundled = factory.course(modules=1)
    admin, other = get(Person, world["admin"]), get(Person, world["admin_other"])
    own = draft_course(admin, get(Unit, world["tree"]["root"]))
    version = authoring.get_version_for(admin, bundled)
    with pytest.raises(NotAllowed):
        authoring.new_draft_from(admin, version)
    with pytest.raises(NotAllowed):
        authoring.record_review(admin, version, date(2026, 1, 5), "Bagian Hukum")
    assert authoring.new_draft_from(get(Person, world["superadmin"]), version).number == 2
    for loader, object_id in [(authoring.get_course_for, own.course_id), (authoring.get_version_for, own.id),
                              (authoring.get_module_for, own.modules[0].id)]:
        with pytest.raises(OutOfScope):
            loader(other, object_id)
    assert [c.id for c in authoring.courses_for(other)] == [version.course_id]
    assert [c.id for c in authoring.courses_for(admin)] == [version.course_id, own.course_id]


def test_reviews_show_the_newest_and_refuse_future_dates(ctx, factory, world):
    """Is the newest review the one learners see, and is a review dated next month refused?"""
    admin = get(Person, world["admin"])
    version = draft_course(admin, get(Unit, world["tree"]["root"]))
    authoring.publish_version(admin, version, acknowledge_unreviewed=True)
    authoring.record_review(admin, version, date(2026, 1, 5), "Bagian Hukum Setda", "Sesuai PP 94/2021.",
                            sources=SOURCES)
    authoring.record_review(admin, version, date(2026, 3, 1), "Inspektorat", sources=SOURCES)
    assert services.latest_review(version).reviewer == "Inspektorat"
    with pytest.raises(InvalidInput, match="masa depan"):
        authoring.record_review(admin, version, now_utc().date() + timedelta(days=30), "Siapa", sources=SOURCES)


SOURCES = "PP 94/2021 https://peraturan.bpk.go.id/Details/180495\nSKB 2022 — https://jdih.bkn.go.id/skb-2022"


@pytest.mark.parametrize("sources, message", [
    ("", "Sebutkan sumber"),
    ("PP 94/2021 di JDIH", "belum memiliki tautan"),
    ("PP 94/2021 javascript://alert(1)", "http:// atau https://"),
    ("PP 94/2021 ftp://jdih.bkn.go.id/pp", "http:// atau https://"),
])
def test_a_review_names_its_sources_with_links(ctx, world, sources, message):
    """Is a review refused without sources, or with a source that has no http(s) link, saying why?"""
    admin = get(Person, world["admin"])
    version = draft_course(admin, get(Unit, world["tree"]["root"]))
    with pytest.raises(InvalidInput, match=message):
        authoring.record_review(admin, version, date(2026, 1, 5), "Bagian Hukum", sources=sources)


def test_an_unreviewed_version_is_published_only_with_an_audited_acknowledgement(ctx, world):
    """Is publishing an unreviewed draft refused until the author acknowledges it, and is that logged?
    And does a reviewed draft publish without the acknowledgement?"""
    import json

    admin = get(Person, world["admin"])
    version = draft_course(admin, get(Unit, world["tree"]["root"]))
    with pytest.raises(InvalidInput, match="belum ditinjau"):
        authoring.publish_version(admin, version)
    assert version.status == VersionStatus.DRAFT
    authoring.publish_version(admin, version, acknowledge_unreviewed=True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course_version.publish")).one()
    assert json.loads(event.details)["unreviewed_acknowledged"] is True
    reviewed = draft_course(admin, get(Unit, world["tree"]["root"]))
    authoring.record_review(admin, reviewed, date(2026, 1, 5), "Bagian Hukum", sources=SOURCES)
    authoring.publish_version(admin, reviewed)
    assert reviewed.status == VersionStatus.PUBLISHED


def test_archived_version_keeps_its_programs_editable(ctx, world):
    """After archiving v1, can a program pinned to it still change its dates, while new ones cannot use it?"""
    admin = get(Person, world["admin"])
    root, unit_a = get(Unit, world["tree"]["root"]), get(Unit, world["tree"]["a"])
    version = draft_course(admin, root)
    authoring.publish_version(admin, version, acknowledge_unreviewed=True)
    values = {"title": "Pilkada", "targets": [unit_a], "jenis": {Jenis.PNS},
              "starts_on": date(2026, 1, 1), "ends_on": date(2026, 2, 1)}
    program = programs.create_program(admin, root, version=version, **values)
    authoring.archive(admin, version)
    programs.update_program(admin, program, **{**values, "ends_on": date(2026, 3, 1)})
    assert program.ends_on == date(2026, 3, 1)
    with pytest.raises(InvalidInput, match="sudah terbit"):
        programs.create_program(admin, root, version=version, **values)
    with pytest.raises(InvalidInput, match="tidak dapat berpindah"):
        authoring.archive(admin, version)


def test_programs_are_loaded_only_in_scope(ctx, factory, world):
    """Does an admin of another instansi get 'not found' for a program, and see only their own list?"""
    version = factory.course(modules=1)
    program_id = factory.program(world["tree"]["root"], version)
    admin, other = get(Person, world["admin"]), get(Person, world["admin_other"])
    assert programs.get_program_for_admin(admin, program_id).id == program_id
    with pytest.raises(OutOfScope):
        programs.get_program_for_admin(other, program_id)
    assert [p.id for p in programs.programs_for_admin(admin)] == [program_id]
    assert programs.programs_for_admin(other) == []
