"""Open Badges 3.0 credential: content, no NIP in clear, VC-JOSE and embedded-proof signatures, JWKS, access."""
import base64
import copy
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from netral_learn.certificates import credential
from netral_learn.certificates.models import Certificate
from netral_learn.core import clock
from netral_learn.extensions import db

from ..pact.test_signing import world  # noqa: F401 - fixture
from .test_admin import certify, client_for


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rsa_verify(jwk: dict, signature: str, signing_input: bytes) -> None:
    """Independent RS256 check straight from the JWK's n and e (not through the app's helpers)."""
    numbers = rsa.RSAPublicNumbers(int.from_bytes(b64d(jwk["e"]), "big"), int.from_bytes(b64d(jwk["n"]), "big"))
    key = numbers.public_key()
    key.verify(b64d(signature), signing_input, padding.PKCS1v15(), hashes.SHA256())


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.fixture
def issued(app, world, client):
    """The learner's certificate, the learner's logged-in client and the published JWK."""
    certificate_id = certify(app, world["learner"], world["program"])
    keys = client.get("/.well-known/jwks.json")
    assert keys.status_code == 200 and keys.headers["Access-Control-Allow-Origin"] == "*"
    (jwk,) = keys.get_json()["keys"]
    with app.app_context():
        certificate = db.session.get(Certificate, certificate_id)
        facts = {"id": certificate_id, "number": certificate.number, "code": certificate.verify_code,
                 "issued_at": certificate.issued_at}
    return {**facts, "owner": client_for(app, world["learner"]), "jwk": jwk}


def test_jwks_kid_is_the_rfc7638_thumbprint(issued):
    """Is the published key an RS256 signing key whose kid is its SHA-256 JWK thumbprint?"""
    jwk = issued["jwk"]
    members = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":")).encode()
    assert jwk["kid"] == base64.urlsafe_b64encode(hashlib.sha256(members).digest()).rstrip(b"=").decode()
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig" and "d" not in jwk
    assert jwk["x5c"]  # the X.509 chain of the instansi key


def test_credential_is_an_open_badge_without_the_nip_in_clear(app, world, issued):
    """Does the JSON carry the OB 3.0 contexts and types, issuer, dates, number and verification URL, and only a
    salted hash of the NIP?"""
    response = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_data(as_text=True)
    nip = world["learner"].nip
    assert nip not in body and nip[:8] + " " not in body
    document = response.get_json()
    site = app.config["SITE_URL"]
    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"] == {"id": f"{site}/instansi/{world['tree']['root'].id}", "type": ["Profile"],
                                  "name": "Pemerintah Kabupaten Uji"}
    assert document["validFrom"] == issued["issued_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
    subject = document["credentialSubject"]
    hashed = next(i for i in subject["identifier"] if i["hashed"])
    assert hashed["type"] == "IdentityObject" and hashed["salt"]
    assert hashed["identityHash"] == "sha256$" + hashlib.sha256((nip + hashed["salt"]).encode()).hexdigest()
    assert subject["achievement"]["name"] == "Sosialisasi Netralitas Uji"
    assert "Achievement" in subject["achievement"]["type"]
    assert document["evidence"][0]["id"] == f"{site}/verifikasi/{issued['code']}"
    assert issued["number"] in document["evidence"][0]["name"] and issued["number"] in document["description"]
    again = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.json").get_json()
    assert again == document  # same salt, same proof: reproducible


def test_embedded_proof_verifies_with_the_public_jwk_and_breaks_when_tampered(world, issued):
    """Does the embedded detached JWS check out against the JWKS key, and fail once any signed value changes?"""
    document = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.json").get_json()
    proof = document["proof"]
    assert proof["type"] == "JsonWebSignature2020" and proof["verificationMethod"].endswith("#" + issued["jwk"]["kid"])
    header_part, empty, signature = proof["jws"].split(".")
    header = json.loads(b64d(header_part))
    assert empty == "" and header == {"alg": "RS256", "b64": False, "crit": ["b64"], "kid": issued["jwk"]["kid"]}

    def signing_input(doc):
        unsigned = copy.deepcopy(doc)
        del unsigned["proof"]["jws"]
        return header_part.encode() + b"." + canonical(unsigned)

    rsa_verify(issued["jwk"], signature, signing_input(document))
    credential.verify_proof(document, issued["jwk"])
    for change in [lambda d: d["credentialSubject"]["identifier"][1].update(identityHash="Orang Lain"),
                   lambda d: d.update(validFrom="2020-01-01T00:00:00Z"),
                   lambda d: d["proof"].update(created="2020-01-01T00:00:00Z")]:
        tampered = copy.deepcopy(document)
        change(tampered)
        with pytest.raises(InvalidSignature):
            rsa_verify(issued["jwk"], signature, signing_input(tampered))
        with pytest.raises(InvalidSignature):
            credential.verify_proof(tampered, issued["jwk"])


def test_vc_jose_jwt_verifies_and_breaks_when_tampered(world, issued):
    """Is the .jwt a compact RS256 JWS (typ vc+jwt, kid) of the same credential, and does tampering break it?"""
    response = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.jwt")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    header_part, payload_part, signature = token.split(".")
    assert json.loads(b64d(header_part)) == {"alg": "RS256", "cty": "vc", "kid": issued["jwk"]["kid"],
                                             "typ": "vc+jwt"}
    rsa_verify(issued["jwk"], signature, f"{header_part}.{payload_part}".encode())
    payload = credential.verify_jwt(token, issued["jwk"])
    document = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.json").get_json()
    del document["proof"]
    assert payload == document
    payload["credentialSubject"]["achievement"]["name"] = "Program Palsu"
    forged = header_part + "." + base64.urlsafe_b64encode(canonical(payload)).rstrip(b"=").decode() + "." + signature
    with pytest.raises(InvalidSignature):
        credential.verify_jwt(forged, issued["jwk"])
    with pytest.raises(InvalidSignature):
        rsa_verify(issued["jwk"], signature, forged.rsplit(".", 1)[0].encode())


def test_credential_access_is_the_owners_like_the_pdf(app, world, issued, factory):
    """Does only the holder get the credential (anonymous to login, others 403), and is a revoked one gone (410)?"""
    url = f"/program/{world['program']}/sertifikat/kredensial"
    for suffix in (".json", ".jwt"):
        assert app.test_client().get(url + suffix).status_code == 302
        colleague = client_for(app, factory.person(world["tree"]["a1"]))
        assert colleague.get(url + suffix).status_code == 403
    page = issued["owner"].get(f"/program/{world['program']}/sertifikat").get_data(as_text=True)
    assert "kredensial.json" in page and "kredensial.jwt" in page
    with app.app_context():
        certificate = db.session.get(Certificate, issued["id"])
        certificate.revoked_at, certificate.revoked_reason = clock.now_utc(), "Data ganda"
        db.session.commit()
    for suffix in (".json", ".jwt"):
        assert issued["owner"].get(url + suffix).status_code == 410
