"""Open Badges 3.0 credentials (W3C Verifiable Credentials 2.0) for certificates, signed with the instansi key.

One credential, two secured forms, both RS256 with the RSA key of the instansi's signing PKCS#12
(the key that signs pact PDFs); ``kid`` is the key's RFC 7638 JWK SHA-256 thumbprint, and the
public key is published at ``/.well-known/jwks.json``.

* **VC-JOSE** (``.jwt``, media type ``application/vc+jwt``): a compact JWS (RFC 7515) whose payload
  is the credential; protected header ``{"alg": "RS256", "cty": "vc", "kid": …, "typ": "vc+jwt"}``.
  This is the interoperable form.
* **Embedded proof** (``.json``): the credential with a ``proof`` in the style of JsonWebSignature2020:
  ``{"type": "JsonWebSignature2020", "created", "proofPurpose": "assertionMethod",
  "verificationMethod": <jwks URL>#<kid>, "jws": "<header>..<signature>"}``, a detached JWS with an
  unencoded payload (RFC 7797; header ``{"alg": "RS256", "b64": false, "crit": ["b64"], "kid": …}``).

**Canonicalization** (of the JWT payload and of the signed document of the embedded proof):
``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")`` —
object keys sorted by code point at every level, no insignificant whitespace, non-ASCII characters
written as UTF-8 (not ``\\u`` escapes). For the documents made here (ASCII keys, no floating-point
numbers) this is byte for byte RFC 8785 (JCS). It is *not* the RDF canonicalization (URDNA2015) that
the JsonWebSignature2020 suite prescribes, so a generic JSON-LD suite verifier will not accept the
embedded proof; check it as :func:`verify_proof` does:

1. take the credential with its ``proof`` but without ``proof.jws`` (so ``created`` and
   ``verificationMethod`` are signed too) and canonicalize it as above → payload bytes;
2. signing input = ``ASCII(<first part of proof.jws>) + b"." + payload``;
3. verify RSASSA-PKCS1-v1_5 / SHA-256 with the JWK whose ``kid`` the header names.

The holder's NIP never appears in clear: ``credentialSubject.identifier`` holds an IdentityObject
with ``hashed: true``, ``identityHash = "sha256$" + hex(sha256(NIP + salt))`` and the salt (OB 3.0's
rule). The salt is derived from SECRET_KEY and the certificate, so every download is identical.
A NIP has little entropy (birth date, start date, sex, a sequence), so anyone holding the salt can
try candidate NIPs; the hash hides the NIP from casual readers, it does not make it secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import timezone
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app

from ..accounts.models import Unit
from ..courses.models import Program
from ..extensions import db
from ..pact.keys import SigningKeyMissing, key_paths
from .models import Certificate
from .services import settings_for, verify_url

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
MEDIA_TYPE_JWT = "application/vc+jwt"
PROOF_TYPE = "JsonWebSignature2020"
JWKS_PATH = "/.well-known/jwks.json"


# --- JOSE ----------------------------------------------------------------------------------

def canonical_json(value) -> bytes:
    """The canonical bytes that are signed (see the module docstring)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url`."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uint(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def thumbprint(jwk: dict) -> str:
    """RFC 7638 SHA-256 thumbprint of an RSA JWK (members e, kty, n in that order, no whitespace)."""
    required = {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}
    return b64url(hashlib.sha256(canonical_json(required)).digest())


def public_jwk(public_key: rsa.RSAPublicKey) -> dict:
    """The RSA public key as a JWK (RFC 7517/7518) with its thumbprint as kid."""
    numbers = public_key.public_numbers()
    jwk = {"kty": "RSA", "n": b64url(_uint(numbers.n)), "e": b64url(_uint(numbers.e))}
    return {**jwk, "kid": thumbprint(jwk), "use": "sig", "alg": "RS256"}


def public_key_from_jwk(jwk: dict) -> rsa.RSAPublicKey:
    """The RSA public key a JWK describes (n and e only; everything else is ignored)."""
    return rsa.RSAPublicNumbers(int.from_bytes(b64url_decode(jwk["e"]), "big"),
                                int.from_bytes(b64url_decode(jwk["n"]), "big")).public_key()


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


def jwks() -> dict:
    """The JWK Set verifiers fetch: the public signing key with its X.509 chain."""
    key, chain = signing_key()
    x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain]
    return {"keys": [{**public_jwk(key.public_key()), "x5c": x5c}]}


def _sign(key: rsa.RSAPrivateKey, signing_input: bytes) -> str:
    return b64url(key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))


def _verify(jwk: dict, signature: str, signing_input: bytes) -> None:
    public_key_from_jwk(jwk).verify(b64url_decode(signature), signing_input, padding.PKCS1v15(), hashes.SHA256())


def _header(jwk: dict, header: dict) -> dict:
    if header.get("alg") != "RS256" or header.get("kid") != jwk["kid"]:
        raise InvalidSignature("unexpected alg or kid")
    return header


def sign_jwt(credential: dict) -> str:
    """VC-JOSE compact JWS: base64url(header).base64url(canonical credential).signature."""
    key, _ = signing_key()
    header = {"alg": "RS256", "cty": "vc", "kid": public_jwk(key.public_key())["kid"], "typ": "vc+jwt"}
    signing_input = f"{b64url(canonical_json(header))}.{b64url(canonical_json(credential))}".encode("ascii")
    return signing_input.decode("ascii") + "." + _sign(key, signing_input)


def verify_jwt(token: str, jwk: dict) -> dict:
    """The credential in a compact JWS, once its RS256 signature checks out; InvalidSignature otherwise."""
    try:
        header_part, payload_part, signature = token.split(".")
        _header(jwk, json.loads(b64url_decode(header_part)))
    except (ValueError, KeyError) as exc:
        raise InvalidSignature(str(exc)) from None
    _verify(jwk, signature, f"{header_part}.{payload_part}".encode("ascii"))
    return json.loads(b64url_decode(payload_part))


def _proof_payload(credential: dict) -> bytes:
    proof = {k: v for k, v in credential["proof"].items() if k != "jws"}
    return canonical_json({**credential, "proof": proof})


def add_proof(credential: dict, created: str) -> dict:
    """The credential with an embedded detached-JWS proof over its canonical JSON (see the module docstring)."""
    key, _ = signing_key()
    kid = public_jwk(key.public_key())["kid"]
    proof = {"type": PROOF_TYPE, "created": created, "proofPurpose": "assertionMethod",
             "verificationMethod": f"{current_app.config['SITE_URL']}{JWKS_PATH}#{kid}"}
    document = {**credential, "proof": proof}
    header = b64url(canonical_json({"alg": "RS256", "b64": False, "crit": ["b64"], "kid": kid}))
    signature = _sign(key, header.encode("ascii") + b"." + _proof_payload(document))
    return {**credential, "proof": {**proof, "jws": f"{header}..{signature}"}}


def verify_proof(document: dict, jwk: dict) -> None:
    """Check an embedded proof made by :func:`add_proof`; InvalidSignature when anything was changed."""
    try:
        header_part, empty, signature = document["proof"]["jws"].split(".")
        header = _header(jwk, json.loads(b64url_decode(header_part)))
        if empty or header.get("b64") is not False or header.get("crit") != ["b64"]:
            raise ValueError("not a detached, unencoded-payload JWS")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidSignature(str(exc)) from None
    _verify(jwk, signature, header_part.encode("ascii") + b"." + _proof_payload(document))


# --- the credential ------------------------------------------------------------------------

def _timestamp(value) -> str:
    """XML Schema dateTimeStamp in UTC, whole seconds (what VC 2.0 validFrom expects)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity_salt(certificate: Certificate) -> str:
    """A salt for the NIP hash, stable per certificate and unguessable without SECRET_KEY."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"ob3-identity:{certificate.verify_code}".encode(), hashlib.sha256).hexdigest()[:32]


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
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "identifier", "hashed": True,
                 "identityHash": identity_hash(person.nip, salt), "salt": salt},
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": person.name},
            ],
            "achievement": achievement,
        },
        "evidence": [{"id": url, "type": ["Evidence"], "name": f"Sertifikat nomor {certificate.number}",
                      "description": f"Halaman verifikasi keaslian sertifikat (kode {certificate.verify_code})."}],
    }


def signed_json(certificate: Certificate) -> dict:
    """The credential with its embedded proof (created = issue time, so every download is the same)."""
    return add_proof(build_credential(certificate), _timestamp(certificate.issued_at))


def signed_jwt(certificate: Certificate) -> str:
    """The credential as a VC-JOSE compact JWS (media type application/vc+jwt)."""
    return sign_jwt(build_credential(certificate))
