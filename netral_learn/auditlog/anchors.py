"""Anchors of the audit chain: its head signed with the instansi's key, kept outside the table.

The audit table proves edits of single rows by itself, but not a chain recomputed from an edited
row on, nor the newest rows deleted: both leave a valid chain. An *anchor* fixes the head
(position, row count, last id, hash, time) with a signature of the document-signing key
(``keys.py``, verifiable with its certificate) and is appended to ``audit/anchors.jsonl`` in
storage, a file the database cannot rewrite. Each line also carries the SHA-256 of the line
before it, so a line edited or removed from the middle of the file shows too. Anchors are made
by ``flask audit anchor`` (a timer, e.g. hourly) and at every official report export, which
prints the anchor; ``flask audit verify`` checks the rows against every anchor.

The head is read in a session of its own, so an anchor only ever signs committed entries.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy.orm import Session

from ..core import audit
from ..core.clock import now_utc
from ..core.storage import atomic_write, storage_root
from ..extensions import db
from ..pact import keys

FOLDER = "audit"
FILENAME = "anchors.jsonl"
VERSION = 1


class AnchorFileBroken(RuntimeError):
    """The anchors file was edited, cut or signed by an untrusted key (the message says where)."""


class ChainBroken(RuntimeError):
    """The chain is broken: it is never anchored in that state."""


@dataclass(frozen=True)
class SignedAnchor:
    """One verified line of the anchors file."""

    anchor: audit.Anchor
    signer: str  #: the certificate's subject common name
    cert_sha256: str
    line: int

    @property
    def seq(self) -> int:
        return self.anchor.seq

    @property
    def hash(self) -> str:
        return self.anchor.hash

    @property
    def at(self) -> datetime:
        return self.anchor.at


def anchors_path() -> Path:
    return storage_root() / FOLDER / FILENAME


def _certs_folder() -> Path:
    return storage_root() / FOLDER / "certs"


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@lru_cache(maxsize=4)
def _load_key(path: str, password: bytes, mtime: float):
    key, cert, _extra = pkcs12.load_key_and_certificates(Path(path).read_bytes(), password or None)
    if key is None or cert is None:
        raise keys.SigningKeyMissing(f"berkas {path} tidak berisi kunci dan sertifikat")
    return key, cert


def signing_key():
    """(private key, certificate) of the configured PKCS#12 (cached per file version)."""
    paths = keys.key_paths()
    if not paths.pkcs12.exists():
        raise keys.SigningKeyMissing("Kunci penandatangan belum dibuat: jalankan `flask keys init`.")
    return _load_key(str(paths.pkcs12), paths.password, paths.pkcs12.stat().st_mtime)


