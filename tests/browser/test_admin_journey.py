"""End to end, in headless Chromium: an admin imports a roster; phones; browsers without JavaScript."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_ADMIN, DEMO_PARTICIPANT, assert_accessible, assert_no_horizontal_scroll, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}

#: Three new people in existing demo units; NIPs valid by netral_learn.accounts.nip.
ROSTER_CSV = (
    "NIP,Nama,Jenis Pegawai,Unit Kerja,Jabatan,Golongan\n"
    "199003142019032914,Nurhalimah Peramban Satu,PNS,Dinas Kesehatan,Perawat Ahli Pertama,III/a\n"
    "198811212012121915,Rudi Peramban Dua,PNS,Inspektorat,Auditor Ahli Muda,III/c\n"
    "199507042022211916,Sitti Peramban Tiga,PPPK,Dinas Kesehatan,Bidan Terampil,VII\n"
)
NEW_NAMES = ["Nurhalimah Peramban Satu", "Rudi Peramban Dua", "Sitti Peramban Tiga"]


def test_admin_imports_a_roster_and_finds_the_new_people(page):
    """Can an admin upload a CSV, read the dry run, apply it, and find the three new people?"""
    log_in(page, *DEMO_ADMIN)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
    assert_accessible(page)

    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Impor Roster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Impor Roster Pegawai")
    assert_accessible(page)

    page.get_by_label("Berkas roster (CSV atau XLSX)").set_input_files(
        {"name": "roster-uji.csv", "mimeType": "text/csv", "buffer": ROSTER_CSV.encode()})
    page.get_by_role("button", name="Periksa berkas").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pratinjau Impor")
    stats = page.locator(".stats")
    expect(stats.locator("li", has_text="pegawai baru")).to_contain_text("3")
    expect(stats.locator("li", has_text="kesalahan")).to_contain_text("0")
    preview = page.get_by_role("table", name="Contoh baris")
    for name in NEW_NAMES:
        expect(preview.get_by_role("row", name=re.compile(name))).to_contain_text("baru")
    assert_accessible(page)

    page.get_by_role("button", name="Terapkan impor").click()
    expect(page.get_by_role("status")).to_contain_text("Impor selesai: 3 pegawai baru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pegawai")
    assert_accessible(page)

    search = page.get_by_role("search")
    search.get_by_label("Cari nama atau NIP").fill("Peramban")
    search.get_by_label("Status").select_option("all")
    search.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_text("3 pegawai", exact=True)).to_be_visible()
    people = page.get_by_role("table", name="Daftar pegawai")
    for name in NEW_NAMES:
        expect(people.get_by_role("link", name=name)).to_be_visible()
    expect(people.get_by_role("row", name=re.compile("Rudi Peramban Dua"))).to_contain_text("Inspektorat")
    assert_accessible(page)


def test_login_and_people_list_fit_a_phone(new_page):
    """At 360×740, do the login page and the people list fit the screen and pass axe?"""
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/masuk")
    assert_no_horizontal_scroll(page, PHONE["width"])
    log_in(page, *DEMO_ADMIN)
    assert_no_horizontal_scroll(page, PHONE["width"])
    assert_accessible(page)

    page.get_by_role("link", name="Pegawai", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pegawai")
    expect(page.get_by_role("table", name="Daftar pegawai")).to_be_visible()
    assert_no_horizontal_scroll(page, PHONE["width"])
    assert_accessible(page)

    search = page.get_by_role("search")
    search.get_by_label("Cari nama atau NIP").fill("Dewi Lestari")
    search.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_role("link", name="Dewi Lestari, S.Pd.")).to_be_visible()
    assert_no_horizontal_scroll(page, PHONE["width"])
    assert_accessible(page)


def test_login_works_without_javascript(new_page):
    """With JavaScript off, can a participant still log in and reach the beranda?"""
    page = new_page(java_script_enabled=False)
    log_in(page, *DEMO_PARTICIPANT)
    expect(page.get_by_role("heading", level=1)).to_have_text("Selamat datang, Dewi Lestari, S.Pd.")
    assert_accessible(page)


def test_wrong_password_is_explained_accessibly(page):
    """Does a refused login say why, in an alert, on a page that still passes axe?"""
    page.goto("/masuk")
    assert_accessible(page)
    page.get_by_label("NIP / ID Pegawai").fill("19800101 200501 1 999")  # nobody's
    page.get_by_label("Kata sandi", exact=True).fill("bukan-sandinya")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
