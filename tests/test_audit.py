"""The audit chain: every edit, deletion or swap is found; concurrent writers keep one chain; signed
anchors outside the table catch a recomputed chain and deleted newest entries."""
import os
import threading

import pytest
from sqlalchemy import select, text

from netral_learn.core import audit
from netral_learn.extensions import db
from netral_learn.auditlog import anchors as audit_anchors


def write_entries(n):
    for index in range(n):
        audit.record(None, "test.event", f"thing:{index}", note=f"entry {index}")
    db.session.commit()


def test_intact_chain_verifies_and_head_hash_moves(ctx):
    """Does a clean chain verify, and does the head hash change with each entry?"""
    assert audit.head_hash() == audit.GENESIS
    write_entries(3)
    first_head = audit.head_hash()
    write_entries(1)
    assert audit.head_hash() != first_head
    report = audit.verify_chain()
    assert report.ok and report.checked == 4


@pytest.mark.parametrize("tamper, seq", [
    ("UPDATE audit_events SET details = replace(details, 'entry 2', 'entry 9') WHERE seq = 3", 3),
    ("DELETE FROM audit_events WHERE seq = 2", 2),
    ("UPDATE audit_events SET seq = CASE seq WHEN 3 THEN 4 WHEN 4 THEN 3 END WHERE seq IN (3, 4)", 3),
    ("UPDATE audit_events SET action = 'test.other' WHERE seq = 5", 5),
])
def test_tampering_is_found_at_the_first_broken_entry(ctx, tamper, seq):
    """Is an edited byte, a deleted row or two swapped rows reported at the right entry?"""
    write_entries(6)
    if "CASE seq" in tamper:  # swap the rows' positions through a free number (unique seq)
        db.session.execute(text("UPDATE audit_events SET seq = 1000 WHERE seq = 3"))
        db.session.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 4"))
        db.session.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = 1000"))
    else:
        db.session.execute(text(tamper))
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == seq


def test_cli_reports_broken_chain(app):
    """Does `flask audit verify` exit non-zero and name the broken entry?"""
    with app.app_context():
        write_entries(3)
        db.session.execute(text("UPDATE audit_events SET target = 'x' WHERE seq = 2"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "entri 2" in result.output


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="concurrent writers need PostgreSQL")
def test_concurrent_writers_leave_one_valid_chain(app):
    """Do 8 threads appending 10 entries each at once leave a single valid chain of 80?"""
    barrier = threading.Barrier(8)
    errors = []

    def writer(worker):
        with app.app_context():
            try:
                barrier.wait()
                for index in range(10):
                    audit.record(None, "test.concurrent", f"w{worker}:{index}")
                    db.session.commit()
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with app.app_context():
        report = audit.verify_chain()
        assert report.ok and report.checked == 80


# --- anchors: the head signed and kept outside the table ----------------------------------------

def anchor_now(app, *args):
    result = app.test_cli_runner().invoke(args=["audit", "anchor", *args])
    assert result.exit_code == 0, result.output
    return result


def verify_cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def recompute_from(seq: int) -> None:
    """What an intruder with write access to the table does: edit entry ``seq`` and rewrite every
    hash from there on, so that the chain alone verifies again."""
    db.session.execute(text("UPDATE audit_events SET details = '{\"note\":\"diubah\"}' WHERE seq = :s"), {"s": seq})
    prev = db.session.scalar(text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": seq - 1}) or audit.GENESIS
    for event in db.session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.seq >= seq)
                                    .order_by(audit.AuditEvent.seq)).all():
        event.prev_hash = prev
        event.hash = audit.entry_hash(prev, event.seq, event.created_at, event.actor_id, event.action, event.target,
                                      event.details, event.instansi_id, event.subject_id)
        prev = event.hash
    db.session.commit()


def test_recomputed_chain_fails_against_an_anchor(app):
    """Does `flask audit verify` catch a chain recomputed from an edited entry on, which a walk alone accepts?"""
    with app.app_context():
        write_entries(5)
    anchor_now(app)
    with app.app_context():
        write_entries(2)
        recompute_from(3)
        assert audit.verify_chain().ok  # without anchors the rewrite is invisible
    result = verify_cli(app)
    assert result.exit_code == 1
    assert "entri 5" in result.output and "dihitung ulang" in result.output


@pytest.mark.parametrize("deleted", [[7], [6, 7], [5, 6, 7]])
def test_deleted_last_entries_fail_against_an_anchor(app, deleted):
    """Are the newest entries deleted (up to and past the anchored one) reported as a truncated log?"""
    with app.app_context():
        write_entries(7)
    anchor_now(app)
    with app.app_context():
        db.session.execute(text(f"DELETE FROM audit_events WHERE seq IN ({','.join(map(str, deleted))})"))
        db.session.commit()
    result = verify_cli(app)
    assert result.exit_code == 1 and "dihapus" in result.output, result.output


