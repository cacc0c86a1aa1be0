"""A participant off the happy path, on a 360 px phone, with JavaScript on and off (issue 24).

Every learner page fits 360 px without sideways scrolling; a failed attempt says what to read
again; blank answers are caught before submitting; a time-out is told with the answers saved;
a module's minimum reading time holds. Each test uses its own new participant of the demo program,
made through a second app on the live server's database.
"""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ..conftest import make_app
from ..factories import Factory
from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]


@pytest.fixture(scope="module")
def live_app(live_server, tmp_root):
    """An app on the live server's database, to set up people and to run the server's closing job."""
    from netral_learn.extensions import db

    folder = tmp_root / "browser"
    app = make_app(tmp_root, env={"DATABASE_URL": f"sqlite:///{folder / 'live.db'}",
                                  "STORAGE_DIR": str(folder / "storage")})
    yield app
    with app.app_context():
        db.engine.dispose()


def new_learner(live_app, name: str, modules_done: bool = False) -> tuple[str, str, int]:
    """A new participant of the demo program (NIP, password, program id), optionally done with the modules."""
    from netral_learn.accounts.models import Person, Unit
    from netral_learn.core.clock import now_utc
    from netral_learn.courses import services as course_services
    from netral_learn.courses.models import Program
    from netral_learn.extensions import db

    with live_app.app_context():
        root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        db.session.expunge(root)
    person = Factory(live_app).person(root, name=name)
    with live_app.test_request_context():
        program = db.session.scalar(select(Program).order_by(Program.id))
        if modules_done:
            learner, today = db.session.get(Person, person.id), now_utc().date()
            for position in range(len(program.course_version.modules)):
                course_services.open_module(learner, program, position, today)
                course_services.complete_module(learner, program, position, today)
        program_id = program.id
        db.session.commit()
    return person.nip, Factory.PASSWORD, program_id


def fits(page, name: str | None = None) -> None:
    """The page passes axe and fits the phone: nothing scrolls sideways."""
    assert_accessible(page, name)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def attempt_rows(tmp_root, attempt_id: int) -> list[tuple[int, list[int]]]:
    """(attempt question id, correct option ids) in order, from the live database (never from the page)."""
    with sqlite3.connect(tmp_root / "browser" / "live.db") as connection:
        rows = connection.execute("SELECT id, snapshot FROM attempt_questions WHERE attempt_id = ? ORDER BY position",
                                  (attempt_id,))
        return [(question_id, json.loads(snapshot)["correct"]) for question_id, snapshot in rows]


def attempt_id_of(page) -> int:
    """The attempt on the page ('Mulai' answers with the page itself; without JavaScript the address
    bar keeps the POST's address)."""
    return int(re.search(r"/kuis/(\d+)", page.locator("#quiz-form").get_attribute("data-address")).group(1))


def tick(page, question_id: int, option_ids: list[int]) -> None:
    for option_id in option_ids:
        page.locator(f'input[name="q-{question_id}"][value="{option_id}"]').check()


