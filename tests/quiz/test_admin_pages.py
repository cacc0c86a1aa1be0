"""Quiz admin pages through the client: who may open them, authoring with a participant preview,
import and export downloads, settings, and per-question statistics."""
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from netral_learn.accounts.models import Role
from netral_learn.core import clock
from netral_learn.courses.models import CourseVersion, Program
from netral_learn.extensions import db
from netral_learn.quiz import services
from netral_learn.quiz.models import AttemptKind, Question, QuizSettings

from ..conftest import make_app
from ..factories import Factory
from .test_attempts import correct_answers, finish_modules
from .test_bank import GOOD_ROWS, csv_file


def owned_by(app, version_id, instansi) -> int:
    """Make the version's course belong to ``instansi``; returns the course id."""
    with app.app_context():
        course = db.session.get(CourseVersion, version_id).course
        course.instansi_id = instansi.id
        db.session.commit()
        return course.id


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    version = factory.course(modules=1)
    course = owned_by(app, version, tree["root"])
    bundled_version = factory.course(modules=1)
    with app.app_context():
        bundled = db.session.get(CourseVersion, bundled_version).course_id
    program = factory.program(tree["root"], version)
    questions = factory.bank(version, count=6)
    factory.bank(bundled_version, count=3)
    factory.quiz_settings(program, question_count=5)
    return {
        "tree": tree, "version": version, "course": course, "bundled": bundled, "program": program,
        "questions": questions,
        "participant": factory.person(tree["a1"]),
        "participant2": factory.person(tree["b1"]),
        "operator": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]),
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]),
        "superadmin": factory.person(tree["root"], role=Role.SUPERADMIN),
    }


@pytest.fixture
def client_for(app):
    def _client(person):
        client = app.test_client()
        assert client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD}).status_code == 302
        return client

    return _client


ROUTES = {
    "bank": "/admin/kursus/{course}/soal",
    "new": "/admin/kursus/{course}/soal/baru",
    "edit": "/admin/kursus/{course}/soal/{question}",
    "import": "/admin/kursus/{course}/soal/impor",
    "export": "/admin/kursus/{course}/soal/ekspor.xlsx",
    "settings": "/admin/program/{program}/kuis",
    "bundled_bank": "/admin/kursus/{bundled}/soal",
    "bundled_new": "/admin/kursus/{bundled}/soal/baru",
}
EXPECTED = {  # role → status per route (same order as ROUTES)
    "participant": [403] * 8,
    "operator": [403] * 8,
    "admin": [200, 200, 200, 200, 200, 200, 200, 403],
    "admin_other": [404, 404, 404, 404, 404, 404, 200, 403],
    "superadmin": [200] * 8,
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_access_to_own_and_bundled_banks(world, client_for, role):
    """Who may open each page of an instansi's bank and of a bundled one: own instansi yes, other
    instansi 404, bundled read-only, operators 403 (the plain routes are in tests/test_route_matrix.py)?"""
    client = client_for(world[role])
    ids = {"course": world["course"], "question": world["questions"][0], "program": world["program"],
           "bundled": world["bundled"]}
    got = [client.get(url.format(**ids)).status_code for url in ROUTES.values()]
    assert dict(zip(ROUTES, got, strict=True)) == dict(zip(ROUTES, EXPECTED[role], strict=True))


def test_posts_outside_scope_change_nothing(app, world, client_for):
    """Can an admin of another instansi, or an admin on a bundled course, change a bank by posting? (No.)"""
    other = client_for(world["admin_other"])
    question = world["questions"][0]
    assert other.post(f"/admin/kursus/{world['course']}/soal/{question}/status", data={"active": "0"}).status_code == 404
    assert other.post(f"/admin/program/{world['program']}/kuis", data={"question_count": 1}).status_code == 404
    admin = client_for(world["admin"])
    with app.app_context():
        bundled_question = db.session.scalar(select(Question.id).where(Question.course_id == world["bundled"]))
    assert admin.post(f"/admin/kursus/{world['bundled']}/soal/{bundled_question}/status",
                      data={"active": "0"}).status_code == 403
    with app.app_context():
        assert db.session.get(Question, question).active and db.session.get(Question, bundled_question).active


def question_form(**changes):
    data = {"type": "single", "text": "Bolehkah ASN memasang baliho calon di kantor?", "tag": "kampanye",
            "explanation": "Fasilitas negara tidak boleh dipakai untuk kampanye.", "basis": "UU 10/2016 Pasal 70",
            "options-0-text": "Tidak boleh", "options-0-correct": "y",
            "options-1-text": "Boleh bila di luar jam kerja", "options-2-text": "Boleh bila atasan setuju",
            "save": "Simpan soal"}
    data.update(changes)
    return data


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', page, re.S)
    assert match, element_id
    return match.group(0)


def test_create_question_and_see_it_as_a_participant_would(app, world, client_for):
    """After saving, does the page show the question as participants see it (no key) and the key to the admin?"""
    client = client_for(world["admin"])
    response = client.post(f"/admin/kursus/{world['course']}/soal/baru", data=question_form())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    participant = section(page, "pratinjau-peserta")
    assert "Bolehkah ASN memasang baliho calon di kantor?" in participant
    assert participant.count('type="radio"') == 3 and "Boleh bila atasan setuju" in participant
    assert "jawaban benar" not in participant and "Fasilitas negara" not in participant
    key = section(page, "kunci-jawaban")
    assert re.search(r'class="correct">A\. Tidak boleh <strong>\(jawaban benar\)', key)
    assert "UU 10/2016 Pasal 70" in key
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.text.like("Bolehkah ASN memasang%")))
        assert question.course_id == world["course"] and question.tag == "kampanye"


