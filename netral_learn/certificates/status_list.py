"""Revocation that travels with the credential: a W3C Bitstring Status List per instansi.

Every credential carries a ``BitstringStatusListEntry`` (statusPurpose ``revocation``) whose
``statusListIndex`` is the certificate's id and whose ``statusListCredential`` is
``<SITE_URL>/kredensial/status/<instansi id>``. That URL answers with a ``BitstringStatusListCredential``
secured as a VC-JWT (signed with the same key as the credentials, ``kid`` resolving to it): its
``encodedList`` is the GZIP-compressed bitstring, base64url-encoded with the multibase prefix ``u``;
bit *i* (counted from the left-most bit of the first byte) is 1 when certificate *i* is revoked.

Why Bitstring Status List rather than the 1EdTech Revocation List: it is a W3C Recommendation that
generic VC 2.0 verifiers and wallets implement; the list names no credential and no reason (a
131,072-entry minimum gives herd privacy — the same personal-data rule as the public verification
page); and it is one small, cacheable file per instansi.
"""
from __future__ import annotations

import base64
import gzip
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import Unit
from ..extensions import db
from .models import Certificate

#: The minimum length the specification asks for (16 KB uncompressed), for herd privacy.
MIN_ENTRIES = 131_072
#: How long a verifier may cache the list (also sent as Cache-Control).
TTL_SECONDS = 300


def list_url(instansi_id: int) -> str:
    return f"{current_app.config['SITE_URL']}/kredensial/status/{instansi_id}"


def entry(certificate: Certificate) -> dict:
    """The ``credentialStatus`` of a certificate's credential."""
    url = list_url(certificate.instansi_id)
    return {"id": f"{url}#{certificate.id}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(certificate.id), "statusListCredential": url}


def encode(revoked: set[int], length: int) -> str:
    """Multibase base64url (no padding) of the GZIP of the bitstring (left-most bit = index 0)."""
    bits = bytearray(length // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytes:
    """The bitstring of an ``encodedList`` (for tests and for anyone checking by hand)."""
    text = encoded[1:] if encoded.startswith("u") else encoded
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def is_set(bitstring: bytes, index: int) -> bool:
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(instansi: Unit, now: datetime) -> dict:
    """The instansi's BitstringStatusListCredential (unsigned): every revoked certificate's bit set."""
    from .credential import issuer_profile

    revoked = set(db.session.scalars(select(Certificate.id).where(
        Certificate.instansi_id == instansi.id, Certificate.revoked_at.is_not(None))))
    highest = db.session.scalar(select(func.max(Certificate.id)).where(Certificate.instansi_id == instansi.id)) or 0
    length = max(MIN_ENTRIES, -(-(highest + 1) // MIN_ENTRIES) * MIN_ENTRIES)
    url = list_url(instansi.id)
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_profile(instansi),
        "validFrom": stamp,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode(revoked, length), "ttl": TTL_SECONDS * 1000},
    }


def signed_status_list(instansi: Unit, now: datetime) -> str:
    """The list as a VC-JWT (typ ``vc+jwt``, VC-JOSE-COSE), with iss and nbf claims as well."""
    from .credential import sign

    document = status_list_credential(instansi, now)
    claims = {**document, "iss": document["issuer"]["id"], "jti": document["id"], "nbf": int(now.timestamp())}
    return sign(claims, typ="vc+jwt")


def find_instansi(instansi_id: int) -> Unit | None:
    """An instansi (a root unit) by id; None for anything else."""
    unit = db.session.get(Unit, instansi_id)
    return unit if unit is not None and unit.parent_id is None else None
