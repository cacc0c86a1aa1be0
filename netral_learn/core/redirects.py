"""Where a ``next`` parameter may send the browser: same-site relative paths only.

Browsers (WHATWG URL parsing) strip leading and trailing control characters and spaces, drop every
tab and newline inside a URL and read ``\\`` as ``/``; proxies and frameworks may percent-decode
once more. So ``/\\t/evil.example``, ``/%09/evil.example`` or ``\\\\evil`` all end as
``//evil.example``, a different host. A target is accepted only when it is a plain relative path
both as written and after those normalizations (percent-decoded twice), and it is then returned
unchanged — the check and the redirect see the same string.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

#: Longer targets are not pages of this site (request.full_path of a long search stays below).
MAX_TARGET_LENGTH = 2048
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def browser_normalized(target: str) -> str:
    """``target`` as a browser reads it before resolving (WHATWG URL preprocessing)."""
    stripped = target.strip(_C0_AND_SPACE)
    return stripped.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")


def _is_local_path(candidate: str) -> bool:
    normalized = browser_normalized(candidate)
    if not normalized.startswith("/") or normalized.startswith("//"):
        return False
    parts = urlsplit(normalized)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str | None = None, *, prefix: str = "/") -> str | None:
    """``target`` when it is a same-site relative path (starting with ``prefix``), else ``default``."""
    if not target or len(target) > MAX_TARGET_LENGTH:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return default  # a URL this app builds never carries raw whitespace, controls or backslashes
    once = unquote(target)
    twice = unquote(once)
    if not all(_is_local_path(candidate) for candidate in (target, once, twice)):
        return default
    if not target.startswith(prefix):
        return default
    return target
