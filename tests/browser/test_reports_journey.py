"""End to end, in headless Chromium: an admin drills the report from the instansi down to an OPD
(desktop and phone), recounts it, and opens the ikrar big screen on a 1920×1080 projector."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_ADMIN, assert_accessible, assert_no_horizontal_scroll, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PROJECTOR = {"width": 1920, "height": 1080}


def _open_report(page) -> None:
    log_in(page, *DEMO_ADMIN)
    assert_accessible(page)
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Laporan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Laporan")
    expect(page.get_by_text("Data per")).to_be_visible()


def test_admin_drills_from_instansi_to_opd_and_recounts(page):
    """Does the instansi table link each OPD, lead to that OPD's own sub-units with a breadcrumb
    back up, draw the charts from the table's numbers, and recount on request?"""
    _open_report(page)
    units = page.get_by_role("table", name="Capaian per unit kerja")
    expect(units.get_by_role("link", name="Dinas Kesehatan")).to_be_visible()
    expect(page.locator("figure[data-chart=units] canvas")).to_be_visible()
    assert_accessible(page)

    units.get_by_role("link", name="Dinas Kesehatan").click()
    crumbs = page.get_by_role("navigation", name="Jenjang unit")
    expect(crumbs.locator("[aria-current=page]")).to_have_text("Dinas Kesehatan")
    sub_units = page.get_by_role("table", name="Capaian per unit kerja")
    expect(sub_units).to_contain_text("Puskesmas Tanah Grogot")
    expect(sub_units).not_to_contain_text("Dinas Pendidikan")
    assert_accessible(page)

    page.get_by_role("button", name="Hitung ulang sekarang").click()
    expect(page.get_by_role("status")).to_contain_text("Angka laporan sudah dihitung ulang.")
    expect(crumbs.locator("[aria-current=page]")).to_have_text("Dinas Kesehatan")
    assert_accessible(page)

    crumbs.get_by_role("link").first.click()
    expect(page.get_by_role("table", name="Capaian per unit kerja")).to_contain_text("Dinas Pendidikan")
    assert_accessible(page)


def test_report_fits_a_phone(new_page):
    """At 360 px is the report readable without sideways scrolling of the page?"""
    page = new_page(viewport=PHONE)
    _open_report(page)
    assert_no_horizontal_scroll(page, PHONE["width"])
    assert_accessible(page)


def test_ikrar_big_screen_fills_a_projector(new_page):
    """Can an admin open a pledge event and show its big screen at 1920×1080, every OPD's row on
    one screen, refreshing by itself?"""
    page = new_page(viewport=PROJECTOR)
    log_in(page, *DEMO_ADMIN)
    assert_accessible(page)
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Ikrar Serentak").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ikrar Serentak")
    assert_accessible(page)
    now = datetime.now(ZoneInfo("Asia/Makassar")).replace(second=0, microsecond=0)
    page.get_by_label("Judul acara").fill("Ikrar Netralitas Uji Peramban")
    page.get_by_label("Mulai").fill((now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Selesai").fill((now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Buka acara").click()
    expect(page.get_by_role("status")).to_contain_text("Acara ikrar dibuka")
    assert_accessible(page)

    page.get_by_role("link", name="Halaman layar lebar").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ikrar Netralitas Uji Peramban")
    expect(page.get_by_text("Sedang berlangsung")).to_be_visible()
    expect(page.get_by_role("row", name="Dinas Pendidikan")).to_be_visible()
    assert page.locator("body").get_attribute("data-refresh").isdigit()
    page.wait_for_timeout(100)
    with page.expect_response(lambda response: "/ikrar/" in response.url, timeout=30_000):
        pass  # the script fetches the tally again by itself
    pause = page.get_by_role("button", name="Jeda pembaruan")
    pause.click()
    expect(page.get_by_role("button", name="Lanjutkan pembaruan")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]
    assert page.evaluate("document.documentElement.scrollHeight") <= PROJECTOR["height"], "rows run off the screen"
    assert_accessible(page)
