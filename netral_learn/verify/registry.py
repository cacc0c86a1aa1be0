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
