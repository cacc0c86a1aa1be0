"""End to end, in headless Chromium: an admin imports a roster; the admin pages on a phone and a
desktop; logging in without JavaScript; English.

With ``NETRAL_SCREENSHOTS=/some/folder`` every page of ``test_admin_pages_fit_and_pass_axe`` is
also saved as a PNG, for a human to look at.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_ADMIN, DEMO_PARTICIPANT, assert_accessible, assert_no_horizontal_scroll, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ROSTER_HEADER = "NIP,Nama,Jenis Pegawai,Unit Kerja,Jabatan,Golongan\n"

#: Three new people in existing demo units; NIPs valid by netral_learn.accounts.nip.
ROSTER_CSV = ROSTER_HEADER + (
    "199003142019032914,Nurhalimah Peramban Satu,PNS,Dinas Kesehatan,Perawat Ahli Pertama,III/a\n"
    "198811212012121915,Rudi Peramban Dua,PNS,Inspektorat,Auditor Ahli Muda,III/c\n"
    "199507042022211916,Sitti Peramban Tiga,PPPK,Dinas Kesehatan,Bidan Terampil,VII\n"
)
NEW_NAMES = ["Nurhalimah Peramban Satu", "Rudi Peramban Dua", "Sitti Peramban Tiga"]

#: For the preview pages only (never applied): one good row, and one whose NIP has no real birth date.
PREVIEW_GOOD_ROW = "199105202015031917,Ahmad Pratinjau Baik,PNS,Inspektorat,Auditor Ahli Pertama,III/a\n"
PREVIEW_BAD_ROW = "199113452015031918,Budi Pratinjau Salah,PNS,Inspektorat,Auditor Ahli Pertama,III/a\n"


def _csv(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_admin_imports_a_roster_and_finds_the_new_people(page):
    """Can an admin upload a CSV, read the dry run, apply it, and find the three new people?"""
    log_in(page, *DEMO_ADMIN)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
    assert_accessible(page)

    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Impor Roster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Impor Roster Pegawai")
    assert_accessible(page)

    page.get_by_label("Berkas roster (CSV atau XLSX)").set_input_files(_csv("roster-uji.csv", ROSTER_CSV))
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


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-360", "desktop-1280"])
def test_admin_pages_fit_and_pass_axe(new_page, viewport):
    """At 360×740 and 1280×800: login, beranda, the people list (and its search), a person, the unit
    tree, roster upload and both kinds of preview fit the width (no sideways scrolling) and pass axe."""
    phone = viewport["width"] < 600
    page = new_page(viewport=viewport, is_mobile=phone, has_touch=phone)

    def check(name: str) -> None:
        assert_no_horizontal_scroll(page, viewport["width"])
        assert_accessible(page, name=f"{name}-{viewport['width']}")

    page.goto("/masuk")
    check("login")
    page.get_by_label("NIP / ID Pegawai").fill(DEMO_ADMIN[0])
    page.get_by_label("Kata sandi", exact=True).fill(DEMO_ADMIN[1])
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
    check("beranda")

    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Pegawai").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pegawai")
    expect(page.get_by_role("table", name="Daftar pegawai").get_by_role("row")).to_have_count(51)  # header + 50
    check("people")
    search = page.get_by_role("search")
    search.get_by_label("Cari nama atau NIP").fill("Dewi Lestari")
    search.get_by_role("button", name="Terapkan").click()
    page.get_by_role("link", name="Dewi Lestari, S.Pd.").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dewi Lestari, S.Pd.")
    expect(page.get_by_role("heading", name="Tindakan")).to_be_visible()
    check("person")
    page.go_back()
    check("people-search")

    page.goto("/admin/unit")
    expect(page.get_by_role("link", name="Dinas Kesehatan", exact=True)).to_be_visible()
    check("units")

    page.goto("/admin/impor")
    check("roster-upload")
    upload = page.get_by_label("Berkas roster (CSV atau XLSX)")
    upload.set_input_files(_csv("roster-salah.csv", ROSTER_HEADER + PREVIEW_GOOD_ROW + PREVIEW_BAD_ROW))
    page.get_by_role("button", name="Periksa berkas").click()
    expect(page.get_by_role("table", name="Kesalahan per baris")).to_contain_text("199113452015031918")
    expect(page.get_by_role("button", name="Terapkan impor")).to_have_count(0)
    check("roster-preview-errors")

    page.goto("/admin/impor")  # checked above, at this width, in the same state
    upload.set_input_files(_csv("roster-baik.csv", ROSTER_HEADER + PREVIEW_GOOD_ROW))
    page.get_by_role("button", name="Periksa berkas").click()
    expect(page.get_by_role("button", name="Terapkan impor")).to_be_visible()
    check("roster-preview")


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
    expect(page.get_by_role("alert")).to_contain_text("NIP/ID atau kata sandi salah, atau akun sedang dikunci sementara")
    assert_accessible(page)


def test_language_switch_reaches_english_and_back(page):
    """Does the header's language button turn the page into English, and back into Indonesian?"""
    page.goto("/masuk")
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    assert_accessible(page)