def test_preview_saves_nothing_and_broken_rules_are_shown(app, world, client_for):
    """Does 'Pratinjau' show an unsaved question, and a rule broken on save stay on the form with its message?"""
    client = client_for(world["admin"])
    url = f"/admin/kursus/{world['course']}/soal/baru"
    form = question_form(type="multiple", **{"options-1-correct": "y"})
    form.pop("save")
    page = client.post(url, data={**form, "preview": "Pratinjau"}).get_data(as_text=True)
    assert "belum disimpan" in section(page, "pratinjau-peserta")
    assert section(page, "pratinjau-peserta").count('type="checkbox"') == 3
    page = client.post(url, data=question_form(**{"options-1-correct": "y"})).get_data(as_text=True)
    assert "tepat satu jawaban benar" in page and "pratinjau-peserta" not in page
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.text.like("Bolehkah ASN memasang%"))) is None


def test_deactivate_from_the_list(app, world, client_for):
    """Does 'Nonaktifkan' take a question off the active list?"""
    client = client_for(world["admin"])
    question = world["questions"][0]
    response = client.post(f"/admin/kursus/{world['course']}/soal/{question}/status", data={"active": "0"})
    assert response.status_code == 302
    active_list = client.get(f"/admin/kursus/{world['course']}/soal").get_data(as_text=True)
    inactive_list = client.get(f"/admin/kursus/{world['course']}/soal?status=inactive").get_data(as_text=True)
    assert f"/soal/{question}\"" not in active_list and f"/soal/{question}\"" in inactive_list


def test_import_upload_preview_apply(app, world, client_for):
    """Does an upload show a dry-run preview first, and only 'Terapkan' add the questions?"""
    client = client_for(world["admin"])
    base = f"/admin/kursus/{world['course']}/soal/impor"
    response = client.post(base, data={"file": (io.BytesIO(csv_file(GOOD_ROWS)), "soal.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Terapkan impor" in preview and "Bolehkah ASN menjadi juru kampanye?" in preview
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.text == GOOD_ROWS[0][2])) is None
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    applied = client.post(f"{base}/{token}/terapkan", data={"token": token}, follow_redirects=True)
    assert "3 soal baru" in applied.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.text == GOOD_ROWS[0][2])) is not None


def test_import_with_errors_offers_the_report_and_no_apply(world, client_for):
    """Does a file with a bad row show the row's error, a report download, and no apply button?"""
    client = client_for(world["admin"])
    rows = [*GOOD_ROWS, ["single", "x", "Soal rusak", "A", "B", "", "", "", "", "Z", "", ""]]
    response = client.post(f"/admin/kursus/{world['course']}/soal/impor",
                           data={"file": (io.BytesIO(csv_file(rows)), "soal.csv")}, content_type="multipart/form-data")
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Terapkan impor" not in preview and "Jawaban \u201cZ\u201d tidak dikenal" in preview
    report = client.get(response.headers["Location"] + "/kesalahan.csv").get_data(as_text=True)
    assert "5,Jawaban,Z," in report


def test_export_download(world, client_for):
    """Does the export download as an XLSX workbook holding the bank?"""
    response = client_for(world["admin"]).get(f"/admin/kursus/{world['course']}/soal/ekspor.xlsx")
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 7 and sheet["C2"].value == "Soal nomor 1?"


SETTINGS_FORM = {"question_count": "4", "min_per_tag": "1", "per_tag-0-tag": "dasar", "per_tag-0-count": "2", "per_tag-1-tag": "sanksi",
                 "per_tag-1-count": "0", "pass_mark": "75", "max_attempts": "0", "time_limit_minutes": "30",
                 "cooldown_minutes": "10", "grace_seconds": "30", "review_mode": "immediately", "pretest_enabled": "y"}


