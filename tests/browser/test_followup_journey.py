"""End to end, in headless Chromium: a learner fails every quiz attempt and is stuck; the OPD operator
finds them under 'Perlu bantuan', grants one more attempt with a reason; the learner passes and signs."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import expect

from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.browser

DEMO_OPERATOR = ("198903152014031001", "Operator#Netral2026")
LEARNER_PASSWORD = "Belajar#Netral-2026"
OPERATOR_PHONE = "0812-5500-1234"


def _database(tmp_root):
    return sqlite3.connect(tmp_root / "browser" / "live.db")


def stuck_candidate(tmp_root) -> tuple[str, str]:
    """(NIP, name) of a demo participant of Dinas Pendidikan, given a known password; the operator gets a phone."""
    with _database(tmp_root) as connection:
        path, = connection.execute("SELECT path FROM units WHERE name = 'Dinas Pendidikan'").fetchone()
        person_id, nip, name = connection.execute(
            "SELECT p.id, p.nip, p.name FROM people p JOIN units u ON u.id = p.unit_id "
            "WHERE u.path LIKE ? AND p.role = 'participant' AND p.jenis = 'PNS' AND p.nip <> '199204102019032011' "
            "ORDER BY p.id DESC LIMIT 1", (path + "%",)).fetchone()
        connection.execute("UPDATE people SET password_hash = ?, must_change_password = 0, initial_password_enc = NULL "
                           "WHERE id = ?", (PasswordHasher().hash(LEARNER_PASSWORD), person_id))
        connection.execute("UPDATE people SET phone = ? WHERE nip = ?", (OPERATOR_PHONE, DEMO_OPERATOR[0]))
    return nip, name


def frozen(tmp_root, attempt_id: int) -> dict[int, tuple[list[int], list[int]]]:
    """Per question of an attempt: (correct option ids, all option ids), from the server's database."""
    with _database(tmp_root) as connection:
        rows = connection.execute("SELECT id, snapshot FROM attempt_questions WHERE attempt_id = ?", (attempt_id,))
        return {qid: (json.loads(s)["correct"], [o["id"] for o in json.loads(s)["options"]]) for qid, s in rows}


def take_quiz(page, tmp_root, *, right: bool) -> None:
    """From the beranda: 'Mulai Kuis', answer every question (all right, or one wrong option each), send."""
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Mulai Kuis").click()
    assert_accessible(page)
    page.get_by_role("button", name="Mulai Kuis").click()
    page.wait_for_url(re.compile(r"/kuis/\d+$"))
    assert_accessible(page)
    attempt_id = int(re.search(r"/kuis/(\d+)", page.url).group(1))
    for question_id, (correct, options) in frozen(tmp_root, attempt_id).items():
        chosen = correct if right else [next(o for o in options if o not in correct)]
        for option_id in chosen:
            page.locator(f'input[name="q-{question_id}"][value="{option_id}"]').check()
    page.get_by_role("button", name="Kirim jawaban").click()
    expect(page.get_by_text("Selamat, Anda lulus" if right else "Belum lulus")).to_be_visible()
    assert_accessible(page)


def test_operator_grants_a_stuck_learner_an_attempt_and_the_learner_finishes(new_page, tmp_root):
    """Does a learner who failed all three attempts see whom to call, and after the operator grants one
    from the follow-up list, pass the quiz and sign the pact?"""
    nip, name = stuck_candidate(tmp_root)
    learner = new_page()
    log_in(learner, nip, LEARNER_PASSWORD)
    assert_accessible(learner)
    learner.get_by_role("link", name="Mulai Modul 1").click()
    for number in range(1, 8):
        expect(learner.get_by_text(f"Modul {number} dari 7")).to_be_visible()
        assert_accessible(learner)
        learner.get_by_role("button", name="Saya sudah membaca modul ini").click()
    assert_accessible(learner)
    for _ in range(3):
        take_quiz(learner, tmp_root, right=False)
    learner.goto("/")
    card = learner.locator(".out-of-attempts")
    expect(card).to_contain_text("Percobaan habis")
    expect(card).to_contain_text("Andi Baharuddin")
    expect(card.get_by_role("link", name=OPERATOR_PHONE)).to_have_attribute("href", "tel:0812-5500-1234")
    expect(learner.get_by_role("link", name="Mulai Kuis")).to_have_count(0)
    assert_accessible(learner)

    operator = new_page()
    log_in(operator, *DEMO_OPERATOR)
    assert_accessible(operator)
    operator.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Laporan").click()
    assert_accessible(operator)
    operator.get_by_role("link", name=re.compile(r"^Tindak lanjut")).click()
    assert_accessible(operator)
    operator.get_by_role("link", name=re.compile(r"^Perlu bantuan")).click()
    row = operator.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("Percobaan kuis habis")
    assert_accessible(operator)
    row.get_by_role("link", name="Beri percobaan tambahan").click()
    expect(operator.get_by_role("heading", level=1)).to_have_text("Tambahan Percobaan Kuis")
    expect(operator.get_by_text("3 dipakai dari 3")).to_be_visible()
    assert_accessible(operator)
    operator.get_by_label("Tambahan percobaan").fill("1")
    operator.get_by_label("Alasan").fill("Sudah dibimbing membaca ulang modul 3 dan 5")
    operator.get_by_role("button", name="Beri percobaan tambahan").click()
    expect(operator.get_by_role("status")).to_contain_text(f"{name} mendapat 1 percobaan kuis tambahan.")
    expect(operator.get_by_role("row").filter(has_text=name)).to_have_count(0)
    assert_accessible(operator)
    operator.get_by_role("link", name="Daftar telepon (cetak)").click()
    expect(operator.get_by_role("heading", level=1)).to_have_text("Daftar Telepon Tindak Lanjut")
    expect(operator.get_by_text("Hanya yang perlu bantuan")).to_be_visible()
    assert_accessible(operator)

    learner.goto("/")
    expect(learner.locator(".out-of-attempts")).to_have_count(0)
    assert_accessible(learner)
    take_quiz(learner, tmp_root, right=True)
    assert_accessible(learner)
    learner.get_by_role("link", name="Tanda Tangani Pakta").click()
    assert_accessible(learner)
    for box in learner.get_by_label("Saya setuju dan akan mematuhi butir ini").all():
        box.check()
    learner.get_by_label("Ketik nama lengkap Anda").fill(name)
    learner.get_by_label("Kata sandi akun").fill(LEARNER_PASSWORD)
    learner.get_by_role("button", name="Tanda Tangani").click()
    expect(learner.get_by_text("Pakta integritas berhasil ditandatangani.")).to_be_visible()
    assert_accessible(learner)