def _sign(key, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    raise keys.SigningKeyMissing("jenis kunci penandatangan tidak didukung (RSA atau EC)")


def _verify_signature(cert: x509.Certificate, signature: bytes, data: bytes) -> None:
    public = cert.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    else:
        raise InvalidSignature("unsupported key type")


def _trusted_cas() -> list[x509.Certificate]:
    path = keys.key_paths().ca
    return x509.load_pem_x509_certificates(path.read_bytes()) if path.exists() else []


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _store_cert(cert: x509.Certificate) -> str:
    der = cert.public_bytes(serialization.Encoding.DER)
    fingerprint = hashlib.sha256(der).hexdigest()
    path = _certs_folder() / f"{fingerprint}.pem"
    if not path.exists():
        atomic_write(path, cert.public_bytes(serialization.Encoding.PEM))
    return fingerprint


def _cert_by_fingerprint(fingerprint: str) -> x509.Certificate | None:
    if len(fingerprint) != 64 or not all(c in "0123456789abcdef" for c in fingerprint):
        return None
    path = _certs_folder() / f"{fingerprint}.pem"
    if not path.exists():
        return None
    return _load_cert(str(path), fingerprint, path.stat().st_mtime)


@lru_cache(maxsize=16)
def _load_cert(path: str, fingerprint: str, mtime: float) -> x509.Certificate | None:
    """The certificate stored under its fingerprint, if its content still has that fingerprint
    (cached per file version: one anchor a hour makes thousands of lines with the same one)."""
    cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
    if hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest() != fingerprint:
        return None
    return cert


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _check_line(raw: bytes, number: int, expected_prev: str, cas) -> SignedAnchor:
    """Parse and check one line: its link to the line before, its certificate, its signature."""
    try:
        record = json.loads(raw)
        signature = base64.b64decode(record.pop("sig"), validate=True)
        anchor = audit.Anchor(seq=int(record["seq"]), count=int(record["count"]),
                              last_id=None if record["last_id"] is None else int(record["last_id"]),
                              hash=str(record["hash"]), at=datetime.fromisoformat(record["at"]))
    except (ValueError, KeyError, TypeError) as error:
        raise AnchorFileBroken(f"baris {number} berkas jangkar tidak terbaca ({error})") from None
    if record.get("prev") != expected_prev:
        raise AnchorFileBroken(f"baris {number} berkas jangkar tidak tersambung ke baris sebelumnya "
                               "(baris diubah atau dihapus)")
    cert = _cert_by_fingerprint(str(record.get("cert", "")))
    if cert is None:
        raise AnchorFileBroken(f"sertifikat penanda tangan jangkar baris {number} tidak ditemukan")
    if not any(_issued_by(cert, ca) for ca in cas):
        raise AnchorFileBroken(f"sertifikat penanda tangan jangkar baris {number} tidak diterbitkan CA tepercaya")
    if not cert.not_valid_before_utc <= anchor.at <= cert.not_valid_after_utc:
        raise AnchorFileBroken(f"jangkar baris {number} dibuat di luar masa berlaku sertifikatnya")
    try:
        _verify_signature(cert, signature, _canonical(record))
    except InvalidSignature:
        raise AnchorFileBroken(f"tanda tangan jangkar baris {number} tidak sah") from None
    return SignedAnchor(anchor, _common_name(cert), record["cert"], number)


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert == ca:
        return True
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def load_anchors() -> list[SignedAnchor]:
    """Every anchor in the file, each checked; AnchorFileBroken at the first line that fails."""
    path = anchors_path()
    if not path.exists():
        return []
    cas = _trusted_cas()
    result, prev = [], audit.GENESIS
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            if not raw.endswith(b"\n"):
                raise AnchorFileBroken(f"baris {number} berkas jangkar terpotong")
            result.append(_check_line(raw, number, prev, cas))
            prev = _line_hash(raw)
    return result


def latest_anchor() -> SignedAnchor | None:
    """The newest anchor (the one with the furthest position), checked with the whole file."""
    anchors = load_anchors()
    return max(anchors, key=lambda a: (a.seq, a.line), default=None)


def _last_line(file) -> bytes | None:
    """The last line of an open file (read from its end: the file grows without bound)."""
    file.seek(0, os.SEEK_END)
    size = file.tell()
    block = 4096
    while True:
        start = max(0, size - block)
        file.seek(start)
        data = file.read(size - start)
        lines = data.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or start == 0:
            return (lines[-1] + b"\n") if lines[-1] else None
        block *= 2


@dataclass
class AnchorResult:
    anchor: SignedAnchor
    created: bool
    report: audit.ChainReport


def anchor(*, full: bool = False, force: bool = False) -> AnchorResult:
    """Sign the committed head of the chain and append it to the anchors file.

    The chain is checked first (all of it with ``full``, else from the newest anchor on) and a
    broken chain is refused (ChainBroken). An unchanged head is not signed again unless
    ``force``. Writers serialize on a lock of the file, so anchors are appended in head order."""
    key, cert = signing_key()
    anchors = load_anchors()
    session = Session(db.engine)
    try:
        if full:
            report = audit.verify_chain(anchors=[a.anchor for a in anchors], session=session)
            if not report.ok:
                raise ChainBroken(report.reason)
        path = anchors_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            anchors = load_anchors()  # another writer may have appended meanwhile
            newest = max(anchors, key=lambda a: (a.seq, a.line), default=None)
            session.rollback()  # a fresh snapshot, taken under the lock
            report = audit.verify_chain(anchors=[a.anchor for a in anchors], session=session,
                                        start_after=newest.anchor if newest else None)
            if not report.ok:
                raise ChainBroken(report.reason)
            head = audit.current_head(session)
            if newest is not None and not force and (newest.seq, newest.hash) == (head.seq, head.hash):
                return AnchorResult(newest, False, report)
            last = _last_line(file)
            record = {"v": VERSION, "seq": head.seq, "count": head.count, "last_id": head.last_id,
                      "hash": head.hash, "at": now_utc().isoformat(), "cert": _store_cert(cert),
                      "prev": _line_hash(last) if last else audit.GENESIS}
            record["sig"] = base64.b64encode(_sign(key, _canonical(record))).decode()
            line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n"
            file.seek(0, os.SEEK_END)
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
        signed = SignedAnchor(audit.Anchor(head.seq, head.count, head.last_id, head.hash,
                                           datetime.fromisoformat(record["at"])),
                              _common_name(cert), record["cert"], len(anchors) + 1)
        report.last_anchor = signed.anchor
        report.since_anchor = 0
        return AnchorResult(signed, True, report)
    finally:
        session.close()


def verify(*, quick: bool = False) -> audit.ChainReport:
    """Check the chain against every anchor (from the newest anchor on only, with ``quick``).
    A broken anchors file is a broken chain."""
    try:
        anchors = load_anchors()
    except AnchorFileBroken as error:
        return audit.ChainReport(False, 0, None, str(error))
    newest = max(anchors, key=lambda a: (a.seq, a.line), default=None)
    with Session(db.engine) as session:  # walking detaches rows: never the request's objects
        return audit.verify_chain(anchors=[a.anchor for a in anchors], session=session,
                                  start_after=newest.anchor if quick and newest else None)


@dataclass
class DocumentAnchor:
    """What an official document prints about the audit log when it is made."""

    anchor: SignedAnchor | None
    head_hash: str
    problem: str | None = None


def anchor_for_document() -> DocumentAnchor:
    """Anchor the chain now (from the newest anchor on) for a document that prints it; the
    document then says whether the log was intact, or why it could not be anchored."""
    try:
        result = anchor()
    except (ChainBroken, AnchorFileBroken) as error:
        return DocumentAnchor(None, audit.head_hash(), str(error))
    except keys.SigningKeyMissing as error:
        return DocumentAnchor(None, audit.head_hash(), str(error))
    return DocumentAnchor(result.anchor, result.anchor.hash)


#: The audit-log page walks at most this many entries after the newest anchor on each view.
QUICK_LIMIT = 20000


@dataclass
class ChainState:
    """What the audit-log page says about the chain: ``ok`` (intact up to the newest anchor and
    after it), ``unanchored`` (intact, never anchored), ``unchecked`` (too many entries since the
    newest anchor to walk on a page view), ``broken`` (with the reason)."""

    status: str
    anchor: SignedAnchor | None = None
    since: int = 0
    reason: str = ""


def chain_state(limit: int = QUICK_LIMIT) -> ChainState:
    """The chain's state for a page: the newest anchor checked, the entries after it walked."""
    try:
        anchors = load_anchors()
    except AnchorFileBroken as error:
        return ChainState("broken", reason=str(error))
    newest = max(anchors, key=lambda a: (a.seq, a.line), default=None)
    with Session(db.engine) as session:
        head = audit.current_head(session)
        since = head.seq - (newest.seq if newest else 0)
        if since > limit:
            return ChainState("unchecked", newest, since)
        report = audit.verify_chain(anchors=[a.anchor for a in anchors], session=session,
                                    start_after=newest.anchor if newest else None)
    if not report.ok:
        return ChainState("broken", newest, max(since, 0), report.reason)
    return ChainState("ok" if newest else "unanchored", newest, since)