def test_entries_after_the_last_anchor_are_counted(app):
    """Does verify say which anchor matched and how many entries came after it?"""
    with app.app_context():
        write_entries(3)
    anchor_now(app)
    with app.app_context():
        write_entries(2)
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
    assert "1 jangkar cocok; terakhir: entri 3" in result.output and "2 entri sesudahnya" in result.output


def test_unchanged_head_is_not_signed_twice(app):
    """Does a timer run with nothing new leave the anchors file as it was?"""
    with app.app_context():
        write_entries(2)
    anchor_now(app)
    assert "belum berubah" in anchor_now(app).output
    with app.app_context():
        assert len(audit_anchors.load_anchors()) == 1


def test_broken_chain_is_never_anchored(app):
    """Does `flask audit anchor` refuse a tampered chain instead of signing it?"""
    with app.app_context():
        write_entries(3)
        db.session.execute(text("UPDATE audit_events SET target = 'x' WHERE seq = 2"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 1 and "RUSAK" in result.output
    with app.app_context():
        assert audit_anchors.load_anchors() == []


def test_anchor_signature_verifies_with_the_certificate_in_openssl(app, tmp_path):
    """Can anyone holding the signing certificate check an anchor with OpenSSL (a tool we did not write)?"""
    import base64
    import json
    import subprocess

    with app.app_context():
        write_entries(4)
    anchor_now(app)
    with app.app_context():
        line = audit_anchors.anchors_path().read_text().splitlines()[-1]
        record = json.loads(line)
        cert = (audit_anchors.anchors_path().parent / "certs" / f"{record['cert']}.pem").read_bytes()
        head = audit.current_head()
    assert (record["seq"], record["count"], record["hash"], record["last_id"]) == (4, 4, head.hash, head.last_id)
    signature = base64.b64decode(record.pop("sig"))
    (tmp_path / "payload").write_bytes(json.dumps(record, sort_keys=True, ensure_ascii=False,
                                                  separators=(",", ":")).encode())
    (tmp_path / "sig").write_bytes(signature)
    (tmp_path / "cert.pem").write_bytes(cert)
    pub = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "cert.pem"), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    check = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"), "-signature",
                            str(tmp_path / "sig"), str(tmp_path / "payload")], capture_output=True, text=True)
    assert check.returncode == 0 and "Verified OK" in check.stdout
    subject = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "cert.pem"), "-noout", "-subject"],
                             capture_output=True, text=True, check=True).stdout
    assert "BKPSDM Kabupaten Uji" in subject


@pytest.mark.parametrize("tamper", ["edit", "drop_middle", "forge"])
def test_tampered_anchors_file_fails(app, tamper):
    """Is an anchor edited, removed from the middle of the file, or signed by another key reported?"""
    import json

    for count in (2, 2, 2):
        with app.app_context():
            write_entries(count)
        anchor_now(app)
    with app.app_context():
        path = audit_anchors.anchors_path()
        lines = path.read_text().splitlines(keepends=True)
        if tamper == "edit":
            record = json.loads(lines[1])
            record["seq"] = 3
            lines[1] = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
        elif tamper == "drop_middle":
            del lines[1]
        else:  # an anchor signed with a key the CA never certified
            from netral_learn.pact.keys import create_local_ca

            record = json.loads(lines[2])
            other = create_local_ca(path.parent / "other", "Penyusup", "Penyusup")
            data = other.pkcs12.read_bytes()
            from cryptography.hazmat.primitives.serialization import pkcs12

            key, cert, _ = pkcs12.load_key_and_certificates(data, other.password)
            record["cert"] = audit_anchors._store_cert(cert)
            record.pop("sig")
            import base64

            record["sig"] = base64.b64encode(audit_anchors._sign(key, audit_anchors._canonical(record))).decode()
            lines[2] = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
        path.write_text("".join(lines))
    result = verify_cli(app)
    assert result.exit_code == 1 and "jangkar" in result.output.lower(), result.output


def test_expected_anchor_from_a_printed_report(app):
    """Does `verify --expect SEQ:HASH` (copied from a printed report) fail once that entry was rewritten?"""
    with app.app_context():
        write_entries(3)
        printed = f"2:{db.session.scalar(text('SELECT hash FROM audit_events WHERE seq = 2'))}"
    assert verify_cli(app, "--expect", printed).exit_code == 0
    with app.app_context():
        recompute_from(2)
    result = verify_cli(app, "--expect", printed)
    assert result.exit_code == 1 and "entri 2" in result.output
