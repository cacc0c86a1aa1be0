"""The audit chain: every edit, deletion or swap is found; concurrent writers keep one chain."""
import os
import threading

import pytest
from sqlalchemy import text

from netral_learn.core import audit
from netral_learn.extensions import db


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
