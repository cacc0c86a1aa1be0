"""End to end, in headless Chromium: a participant's whole journey through the demo program."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_PARTICIPANT, assert_accessible, log_in

pytestmark = pytest.mark.browser


def frozen_answers(tmp_root, attempt_id: int) -> dict[int, list[int]]:
    """The correct option ids of an attempt, read from the live server's database (never from the page)."""
    with sqlite3.connect(tmp_root / "browser" / "live.db") as connection:
        rows = connection.execute("SELECT id, snapshot FROM attempt_questions WHERE attempt_id = ?", (attempt_id,))
        return {question_id: json.loads(snapshot)["correct"] for question_id, snapshot in rows}


def test_participant_reads_in_order_fails_then_passes_signs_and_downloads(page, tmp_root):
    """Modules in order → quiz failed once, passed on the second attempt → pact → certificate."""
    log_in(page, *DEMO_PARTICIPANT)
    expect(page.get_by_role("heading", name="Program Anda")).to_be_visible()
    assert_accessible(page)

    # A later module cannot be opened before its turn, whatever URL is typed.
    program_link = page.get_by_role("link", name="Sosialisasi Netralitas ASN Pilkada 2026")
    program_url = program_link.get_attribute("href")
    response = page.goto(f"{program_url}/modul/3")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Akses ditolak")
    assert_accessible(page)

    page.goto("/")
    page.get_by_role("link", name="Mulai Modul 1").click()
    for number in range(1, 8):
        expect(page.get_by_text(f"Modul {number} dari 7")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Saya sudah membaca modul ini").click()
    expect(page.get_by_role("link", name="Mulai Kuis")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Mulai Kuis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kuis")
    assert_accessible(page)
    page.get_by_role("button", name="Mulai Kuis").click()
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())  # "10 soal belum dijawab … Kirim tetap?"
    page.get_by_role("button", name="Kirim jawaban").click()  # nothing answered: fails
    expect(page.get_by_text("Belum lulus")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Coba lagi").click()
    page.wait_for_url(re.compile(r"/kuis/\d+$"))  # 'Mulai' answered with the page; quiz.js shows its address
    attempt_id = int(re.search(r"/kuis/(\d+)", page.url).group(1))
    for question_id, correct in frozen_answers(tmp_root, attempt_id).items():
        for option_id in correct:
            page.locator(f'input[name="q-{question_id}"][value="{option_id}"]').check()
    assert_accessible(page)
    page.get_by_role("button", name="Kirim jawaban").click()
    expect(page.get_by_text("Selamat, Anda lulus")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Tanda Tangani Pakta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pakta Integritas")
    assert_accessible(page)
    for box in page.get_by_label("Saya setuju dan akan mematuhi butir ini").all():
        box.check()
    page.get_by_label("Ketik nama lengkap Anda").fill("Dewi Lestari")
    page.get_by_label("Kata sandi akun").fill(DEMO_PARTICIPANT[1])
    page.get_by_role("button", name="Tanda Tangani").click()
    expect(page.get_by_text("Pakta integritas berhasil ditandatangani.")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as pact_download:
        page.get_by_role("link", name="Unduh pakta (PDF)").click()
    assert pact_download.value.suggested_filename.startswith("pakta-")

    page.get_by_role("link", name="Unduh Sertifikat").click()
    expect(page.get_by_text("Selamat! Anda telah menyelesaikan")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as certificate_download:
        page.get_by_role("link", name="Unduh Sertifikat (PDF)").click()
    path = certificate_download.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    code = page.locator("dd.mono").first.inner_text()

    page.goto(f"/verifikasi/{code}")
    expect(page.get_by_text("ASLI")).to_be_visible()
    assert_accessible(page)
