"""Open Badges 3.0 credentials (W3C Verifiable Credentials 2.0) for certificates, signed with the instansi key.

**One secured form: the VC-JWT** (``.jwt``), a compact JWS made by joserfc, following the JSON Web
Token Proof Format of Open Badges 3.0 (§ "Proofs (Signatures)" → "JSON Web Token Proof Format"):

* JOSE header exactly ``{"alg": "RS256", "kid": <URI>, "typ": "JWT"}`` (no other header is allowed).
  ``kid`` is ``<SITE_URL>/kredensial/kunci/<RFC 7638 thumbprint>``, a URL that answers with the
  public JWK; the same key (same ``kid``) is in the JWK Set at ``/.well-known/jwks.json``.
* payload: the credential itself plus the claims ``iss`` (= ``issuer.id``), ``jti`` (= ``id``),
  ``nbf`` (= ``validFrom``) and ``sub`` (= ``credentialSubject.id``).

There is **no embedded proof** (``proof``). OB 3.0 allows the ``proof`` property to be omitted when
the JWT proof format is used. An embedded proof would have to be a standard Data Integrity
cryptosuite (e.g. ``eddsa-rdfc-2022``: an Ed25519 key and RDF Dataset Canonicalization of the JSON-LD)
for a generic verifier to accept it; the instansi key is RSA (it also signs PAdES PDFs) and
canonicalization needs every JSON-LD context resolved offline. A second, bespoke proof would only
mislead, so the VC-JWT is the one proof; verifiers and wallets that speak OB 3.0 accept it.

**Revocation travels with the credential**: ``credentialStatus`` is a W3C Bitstring Status List
entry (:mod:`.status_list`) pointing at the instansi's signed list; a copy downloaded before a
revocation checks as revoked once the list says so. See docs/credentials.md.

The holder's NIP never appears in clear: ``credentialSubject.identifier`` holds an IdentityObject
with ``hashed: true``, ``identityHash = "sha256$" + hex(sha256(NIP + salt))`` and the salt (OB 3.0's
rule); ``credentialSubject.id`` is a ``urn:uuid`` derived from SECRET_KEY and the person, stable for
the person and meaningless outside the app. A NIP has little entropy (birth date, start date, sex, a
sequence), so anyone holding the salt can try candidate NIPs; the hash hides the NIP from casual
readers, it does not make it secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timezone
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app
from joserfc import jwt
from joserfc.jwk import RSAKey

from ..accounts.models import Unit
from ..courses.models import Program
from ..extensions import db
from ..pact.keys import SigningKeyMissing, key_paths
from . import status_list
from .models import Certificate
from .services import settings_for, verify_url

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
MEDIA_TYPE_JWT = "application/vc+jwt"
JWKS_PATH = "/.well-known/jwks.json"
KEY_PATH = "/kredensial/kunci/"


# --- keys ----------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _load_key(path: str, password: bytes, mtime: float):
    key, certificate, chain = pkcs12.load_key_and_certificates(Path(path).read_bytes(), password or None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyMissing("kunci penandatangan harus RSA untuk kredensial digital (RS256)")
    return key, [c for c in [certificate, *chain] if c is not None]


def signing_key() -> tuple[rsa.RSAPrivateKey, list]:
    """The instansi's RSA private key and its certificate chain (cached per file version)."""
    paths = key_paths()
    if not paths.pkcs12.exists():
        raise SigningKeyMissing("Kunci penandatangan belum dibuat: jalankan `flask keys init`.")
    return _load_key(str(paths.pkcs12), paths.password, paths.pkcs12.stat().st_mtime)


def key_id(thumbprint: str) -> str:
    """The ``kid`` URI: dereferencing it gives the public JWK."""
    return f"{current_app.config['SITE_URL']}{KEY_PATH}{thumbprint}"


def _joserfc_key() -> RSAKey:
    private, _ = signing_key()
    key = RSAKey.import_key(private)
    return RSAKey.import_key(private, {"kid": key_id(key.thumbprint()), "alg": "RS256", "use": "sig"})


def public_jwk() -> dict:
    """The public signing key as a JWK (RFC 7517), ``kid`` its URI, with the X.509 chain."""
    key = _joserfc_key()
    _, chain = signing_key()
    x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain]
    return {**key.as_dict(private=False), "x5c": x5c}


