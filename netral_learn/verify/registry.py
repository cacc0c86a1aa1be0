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
    facts: list[tuple[str, str]] = field(default_factory=list)
    signers: list[tuple[str, str]] = field(default_factory=list)  # (who, when) — masked
    check_upload: Callable[[bytes], dict] | None = None


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