def test_settings_form_saves_and_refuses_what_the_bank_cannot_supply(app, world, client_for):
    """Does the settings form save valid values and refuse a draw larger than the bank, saying why?"""
    client = client_for(world["admin"])
    url = f"/admin/program/{world['program']}/kuis"
    page = client.get(url).get_data(as_text=True)
    assert 'value="dasar"' in page and "3 soal aktif" in page
    assert client.post(url, data=SETTINGS_FORM).status_code == 302
    with app.app_context():
        settings = db.session.get(QuizSettings, world["program"])
        assert (settings.question_count, settings.per_tag, settings.pass_mark) == (4, {"dasar": 2}, 75)
        assert settings.max_attempts == 0 and settings.pretest_enabled
    page = client.post(url, data={**SETTINGS_FORM, "question_count": "9", "per_tag-0-count": "4"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "hanya memiliki 3 soal aktif; diminta 4" in text
    with app.app_context():
        assert db.session.get(QuizSettings, world["program"]).question_count == 4


def test_settings_refuse_a_per_module_minimum_the_count_cannot_hold(app, world, client_for):
    """With two modules, does a minimum of 3 per module in a quiz of 4 come back with the reason, unsaved?"""
    client = client_for(world["admin"])
    url = f"/admin/program/{world['program']}/kuis"
    assert 'name="min_per_tag"' in client.get(url).get_data(as_text=True)
    page = client.post(url, data={**SETTINGS_FORM, "min_per_tag": "3", "per_tag-0-count": "0"})
    assert page.status_code == 200
    assert "Minimal 3 soal dari tiap modul (2 modul) memerlukan 6 soal" in page.get_data(as_text=True)
    assert client.post(url, data={**SETTINGS_FORM, "min_per_tag": "2", "per_tag-0-count": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(QuizSettings, world["program"]).min_per_tag == 2


def test_statistics_after_two_finished_attempts(app, world, client_for):
    """After two finished attempts, does the table put the question most got wrong first, with the wrong pick?"""
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        settings = db.session.get(QuizSettings, program.id)
        settings.question_count = 6
        db.session.commit()
        hard = world["questions"][0]  # single choice: "Pilihan A" is right
        for index, person in enumerate((world["participant"], world["participant2"])):
            learner, program = finish_modules(person.id, world["program"])
            attempt = services.start_attempt(learner, program, AttemptKind.POST, clock.now_utc())
            answers = correct_answers(attempt)
            if index == 1:
                item = next(i for i in attempt.questions if i.question_id == hard)
                answers[item.id] = [o["id"] for o in item.snapshot["options"] if o["text"] == "Pilihan C"]
            services.submit_attempt(attempt, answers, clock.now_utc())
            db.session.commit()
        hard_text = db.session.get(Question, hard).text
    page = client_for(world["admin"]).get(f"/admin/program/{world['program']}/kuis").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td[^>]*><a href=\"/admin/kursus/\d+/soal/\d+\">(.*?)</a>.*?</tr>", page, re.S)
    assert len(rows) == 6 and rows[0] == hard_text
    first_row = re.search(rf"{re.escape(hard_text)}</a>.*?</tr>", page, re.S).group(0)
    assert "50.0%" in first_row and "Pilihan C" in first_row and "(1 kali)" in first_row
    assert page.count("100.0%") == 5


def test_admin_forms_carry_csrf(tmp_root, app, world):
    """With CSRF on, is a settings or question post without its token refused?"""
    csrf_app = make_app(tmp_root, WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    login_page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/masuk", data={"nip": world["admin"].nip, "password": Factory.PASSWORD, "csrf_token": token})
    assert client.post(f"/admin/program/{world['program']}/kuis", data=SETTINGS_FORM).status_code == 400
    assert client.post(f"/admin/kursus/{world['course']}/soal/baru", data=question_form()).status_code == 400
    page = client.get(f"/admin/kursus/{world['course']}/soal/baru").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    with csrf_app.app_context():
        assert db.session.scalar(select(Question).where(Question.text.like("Bolehkah ASN memasang%"))) is None


def test_a_long_bank_pages_and_filters(app, factory, world, client_for):
    """Does a bank longer than one page offer the next page, keeping the filters and the course?"""
    factory.bank(world["version"], count=120, tags=("dasar",))
    client = client_for(world["admin"])
    page = client.get(f"/admin/kursus/{world['course']}/soal?tag=dasar").get_data(as_text=True)
    assert "123 soal" in page  # 3 from the fixture's bank + 120
    next_link = re.search(r'<a href="([^"]+)" rel="next">', page).group(1).replace("&amp;", "&")
    assert next_link.startswith(f"/admin/kursus/{world['course']}/soal?") and "tag=dasar" in next_link
    assert "page=2" in next_link and client.get(next_link).status_code == 200
