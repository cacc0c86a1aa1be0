"""Each document feature registers how to look up its verification codes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Verification:
    """What the public page may show: status and masked facts, never more."""

    kind: str                       # e.g. "Pakta Integritas Netralitas"
    status: str                     # "genuine", "revoked", "pending"
    status_note: str = ""
    #: The date a revoked document was revoked, as the public sees it (never the reason).
    revoked_on: str = ""
    #: The date a certificate was re-issued after a data correction (its earlier file stops counting).
    reissued_on: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    signers: list[tuple[str, str]] = field(default_factory=list)  # (who, when) — masked
    check_upload: Callable[[bytes], UploadCheck] | None = None


@dataclass(frozen=True)
class UploadCheck:
    """What an uploaded file is, compared with the recorded document."""

    matches_current: bool           # byte for byte the file the app holds now
    matches_earlier: bool           # a file it held before (re-issue, before the last witness)
    appended: bool = False          # the recorded file with changes appended after signing/issue
    signatures: object | None = None  # pact.document.PdfCheck for signed documents, None otherwise


def starts_with_file(data: bytes, path) -> bool:
    """Is ``data`` the file at ``path`` with something appended (an incremental update)?"""
    try:
        with open(path, "rb") as handle:
            stored = handle.read(len(data))
    except OSError:
        return False
    return len(data) > len(stored) > 0 and data.startswith(stored)


#: Functions code → Verification | None, tried in order.
LOOKUPS: list[Callable[[str], Verification | None]] = []


def lookup(code: str) -> Verification | None:
    for find in LOOKUPS:
        result = find(code)
        if result is not None:
            return result
    return None


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    """16 characters without look-alikes, in groups of four (80 bits: unguessable)."""
    import secrets

    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def canonical_code(code: str) -> str | None:
    """A code as typed (any case, spaces, missing dashes) in its stored form, or None if malformed."""
    import re

    cleaned = re.sub(r"[^A-Z0-9]", "", (code or "").upper())
    if len(cleaned) != 16:
        return None
    return "-".join(cleaned[i:i + 4] for i in range(0, 16, 4))
