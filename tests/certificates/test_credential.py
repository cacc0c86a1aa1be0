"""Open Badges 3.0 credential: the official schema, the VC-JWT rules, the key its kid resolves to, the
status list that travels with it, access. Signed by the app with joserfc; verified here with jwcrypto."""
import copy
import hashlib
import json
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator, FormatChecker
from jwcrypto import jwk as jw_jwk
from jwcrypto import jws as jw_jws
from jwcrypto.common import JWException

from netral_learn.accounts.models import Person, Role
from netral_learn.certificates import services, status_list
from netral_learn.certificates.models import Certificate
from netral_learn.core import clock
from netral_learn.extensions import db

from ..pact.test_signing import world  # noqa: F401 - fixture
from .test_admin import certify, client_for

SCHEMA = json.loads((Path(__file__).parent / "schema" / "ob_v3p0_achievementcredential.json").read_text())


@pytest.fixture
def issued(app, world, client):
    """The learner's certificate, the learner's logged-in client and the published JWK Set."""
    certificate_id = certify(app, world["learner"], world["program"])
    keys = client.get("/.well-known/jwks.json")
    assert keys.status_code == 200 and keys.headers["Access-Control-Allow-Origin"] == "*"
    with app.app_context():
        certificate = db.session.get(Certificate, certificate_id)
        facts = {"id": certificate_id, "number": certificate.number, "code": certificate.verify_code,
                 "issued_at": certificate.issued_at}
    return {**facts, "owner": client_for(app, world["learner"]), "jwks": keys.get_json()}


def fetch(app, url: str):
    """GET a URL of the app as an outside verifier would (the site's own address → the test client)."""
    site = app.config["SITE_URL"]
    assert url.startswith(site + "/"), url
    response = app.test_client().get(url.removeprefix(site))
    assert response.status_code == 200, (url, response.status_code)
    return response


def verify_with_jwcrypto(app, token: str) -> tuple[dict, dict]:
    """Verify a compact JWS with jwcrypto and the key its ``kid`` URI dereferences to; (header, payload)."""
    header = json.loads(jw_jws.base64url_decode(token.split(".")[0]))
    key = jw_jwk.JWK(**fetch(app, header["kid"]).get_json())
    signed = jw_jws.JWS()
    signed.deserialize(token)
    signed.verify(key, alg="RS256")
    return header, json.loads(signed.payload)


def test_the_kid_uri_resolves_to_the_published_key(app, issued):
    """Does the JWK Set publish one RS256 key whose kid is a URI that answers with that same public JWK
    (its last part the RFC 7638 thumbprint, checked by jwcrypto)?"""
    (published,) = issued["jwks"]["keys"]
    assert published["kid"].startswith(app.config["SITE_URL"] + "/kredensial/kunci/")
    assert published["kty"] == "RSA" and published["alg"] == "RS256" and published["use"] == "sig"
    assert "d" not in published and published["x5c"]
    assert published["kid"].rsplit("/", 1)[1] == jw_jwk.JWK(**published).thumbprint()
    resolved = fetch(app, published["kid"])
    assert resolved.headers["Access-Control-Allow-Origin"] == "*" and resolved.get_json() == published
    assert app.test_client().get("/kredensial/kunci/bukan-kunci-kami").status_code == 404