def thumbprint() -> str:
    """The RFC 7638 SHA-256 thumbprint of the public key (the last part of the ``kid`` URI)."""
    return RSAKey.import_key(signing_key()[0]).thumbprint()


def jwks() -> dict:
    """The JWK Set verifiers fetch: the public signing key with its X.509 chain."""
    return {"keys": [public_jwk()]}


def sign(payload: dict, typ: str = "JWT") -> str:
    """A compact JWS (RS256) over ``payload`` with the header OB 3.0 allows: alg, kid, typ."""
    key = _joserfc_key()
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": typ}, payload, key, algorithms=["RS256"])


# --- the credential ------------------------------------------------------------------------

def _timestamp(value) -> str:
    """XML Schema dateTimeStamp in UTC, whole seconds (what VC 2.0 validFrom expects)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _secret(label: str) -> str:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), label.encode(), hashlib.sha256).hexdigest()


def identity_salt(certificate: Certificate) -> str:
    """A salt for the NIP hash, stable per certificate and unguessable without SECRET_KEY."""
    return _secret(f"ob3-identity:{certificate.verify_code}")[:32]


def subject_id(certificate: Certificate) -> str:
    """A stable, opaque URI for the holder (the JWT ``sub``): no NIP, no database id in clear."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, _secret(f'ob3-subject:{certificate.person_id}'))}"


def identity_hash(nip: str, salt: str) -> str:
    """OB 3.0 IdentityHash: "sha256$" + hex SHA-256 of the identifier followed by the salt."""
    return "sha256$" + hashlib.sha256((nip + salt).encode("utf-8")).hexdigest()


def issuer_profile(instansi: Unit) -> dict:
    """The instansi as an OB 3.0 Profile (issuer and achievement creator)."""
    return {"id": f"{current_app.config['SITE_URL']}/instansi/{instansi.id}", "type": ["Profile"],
            "name": instansi.name}


def build_credential(certificate: Certificate) -> dict:
    """The unsigned OpenBadgeCredential for a certificate (plain JSON values only: no floats, no NIP)."""
    site = current_app.config["SITE_URL"]
    program = db.session.get(Program, certificate.program_id)
    instansi = db.session.get(Unit, certificate.instansi_id)
    settings = settings_for(certificate.instansi_id)
    person = certificate.person
    url = verify_url(certificate.verify_code)
    salt = identity_salt(certificate)
    issuer = issuer_profile(instansi)
    course = program.course_version.title
    achievement = {
        "id": f"{site}/program/{program.id}", "type": ["Achievement"], "achievementType": "CertificateOfCompletion",
        "name": program.title, "description": f"Pembelajaran {course} dalam rangka {program.title}.",
        "criteria": {"narrative": f"Menyelesaikan seluruh modul {course}, lulus kuis, dan menandatangani "
                                  "pakta integritas netralitas Aparatur Sipil Negara."},
        "creator": issuer, "inLanguage": "id",
    }
    if settings.jp:
        achievement["creditsAvailable"] = int(settings.jp)
    return {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Sertifikat {program.title}",
        "description": f"Sertifikat nomor {certificate.number}. Periksa keaslian di {url}",
        "issuer": issuer,
        "validFrom": _timestamp(certificate.issued_at),
        "credentialSubject": {
            "id": subject_id(certificate),
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "identifier", "hashed": True,
                 "identityHash": identity_hash(person.nip, salt), "salt": salt},
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": person.name},
            ],
            "achievement": achievement,
        },
        "credentialStatus": status_list.entry(certificate),
        "evidence": [{"id": url, "type": ["Evidence"], "name": f"Sertifikat nomor {certificate.number}",
                      "description": f"Halaman verifikasi keaslian sertifikat (kode {certificate.verify_code})."}],
    }


def jwt_claims(credential: dict) -> dict:
    """The credential with the JWT claims OB 3.0 requires (iss, jti, nbf, sub)."""
    return {**credential, "iss": credential["issuer"]["id"], "jti": credential["id"],
            "nbf": int(_parse(credential["validFrom"]).timestamp()), "sub": credential["credentialSubject"]["id"]}


def _parse(value: str):
    from datetime import datetime

    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def signed_jwt(certificate: Certificate) -> str:
    """The credential as a VC-JWT (OB 3.0 JSON Web Token Proof Format)."""
    return sign(jwt_claims(build_credential(certificate)))
