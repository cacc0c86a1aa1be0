"""Two gunicorn instances on one PostgreSQL + Redis + shared storage behave as one site."""
import pytest

from netral_learn.certificates.models import Certificate
from netral_learn.extensions import db
from netral_learn.pact.models import PactSignature
from netral_learn.quiz.models import Attempt

from ..factories import Factory
from .conftest import needs_postgres, run_test_worker, start_test_instance
from .servers import Browser, ThrowawayRedis, free_port, stop

pytestmark = [needs_postgres, pytest.mark.skipif(not ThrowawayRedis.available(), reason="needs redis-server")]


def _stored_pdfs(app) -> tuple[str | None, str | None]:
    with app.app_context():
        return (db.session.query(PactSignature.pdf_path).scalar(), db.session.query(Certificate.pdf_path).scalar())


def test_one_journey_across_two_instances(app, factory):
    """Log in on A, read on B, start the quiz on B and submit on A, sign on B; the worker makes
    the signed pact and the certificate; download on A."""
    tree = factory.tree()
    version = factory.course(modules=1)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=6)
    factory.quiz_settings(program, question_count=3)
    factory.pact_template()
    person = factory.person(tree["a1"], name="Budi Santoso")
    a_port, b_port = free_port(), free_port()
    if not ThrowawayRedis.available():
        pytest.skip("needs redis-server (a Redis of its own: two instances share its queue)")
    redis = ThrowawayRedis().start()  # its own queue: no other test's jobs
    processes = [start_test_instance(app, a_port, redis.url), start_test_instance(app, b_port, redis.url)]
    try:
        a, b = f"http://127.0.0.1:{a_port}", f"http://127.0.0.1:{b_port}"
        browser = Browser()
        status, _ = browser.post(f"{a}/masuk", {"nip": person.nip, "password": Factory.PASSWORD}, f"{a}/masuk")
        assert status == 200
        status, home = browser.get(f"{b}/")
        assert status == 200 and "Budi Santoso" in home  # the session is shared, not per process
        assert browser.get(f"{b}/program/{program}/modul/1")[0] == 200
        assert browser.post(f"{a}/program/{program}/modul/1/selesai", {}, f"{a}/program/{program}/modul/1")[0] == 200
        status, page = browser.post(f"{b}/program/{program}/kuis/mulai", {}, f"{b}/program/{program}/kuis")
        assert status == 200
        with app.app_context():
            attempt = db.session.query(Attempt).one()
            answers = {f"q-{q.id}": [str(x) for x in q.snapshot["correct"]] for q in attempt.questions}
            attempt_url = f"/program/{program}/kuis/{attempt.id}"
        status, result = browser.post(f"{a}{attempt_url}/kirim", answers, f"{b}{attempt_url}")
        assert status == 200 and "Selamat, Anda lulus" in result
        status, signed = browser.post(f"{b}/program/{program}/pakta",
                                      {"typed_name": "Budi Santoso", "password": Factory.PASSWORD, "agree": ["0", "1"]},
                                      f"{a}/program/{program}/pakta")
        assert status == 200 and "berhasil ditandatangani" in signed
        assert _stored_pdfs(app) == (None, None)  # queued, not made in the signing request
        run_test_worker(app, redis.url)
        pact_pdf, certificate_pdf = _stored_pdfs(app)
        assert pact_pdf.startswith("pacts/") and certificate_pdf.startswith("certificates/")
        with browser.opener.open(f"{a}/program/{program}/sertifikat.pdf", timeout=60) as response:
            assert response.headers["Content-Type"] == "application/pdf" and response.read(5) == b"%PDF-"
        assert browser.get(f"{a}/readyz")[1].count('"up"') == 2  # database and Redis
    finally:
        for process in processes:
            stop(process)
        redis.stop()
