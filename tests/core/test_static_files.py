"""Static files: fingerprinted URLs kept by browsers for a year, everything else revalidated, and
no login session read for any of them."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import url_for
from sqlalchemy import event

from netral_learn.core.static_files import YEAR, fingerprint
from netral_learn.extensions import db


def _css_version(app) -> str:
    return hashlib.sha256((Path(app.static_folder) / "css" / "app.css").read_bytes()).hexdigest()[:12]


def test_static_urls_carry_the_files_fingerprint(app, ctx):
    """Does url_for name the file's current content, and leave unknown or escaping names alone?"""
    assert url_for("static", filename="css/app.css") == f"/static/css/app.css?v={_css_version(app)}"
    assert url_for("static", filename="css/no-such-file.css") == "/static/css/no-such-file.css"
    assert fingerprint(app, "../netral_learn/__init__.py") is None


def test_pages_name_fingerprinted_assets(client, app):
    """Does a rendered page link its stylesheet with the fingerprint?"""
    page = client.get("/masuk").get_data(as_text=True)
    assert re.search(rf'href="/static/css/app\.css\?v={_css_version(app)}"', page)


def test_only_a_matching_fingerprint_is_kept_for_a_year(client, app):
    """Is a fingerprinted response cacheable for a year (also its 304), and a plain or stale URL
    revalidated on each use?"""
    current = f"/static/css/app.css?v={_css_version(app)}"
    kept = client.get(current)
    assert kept.status_code == 200
    assert kept.cache_control.max_age == YEAR and kept.cache_control.public and kept.cache_control.immutable
    assert not kept.cache_control.no_cache
    revalidated = client.get(current, headers={"If-None-Match": kept.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.cache_control.max_age == YEAR
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        plain = client.get(url)
        assert plain.status_code == 200 and plain.cache_control.no_cache and plain.cache_control.max_age is None


def test_static_files_read_no_login_session(client, app, factory, login_as):
    """A logged-in browser fetching assets: is the database left alone (no session lookup per file)?"""
    login_as(factory.person(factory.tree()["a1"]))
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for name in ("css/app.css", "img/logo.svg", "js/quiz.js"):
            assert client.get(f"/static/{name}").status_code == 200
        assert not statements
        assert client.get("/").status_code == 200  # a page does read it
        assert statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
