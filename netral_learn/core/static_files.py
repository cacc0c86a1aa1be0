"""Static files: fingerprinted URLs that browsers keep for a year.

``url_for("static", filename=…)`` adds ``?v=`` with the first 12 hex digits of the file's
SHA-256, so a page names the exact version of each stylesheet, script and image it was written
for, and a response to such a URL may be kept by the browser for a year without asking again. A
phone on a weak connection then downloads them once instead of revalidating every one of them on
every page — and the server stops answering those revalidations, each of which carried the
session cookie. A URL without the fingerprint, or with one that no longer matches the file (a page
from before a deployment), is answered as before: revalidated on each use (ETag).

Fingerprints are computed once per file and process (a deployment restarts the processes); in
debug mode, on every use, so edited files show at once.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request

#: How long a browser may keep a fingerprinted file.
YEAR = 365 * 24 * 3600

_fingerprints: dict[tuple[str, str], str | None] = {}


def fingerprint(app: Flask, filename: str) -> str | None:
    """The file's version tag, or None when ``filename`` is not a file under the static folder."""
    key = (app.static_folder, filename)
    if not app.debug and key in _fingerprints:
        return _fingerprints[key]
    root = Path(app.static_folder).resolve()
    path = (root / filename).resolve()
    try:
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_relative_to(root) else None
    except OSError:
        version = None
    _fingerprints[key] = version
    return version


def install(app: Flask) -> None:
    """Fingerprint static URLs and let browsers keep what a fingerprinted URL returns."""

    @app.url_defaults
    def _add_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and values.get("filename"):
            version = fingerprint(app, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _keep_fingerprinted(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            version = request.args.get("v")
            if version and version == fingerprint(app, (request.view_args or {}).get("filename", "")):
                response.cache_control.no_cache = None
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
        return response
