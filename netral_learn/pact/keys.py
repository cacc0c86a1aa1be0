"""The instansi's document-signing key (PKCS#12) and the CA that vouches for it.

Production points ``SIGNING_PKCS12_PATH`` / ``SIGNING_PKCS12_PASSWORD`` / ``SIGNING_CA_PATH`` at
files from a real CA (e.g. BSrE). ``flask keys init`` makes a local CA and key for development
and demos, under ``instance/keys``.
"""
from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app


class SigningKeyMissing(RuntimeError):
    """No signing key is configured; run `flask keys init` (development) or configure one."""


@dataclass(frozen=True)
class KeyPaths:
    pkcs12: Path
    password: bytes
    ca: Path


def key_paths() -> KeyPaths:
    cfg = current_app.config
    folder = Path(current_app.instance_path) / "keys"
    pkcs12_path = Path(cfg.get("SIGNING_PKCS12_PATH") or folder / "signing.p12")
    password = cfg.get("SIGNING_PKCS12_PASSWORD")
    if password is None and (folder / "password").exists():
        password = (folder / "password").read_text().strip()
    ca = Path(cfg.get("SIGNING_CA_PATH") or folder / "ca.pem")
    return KeyPaths(pkcs12_path, (password or "").encode(), ca)


def _usage(**flags) -> x509.KeyUsage:
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]
    return x509.KeyUsage(**{name: flags.get(name, False) for name in names})


def create_local_ca(folder: Path, organisation: str, common_name: str, years: int = 5) -> KeyPaths:
    """A development CA and a signing certificate for ``organisation``, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} — CA Pengembangan"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365 * (years + 5)))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                                     x509.NameAttribute(NameOID.COUNTRY_NAME, "ID")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(digital_signature=True, content_commitment=True), critical=True)
            .sign(ca_key, hashes.SHA256()))
    password = secrets.token_urlsafe(24)
    bundle = pkcs12.serialize_key_and_certificates(
        b"signing", key, cert, [ca_cert], serialization.BestAvailableEncryption(password.encode()))
    (folder / "signing.p12").write_bytes(bundle)
    (folder / "signing.p12").chmod(0o600)
    (folder / "password").write_text(password)
    (folder / "password").chmod(0o600)
    (folder / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    signer.cache_clear()
    return KeyPaths(folder / "signing.p12", password.encode(), folder / "ca.pem")


@lru_cache(maxsize=4)
def _load_signer(path: str, password: bytes, mtime: float):
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(pfx_file=path, passphrase=password or None)
    if signer is None:
        raise SigningKeyMissing(f"kunci penandatangan di {path} tidak dapat dibuka (kata sandi salah?)")
    return signer


def signer():
    """The pyHanko signer for the configured key (cached per file version)."""
    paths = key_paths()
    if not paths.pkcs12.exists():
        raise SigningKeyMissing("Kunci penandatangan belum dibuat: jalankan `flask keys init`.")
    return _load_signer(str(paths.pkcs12), paths.password, paths.pkcs12.stat().st_mtime)


signer.cache_clear = _load_signer.cache_clear


def trust_roots():
    """The CA certificate(s) signatures are validated against (asn1crypto objects)."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    data = key_paths().ca.read_bytes()
    roots = []
    for _, _, der in pem.unarmor(data, multiple=True):
        roots.append(asn1_x509.Certificate.load(der))
    return roots