def test_credential_follows_the_official_schema_and_the_vc_jwt_rules(app, world, issued):
    """Does the VC-JWT verify with jwcrypto against the key its kid resolves to, with exactly the OB 3.0
    header (alg RS256, kid URI, typ JWT) and the iss/jti/nbf/sub claims, and does the credential pass the
    official OB 3.0 AchievementCredential JSON Schema without the NIP in clear?"""
    response = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.jwt")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    header, payload = verify_with_jwcrypto(app, token)
    assert header == {"alg": "RS256", "kid": issued["jwks"]["keys"][0]["kid"], "typ": "JWT"}
    credential_ = {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "sub")}
    assert payload["iss"] == credential_["issuer"]["id"] and payload["jti"] == credential_["id"]
    assert payload["sub"] == credential_["credentialSubject"]["id"]
    assert payload["nbf"] == int(issued["issued_at"].timestamp())
    errors = sorted(Draft201909Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(credential_),
                    key=str)
    assert not errors, [e.message for e in errors]
    assert "proof" not in credential_  # the VC-JWT is the proof (see credential.py)

    nip = world["learner"].nip
    assert nip not in token and nip not in json.dumps(payload) and nip[:8] + " " not in json.dumps(payload)
    site = app.config["SITE_URL"]
    assert credential_["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                       "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential_["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential_["issuer"] == {"id": f"{site}/instansi/{world['tree']['root'].id}", "type": ["Profile"],
                                     "name": "Pemerintah Kabupaten Uji"}
    subject = credential_["credentialSubject"]
    assert subject["id"].startswith("urn:uuid:")
    hashed = next(i for i in subject["identifier"] if i["hashed"])
    assert hashed["identityHash"] == "sha256$" + hashlib.sha256((nip + hashed["salt"]).encode()).hexdigest()
    assert credential_["evidence"][0]["id"] == f"{site}/verifikasi/{issued['code']}"
    assert issued["number"] in credential_["description"]
    again = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.jwt").get_data(as_text=True)
    assert again.split(".")[1] == token.split(".")[1]  # the same credential on every download

    forged = copy.deepcopy(payload)
    forged["credentialSubject"]["achievement"]["name"] = "Program Palsu"
    body = jw_jws.base64url_encode(json.dumps(forged).encode())
    parts = token.split(".")
    with pytest.raises(JWException):
        verify_with_jwcrypto(app, f"{parts[0]}.{body}.{parts[2]}")


def test_a_copy_downloaded_before_revocation_is_found_revoked_through_its_status_list(app, world, issued, factory):
    """Does the credential carry a Bitstring Status List entry whose list (a VC-JWT verified with jwcrypto)
    has the bit clear while valid and set once the certificate is revoked, for a copy taken before?"""
    token = issued["owner"].get(f"/program/{world['program']}/sertifikat/kredensial.jwt").get_data(as_text=True)
    _, payload = verify_with_jwcrypto(app, token)
    status = payload["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    index = int(status["statusListIndex"])

    def listed_revoked() -> bool:
        response = fetch(app, status["statusListCredential"])
        assert response.mimetype == "application/vc+jwt" and "max-age" in response.headers["Cache-Control"]
        header, document = verify_with_jwcrypto(app, response.get_data(as_text=True))
        assert header["typ"] == "vc+jwt" and document["id"] == status["statusListCredential"]
        assert "BitstringStatusListCredential" in document["type"]
        assert document["issuer"]["id"] == payload["issuer"]["id"] == document["iss"]
        subject = document["credentialSubject"]
        assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
        bits = status_list.decode(subject["encodedList"])
        assert len(bits) * 8 >= status_list.MIN_ENTRIES
        return status_list.is_set(bits, index)

    assert not listed_revoked()
    admin = factory.person(world["tree"]["root"], role=Role.ADMIN, scope=world["tree"]["root"])
    with app.test_request_context():
        services.revoke(db.session.get(Person, admin.id), db.session.get(Certificate, issued["id"]),
                        "Data ganda ditemukan", clock.now_utc())
        db.session.commit()
    assert listed_revoked()  # the copy downloaded before now checks as revoked
    assert app.test_client().get(f"/kredensial/status/{world['tree']['a'].id}").status_code == 404  # not an instansi


def test_credential_access_is_the_owners_like_the_pdf(app, world, issued, factory):
    """Does only the holder get the credential (anonymous to login, others 403), and does a revoked one
    answer with a page saying so (410)?"""
    url = f"/program/{world['program']}/sertifikat/kredensial.jwt"
    assert app.test_client().get(url).status_code == 302
    assert client_for(app, factory.person(world["tree"]["a1"])).get(url).status_code == 403
    assert "kredensial.jwt" in issued["owner"].get(f"/program/{world['program']}/sertifikat").get_data(as_text=True)
    with app.app_context():
        certificate = db.session.get(Certificate, issued["id"])
        certificate.revoked_at, certificate.revoked_reason = clock.now_utc(), "Data ganda"
        db.session.commit()
    response = issued["owner"].get(url)
    assert response.status_code == 410 and "dicabut" in response.get_data(as_text=True)