@pytest.mark.parametrize("script", MODES)
def test_every_learner_page_fits_a_phone(new_page, live_app, tmp_root, script):
    """At 360 px, with JavaScript on and off, does every page of the journey fit without sideways
    scrolling: login, home, program, each module, quiz rules, question page, blank-answer check,
    result (failed, then passed with review), pact, certificate and verification?"""
    nip, password, program_id = new_learner(live_app, f"Peserta Ponsel {'JS' if script else 'Tanpa JS'}")
    page = new_page(viewport=PHONE, java_script_enabled=script)
    page.goto("/masuk")
    fits(page)
    log_in(page, nip, password)
    fits(page)
    page.goto(f"/program/{program_id}")
    fits(page)
    page.goto(f"/program/{program_id}/modul/1")
    for number in range(1, 8):
        expect(page.get_by_text(f"Modul {number} dari 7")).to_be_visible()
        fits(page)
        page.get_by_role("button", name="Saya sudah membaca modul ini").click()
    page.goto(f"/program/{program_id}/kuis")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kuis")
    fits(page)
    page.get_by_role("button", name="Mulai Kuis").click()
    expect(page.locator("fieldset.question").first).to_be_visible()
    fits(page)
    # the question text sits inside its card, below the card's top border
    card, legend = page.locator("fieldset.question").first.bounding_box(), page.locator(
        "fieldset.question legend").first.bounding_box()
    assert legend["y"] >= card["y"] + 1 and legend["x"] + legend["width"] <= card["x"] + card["width"]

    attempt_id = attempt_id_of(page)
    rows = attempt_rows(tmp_root, attempt_id)
    first_id, first_correct = rows[0]
    tick(page, first_id, first_correct)  # one right, the rest blank: fails
    if script:
        dialogs = []
        page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        page.get_by_role("button", name="Kirim jawaban").click()
        expect(page.get_by_text("Belum lulus")).to_be_visible()
        assert dialogs and dialogs[0].startswith(f"{len(rows) - 1} soal belum dijawab: nomor 2, 3")
    else:
        page.get_by_role("button", name="Kirim jawaban").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada soal yang belum dijawab")
        expect(page.get_by_text(f"{len(rows) - 1} dari {len(rows)} soal belum dijawab")).to_be_visible()
        fits(page)
        page.get_by_role("link", name="Kembali").click()  # back to the questions, the answer kept
        expect(page.get_by_text("Jawaban tersimpan.")).to_be_visible()
        expect(page.locator(f'input[name="q-{first_id}"][value="{first_correct[0]}"]')).to_be_checked()
        fits(page)
        page.get_by_role("button", name="Kirim jawaban").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada soal yang belum dijawab")
        page.get_by_role("button", name="Kirim tetap").click()
        expect(page.get_by_text("Belum lulus")).to_be_visible()
    fits(page)
    expect(page.locator(".result-figures")).to_contain_text("Sisa percobaan")
    expect(page.get_by_role("heading", name="Modul yang perlu dibaca lagi")).to_be_visible()
    expect(page.get_by_text("Pembahasan soal ditampilkan setelah Anda lulus.")).to_be_visible()

    page.get_by_role("button", name="Coba lagi").click()
    expect(page.locator("fieldset.question").first).to_be_visible()
    fits(page)
    for question_id, correct in attempt_rows(tmp_root, attempt_id_of(page)):
        tick(page, question_id, correct)
    page.get_by_role("button", name="Kirim jawaban").click()
    expect(page.get_by_text("Selamat, Anda lulus")).to_be_visible()
    expect(page.get_by_role("heading", name="Pembahasan")).to_be_visible()
    fits(page)

    page.get_by_role("link", name="Tanda Tangani Pakta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pakta Integritas")
    fits(page)
    for box in page.get_by_label("Saya setuju dan akan mematuhi butir ini").all():
        box.check()
    page.get_by_label("Ketik nama lengkap Anda").fill(f"Peserta Ponsel {'JS' if script else 'Tanpa JS'}")
    page.get_by_label("Kata sandi akun").fill(password)
    page.get_by_role("button", name="Tanda Tangani").click()
    expect(page.get_by_text("Pakta integritas berhasil ditandatangani.")).to_be_visible()
    fits(page)
    page.get_by_role("link", name="Unduh Sertifikat").click()
    expect(page.get_by_text("Selamat! Anda telah menyelesaikan")).to_be_visible()
    fits(page)
    code = page.locator("dd.mono").first.inner_text()
    page.goto("/")
    fits(page)
    page.goto("/verifikasi")
    fits(page)
    page.goto(f"/verifikasi/{code}")
    expect(page.get_by_text("ASLI")).to_be_visible()
    fits(page)


