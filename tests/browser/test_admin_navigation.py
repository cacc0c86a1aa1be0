"""In headless Chromium: an admin reaches every admin page from the menu, and the dashboard and
audit log pass axe."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_ADMIN, assert_accessible, log_in

pytestmark = pytest.mark.browser

#: Menu label → the path it opens (every admin page of issue 18 item 7).
ADMIN_MENU = [
    ("Dasbor", "/admin"), ("Pegawai", "/admin/pegawai"), ("Slip Login", "/admin/slip-login"),
    ("Laporan", "/laporan"), ("Unduh Sertifikat Massal", "/admin/sertifikat/unduh"), ("Unit Kerja", "/admin/unit"),
    ("Impor Roster", "/admin/impor"), ("Materi", "/admin/kursus"), ("Program", "/admin/program"),
    ("Bank Soal", "/admin/soal"), ("Pakta", "/admin/pakta"), ("Ikrar Serentak", "/admin/ikrar"),
    ("Pengaturan Sertifikat", "/admin/sertifikat/pengaturan"), ("API", "/admin/api"), ("Log Audit", "/admin/audit"),
]


def test_admin_reaches_every_admin_page_from_the_menu(page):
    """Starting from the home page, does each menu link open its admin page (marked current, accessible)?"""
    log_in(page, *DEMO_ADMIN)
    assert_accessible(page)
    menu = page.get_by_role("navigation", name="Menu utama")
    for label, path in ADMIN_MENU:
        menu.get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(re.escape(path) + r"(\?.*)?$"))
        expect(menu.get_by_role("link", name=label, exact=True)).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page, f"nav-{path.strip('/').replace('/', '-')}")


def test_dashboard_shows_the_running_demo_program_and_the_audit_log_its_state(page):
    """Does the admin's dashboard show the demo program with its completion, and the audit log the chain's state?"""
    log_in(page, *DEMO_ADMIN)
    assert_accessible(page)
    page.goto("/admin")
    expect(page.get_by_role("heading", level=2, name="Program berjalan hari ini")).to_be_visible()
    expect(page.locator("table.funnel tbody tr")).not_to_have_count(0)
    assert_accessible(page, "dashboard")
    page.get_by_role("link", name="Log audit", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="Keutuhan log")).to_be_visible()
    expect(page.locator(".chain-state .badge")).to_have_text(re.compile("Belum berjangkar|Utuh"))
    assert_accessible(page)
    page.get_by_label("Jenis kejadian").select_option("auth.login")
    page.get_by_role("button", name="Terapkan").click()
    expect(page.locator("table.stack tbody tr").first).to_contain_text("Masuk berhasil")
    assert_accessible(page, "audit-log")
