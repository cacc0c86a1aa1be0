"""PDF rendering with WeasyPrint that can only read the app's own files.

Templates are rendered with ``BASE_URL`` as their base, so ``static/css/print.css`` and
``/static/fonts/…`` resolve to this app; the fetcher maps those URLs to files under ``static/``
(and, for uploads, the storage folder) and refuses every other URL: no ``file:``, no outside
host, no path escaping the allowed folders.
"""
from __future__ import annotations

import mimetypes
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "fonts"


def _use_shipped_fonts() -> None:
    """Point fontconfig at the fonts shipped in static/fonts (and nothing else), before WeasyPrint
    loads it: every machine renders the same PDF, and fonts are parsed once per process instead
    of being fetched through @font-face on every render. Families: "DejaVu Sans", "DejaVu Serif"."""
    if os.environ.get("FONTCONFIG_FILE"):
        return
    folder = Path(tempfile.gettempdir()) / f"netral-fontconfig-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    conf = folder / "fonts.conf"
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
            f"<dir>{FONT_DIR}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>\n")
    if not conf.exists() or conf.read_text() != text:
        conf.write_text(text)
    os.environ["FONTCONFIG_FILE"] = str(conf)


_use_shipped_fonts()

from flask import current_app  # noqa: E402  (after fontconfig is configured)
from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

#: A host that never resolves (RFC 2606), used only as the base of relative URLs.
BASE_URL = "https://app.netral-learn.invalid/"
_HOST = urlsplit(BASE_URL).hostname


class AppOnlyFetcher(URLFetcher):
    """Serve ``/static/…`` and ``/storage/public/…`` from disk; refuse anything else."""

    def __init__(self, roots: dict[str, Path]):
        super().__init__(allowed_protocols={"https", "data"})
        self.roots = {prefix: root.resolve() for prefix, root in roots.items()}

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "https" or parts.hostname != _HOST:
            raise ValueError(f"refused URL outside the app: {url[:80]}")
        path = unquote(parts.path).lstrip("/")
        prefix, _, rest = path.partition("/")
        root = self.roots.get(prefix)
        if root is None:
            raise ValueError(f"refused path: {path[:80]}")
        target = (root / rest).resolve()
        if not target.is_file() or not target.is_relative_to(root):
            raise ValueError(f"refused path: {path[:80]}")
        mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=target.read_bytes(), headers={"Content-Type": mime})


def render_pdf(html: str, media_root: Path | None = None) -> bytes:
    """Render trusted-or-sandboxed HTML to PDF bytes, fetching only the app's own files
    (``static/…``, and ``media/…`` — uploaded logos and signature images — when given)."""
    roots = {"static": Path(current_app.static_folder)}
    if media_root is not None:
        roots["media"] = media_root
    fetcher = AppOnlyFetcher(roots)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
