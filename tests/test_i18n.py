"""Indonesian first, English second: the language choice, and a complete English catalog."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parent.parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def _english_catalog():
    with CATALOG.open("rb") as handle:
        return [message for message in read_po(handle) if message.id]


def test_login_page_is_indonesian_by_default(client):
    """Without a choice (and without a browser preference), is the login page in Indonesian?"""
    response = client.get("/masuk")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="id">' in html
    assert "<h1>Masuk</h1>" in html
    assert "Log in" not in html


def test_choosing_english_switches_the_login_page(client):
    """After choosing English in the header, does the login page speak English, and back again?"""
    response = client.post("/bahasa/en", data={"next": "/masuk"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/masuk")

    html = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert "Password" in html and "Kata sandi" not in html
    assert "Bahasa Indonesia" in html  # the way back

    client.post("/bahasa/id", data={"next": "/masuk"})
    assert "<h1>Masuk</h1>" in client.get("/masuk").get_data(as_text=True)


def test_an_english_browser_gets_english_until_a_choice_is_made(client):
    """Does the browser's Accept-Language pick English, and does an explicit choice win over it?"""
    english = {"Accept-Language": "en-US,en;q=0.9"}
    assert "<h1>Log in</h1>" in client.get("/masuk", headers=english).get_data(as_text=True)
    client.post("/bahasa/id", data={"next": "/masuk"})
    assert "<h1>Masuk</h1>" in client.get("/masuk", headers=english).get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    """Is a language the site does not speak refused, leaving Indonesian?"""
    client.post("/bahasa/xx", data={"next": "/masuk"})
    assert "<h1>Masuk</h1>" in client.get("/masuk").get_data(as_text=True)


def test_every_message_has_an_english_translation():
    """Does every msgid of the English catalog have a non-empty, non-fuzzy msgstr?"""
    messages = _english_catalog()
    assert len(messages) > 100
    untranslated = [m.id for m in messages if not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:5]}"


def test_translations_keep_their_placeholders():
    """Does each English msgstr use exactly the %(name)s placeholders of its Indonesian msgid?"""
    wrong = [m.id for m in _english_catalog()
             if isinstance(m.string, str) and m.string
             and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert not wrong, f"placeholders differ: {wrong[:5]}"