@pytest.mark.parametrize("script", MODES)
def test_time_out_is_told_with_the_answers_saved(new_page, live_app, tmp_root, script):
    """When the server closes an attempt at its deadline, does the result page say so and which answers
    were saved (autosaved with JavaScript, 'Simpan jawaban' without)?"""
    from netral_learn.extensions import db
    from netral_learn.quiz import services
    from netral_learn.quiz.models import Attempt

    nip, password, program_id = new_learner(live_app, "Peserta Waktu Habis", modules_done=True)
    page = new_page(viewport=PHONE, java_script_enabled=script)
    log_in(page, nip, password)
    fits(page)
    page.goto(f"/program/{program_id}/kuis")
    fits(page)
    page.get_by_role("button", name="Mulai Kuis").click()
    expect(page.locator("fieldset.question").first).to_be_visible()
    fits(page)
    attempt_id = attempt_id_of(page)
    rows = attempt_rows(tmp_root, attempt_id)
    for question_id, correct in (rows[0], rows[2]):
        tick(page, question_id, correct)
    if script:
        expect(page.locator("#save-state")).to_contain_text("Tersimpan")
    else:
        page.get_by_role("button", name="Simpan jawaban").click()
        expect(page.get_by_text("Jawaban tersimpan.")).to_be_visible()
    fits(page)
    with live_app.test_request_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert services.close_abandoned(attempt.deadline_at + timedelta(seconds=attempt.grace_seconds + 1)) == 1
        db.session.commit()
    page.goto(f"/program/{program_id}/kuis/{attempt_id}/hasil")
    expect(page.get_by_role("heading", name="Waktu habis")).to_be_visible()
    expect(page.get_by_text("Jawaban tersimpan: soal 1, 3.")).to_be_visible()
    fits(page)


@pytest.fixture
def first_module_takes_three_seconds(live_app):
    """The demo course's first module with a 3-second minimum reading time, for one test."""
    from netral_learn.courses.models import Module, Program
    from netral_learn.extensions import db

    def set_minimum(seconds: int) -> None:
        with live_app.app_context():
            program = db.session.scalar(select(Program).order_by(Program.id))
            module = db.session.scalar(select(Module).where(Module.version_id == program.course_version_id,
                                                            Module.position == 0))
            module.min_reading_seconds = seconds
            db.session.commit()

    set_minimum(3)
    yield
    set_minimum(0)


@pytest.mark.parametrize("script", MODES)
def test_minimum_reading_time(new_page, live_app, first_module_takes_three_seconds, script):
    """Is a module with a minimum reading time held until the time has passed: with JavaScript a
    countdown and a disabled button; without, the time shown and an early press refused with the time left?"""
    nip, password, program_id = new_learner(live_app, "Peserta Pembaca")
    page = new_page(viewport=PHONE, java_script_enabled=script)
    log_in(page, nip, password)
    fits(page)
    page.goto(f"/program/{program_id}/modul/1")
    button = page.get_by_role("button", name="Saya sudah membaca modul ini")
    if script:
        expect(button).to_be_disabled()
        expect(page.locator("#reading-wait")).to_contain_text("Sisa waktu baca minimum: 0:0")
        fits(page)
        expect(button).to_be_enabled(timeout=8_000)
        expect(page.locator("#reading-wait")).to_contain_text("Waktu baca minimum terpenuhi")
    else:
        expect(page.locator("#reading-wait")).to_contain_text("Waktu baca minimum modul ini 3 detik")
        fits(page)
        button.click()
        expect(page.get_by_text("Modul ini perlu dibaca sekurang-kurangnya 3 detik.")).to_be_visible()
        expect(page.get_by_text(re.compile(r"Sisa waktu baca: [123] detik"))).to_be_visible()
        fits(page)
        page.wait_for_timeout(3_200)
    page.get_by_role("button", name="Saya sudah membaca modul ini").click()
    expect(page.get_by_text("Modul 2 dari 7")).to_be_visible()
    fits(page)
