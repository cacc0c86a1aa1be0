"""In headless Chromium: the course's "as of" date where a learner reads it (issue 21)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_PARTICIPANT, assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_a_module_page_on_a_phone_says_materi_per(new_page):
    """On a 360 px phone, does the first module of the demo program say "Materi per 31 Desember 2025"?"""
    page = new_page(viewport={"width": 360, "height": 740})
    log_in(page, *DEMO_PARTICIPANT)
    assert_accessible(page)
    program_url = page.get_by_role("link", name="Sosialisasi Netralitas ASN Pilkada 2026").get_attribute("href")
    page.goto(f"{program_url}/modul/1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mengapa ASN Harus Netral")
    expect(page.locator("article.module .as-of")).to_have_text("Materi per 31 Desember 2025")
    assert_accessible(page)
