"""Certificates: first render against bare WeasyPrint, repeated download, a 1,000-certificate ZIP.

* First render: the app's whole path (plain-dict data, sandboxed template, QR, app-only fetcher,
  atomic write with hash) side by side with WeasyPrint alone on the same HTML, in the same run.
* Repeated download: server time of GET /admin/sertifikat/<id>.pdf once the PDF is stored.
* ZIP: 1,000 stored PDFs streamed into a ZIP; peak Python memory shows nothing is held whole.
"""
from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import date, timedelta

from weasyprint import HTML

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person, Role
from netral_learn.accounts.units import create_unit
from netral_learn.certificates import bulk, services
from netral_learn.certificates.models import Certificate
from netral_learn.core.clock import now_utc
from netral_learn.core.storage import atomic_write, storage_root
from netral_learn.core.zipstream import stream_zip
from netral_learn.courses.models import Course, CourseVersion, Enrollment, Module, VersionStatus
from netral_learn.courses.programs import create_program
from netral_learn.extensions import db

from .harness import Database, fresh_app, note
from .table import Measurement

PASSWORD = "Bench#Sandi-2026"
RENDERS = 5


def _world(count: int) -> tuple[int, list[int]]:
    """An instansi, a program and ``count`` people with an issued certificate each; returns ids."""
    root = create_unit(None, None, "Pemerintah Kabupaten Bench", timezone="Asia/Makassar")
    opd = create_unit(None, root, "Dinas Bench")
    version = CourseVersion(number=1, status=VersionStatus.PUBLISHED, title="Netralitas ASN",
                            modules=[Module(position=0, slug="m", title="Modul", body_md="Isi", minutes=5)])
    db.session.add(Course(slug="bench", versions=[version]))
    db.session.flush()
    program = create_program(None, root, title="Sosialisasi Netralitas Bench", version=version,
                             starts_on=date.today() - timedelta(days=1), ends_on=date.today() + timedelta(days=30),
                             targets=[root], jenis=set(Jenis), published=True)
    admin = Person(nip="ADMIN-BENCH", name="Admin Bench", jenis=Jenis.NON_ASN, unit_id=root.id, role=Role.ADMIN,
                   scope_unit_id=root.id, password_hash=passwords.hash_password(PASSWORD), must_change_password=False)
    db.session.add(admin)
    now = now_utc()
    ids = []
    for index in range(count):
        person = Person(nip=f"TKK-B{index:05d}", name=f"Pegawai Bench {index:04d}", jenis=Jenis.NON_ASN,
                        unit_id=opd.id, jabatan="Pengadministrasi")
        db.session.add(person)
        db.session.flush()
        enrollment = Enrollment(program_id=program.id, person_id=person.id, quiz_best_score=90,
                                quiz_passed_at=now, pact_signed_at=now, modules_completed_at=now)
        db.session.add(enrollment)
        db.session.flush()
        ids.append(services.issue_certificate(enrollment, now).id)
    db.session.commit()
    return program.id, ids


def _first_render(ids: list[int]) -> tuple[float, float]:
    """Median seconds of the app's first render and of bare WeasyPrint on the same HTML."""
    app_times, bare_times = [], []
    for certificate_id in ids[:RENDERS]:
        certificate = db.session.get(Certificate, certificate_id)
        html = services.render_html(services.template_source(services.settings_for(certificate.instansi_id)),
                                    services.template_data(certificate))
        start = time.perf_counter()
        HTML(string=html).write_pdf()
        bare_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        services.ensure_pdf(certificate)
        db.session.commit()
        app_times.append(time.perf_counter() - start)
    return statistics.median(app_times), statistics.median(bare_times)


def _repeated_download(app, certificate_id: int) -> float:
    client = app.test_client()
    client.post("/masuk", data={"nip": "ADMIN-BENCH", "password": PASSWORD})
    client.get(f"/admin/sertifikat/{certificate_id}.pdf")
    times = []
    for _ in range(50):
        start = time.perf_counter()
        response = client.get(f"/admin/sertifikat/{certificate_id}.pdf")
        response.get_data()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _zip(ids: list[int]) -> tuple[float, int, int]:
    """Seconds, bytes and peak traced memory to stream a ZIP of every certificate."""
    rendered = db.session.get(Certificate, ids[0])
    data = services.pdf_path(rendered).read_bytes()
    for certificate_id in ids:  # give every certificate its own stored file (same bytes: fast)
        certificate = db.session.get(Certificate, certificate_id)
        if certificate.pdf_path is None:
            relative = f"certificates/bench/{certificate.verify_code}.pdf"
            atomic_write(storage_root() / relative, data)
            certificate.pdf_path, certificate.pdf_sha256 = relative, rendered.pdf_sha256
    db.session.commit()
    members = [(bulk.member_name(db.session.get(Certificate, i)), services.pdf_path(db.session.get(Certificate, i)))
               for i in ids]
    tracemalloc.start()
    start = time.perf_counter()
    size = sum(len(chunk) for chunk in stream_zip(members))
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, size, peak


def run(targets: list[Database], count: int = 1000) -> list[Measurement]:
    results = []
    for database in targets:
        with fresh_app(database) as app, app.test_request_context():
            note(f"certificates: issuing {count} on {database.label}")
            _, ids = _world(count)
            first, bare = _first_render(ids)
            ratio = first / bare
            results.append(Measurement(
                "certificate first render", database.label, f"{first * 1000:.0f} ms",
                f"bare WeasyPrint {bare * 1000:.0f} ms, ratio {ratio:.2f}", "≤ 1.3× WeasyPrint", ratio <= 1.3))
            download = _repeated_download(app, ids[0])
            results.append(Measurement("certificate repeated download", database.label, f"{download:.1f} ms",
                                       "median of 50, stored PDF", "< 10 ms", download < 10))
            elapsed, size, peak = _zip(ids)
            results.append(Measurement(
                f"ZIP of {count} certificates", database.label, f"{elapsed:.1f} s",
                f"{size / 1e6:.0f} MB streamed, peak Python memory {peak / 1e6:.1f} MB", "streamed",
                peak < size / 10))
    return results
