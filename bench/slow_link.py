"""Slow link: the first load of the login page, the home page and a module page over a 3G link.

Headless Chromium (Debian's, through Playwright) with Chrome's own network emulation
(CDP ``Network.emulateNetworkConditions``: 400 kbit/s down and up, 400 ms latency), the browser
cache cleared before each page: what a participant on a weak phone connection waits for the first
time. The app runs on a freshly migrated SQLite database with the bundled course (its module 1 has
a table) in werkzeug's threaded server in this process; at these speeds the link, not the server,
sets the time. Each page is loaded ``RUNS`` times in a new browser context; the median time to the
``load`` event (navigation timing) is reported with the bytes that crossed the link (every
response's encoded length, headers included) and the number of requests.
"""
from __future__ import annotations

import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from werkzeug.serving import make_server

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person
from netral_learn.core.i18n import local_today
from netral_learn.courses import content
from netral_learn.courses.programs import create_program
from netral_learn.extensions import db

from . import synthetic
from .harness import Database, fresh_app, note
from .table import Measurement

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: The 3G profile: 400 kbit/s each way, 400 ms round-trip latency added to every request.
KBIT_PER_S = 400
LATENCY_MS = 400
CONDITIONS = {"offline": False, "latency": LATENCY_MS, "downloadThroughput": KBIT_PER_S * 1000 / 8,
              "uploadThroughput": KBIT_PER_S * 1000 / 8}
TARGET_S = 3.0
RUNS = 3
PASSWORD = "Kuat#Sandi-2026"
PHONE = {"width": 360, "height": 740}


def _seed() -> tuple[str, int]:
    """One participant and the bundled course in an open program; returns (NIP, program id)."""
    instansi = synthetic.create_instansi(synthetic.opd_names(1))
    nip = synthetic.identifier(0)[1]
    db.session.add(Person(nip=nip, name="Peserta Jaringan Lambat", jenis=Jenis.PNS, unit_id=instansi.id,
                          password_hash=passwords.hash_password(PASSWORD), must_change_password=False))
    results, _ = content.load_bundled()
    today = local_today()
    program = create_program(None, instansi, title="Sosialisasi Netralitas ASN (jaringan lambat)",
                             version=results[0].version, starts_on=today - timedelta(days=1),
                             ends_on=today + timedelta(days=30), targets=[instansi], jenis=set(Jenis), published=True)
    db.session.commit()
    return nip, program.id


@contextmanager
def _served(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="slow-link-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _first_load(browser, base: str, path: str, nip: str | None) -> tuple[float, int, int]:
    """(seconds to the load event, bytes over the link, requests) of ``path`` with an empty cache;
    logged in first (over the fast link) when ``nip`` is given."""
    context = browser.new_context(base_url=base, locale="id-ID", viewport=PHONE)
    try:
        page = context.new_page()
        if nip:
            page.goto("/masuk")
            page.fill("#nip", nip)
            page.fill("#password", PASSWORD)
            page.get_by_role("button", name="Masuk", exact=True).click()
            page.wait_for_url(lambda url: not url.split("?")[0].endswith("/masuk"))
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.emulateNetworkConditions", CONDITIONS)
        sizes: list[int] = []
        cdp.on("Network.loadingFinished", lambda event: sizes.append(int(event["encodedDataLength"])))
        response = page.goto(path, wait_until="load", timeout=60_000)
        if response is None or response.status != 200:
            raise RuntimeError(f"slow link: {path} answered {response and response.status}")
        page.wait_for_timeout(200)  # the last loadingFinished events arrive just after 'load'
        load_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        return load_ms / 1000, sum(sizes), len(sizes)
    finally:
        context.close()


def run(databases: list[Database]) -> list[Measurement]:
    from playwright.sync_api import sync_playwright

    database = databases[0]  # the link dominates; one database is enough
    measurements = []
    with fresh_app(database) as app:
        with app.app_context():
            nip, program_id = _seed()
        pages = [("login page", "/masuk", None), ("home page (beranda)", "/", nip),
                 ("module page (module 1, with a table)", f"/program/{program_id}/modul/1", nip)]
        with _served(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for label, path, who in pages:
                    note(f"slow link: {label}, {RUNS} first loads at {KBIT_PER_S} kbit/s, {LATENCY_MS} ms")
                    runs = [_first_load(browser, base, path, who) for _ in range(RUNS)]
                    seconds = statistics.median(r[0] for r in runs)
                    size, requests = runs[0][1], runs[0][2]
                    measurements.append(Measurement(
                        f"3G first load: {label}", database.label, f"{seconds:.2f} s",
                        f"{size / 1024:.1f} KB in {requests} requests; median of {RUNS}; "
                        f"{KBIT_PER_S} kbit/s, {LATENCY_MS} ms, cache empty",
                        f"< {TARGET_S:g} s", seconds < TARGET_S))
            finally:
                browser.close()
    return measurements
