"""Browser tests: the real app on a live server, driven by headless Chromium (Playwright).

The live server runs its own app (built by ``tests.conftest.make_app``) on its own SQLite file,
migrated and seeded with the demo regency, with CSRF on: a real browser posts real forms.
Chromium is the Debian package at /usr/bin/chromium; no browser is ever downloaded.

Every page a test visits must pass :func:`assert_accessible` (axe-core, no serious or critical
violation). The ``new_page`` fixture enforces it: a page that finished loading but was never
checked fails the test at teardown.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..conftest import make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BLOCKING_IMPACTS = ("serious", "critical")
#: Generous waits: a busy CI machine (PDF rendering, argon2) must not make a passing test flaky.
TIMEOUT_MS = 15_000

DEMO_ADMIN = ("197805122003122002", "Admin#Netral2026")
DEMO_PARTICIPANT = ("199204102019032011", "Peserta#Netral2026")

#: Set to a folder to keep a screenshot of every page checked by ``assert_accessible``.
SCREENSHOT_DIR = os.environ.get("NETRAL_SCREENSHOTS")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so fixtures know whether the test itself failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"_netral_{report.when}_report", report)


def pytest_collection_modifyitems(items):
    """Everything in this folder is a browser test, marked or not."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(tmp_root):
    """Base URL of the app served by werkzeug on 127.0.0.1 and a free port, in a thread."""
    from flask_migrate import upgrade

    from netral_learn.demo.cli import seed_demo
    from netral_learn.extensions import db

    folder = tmp_root / "browser"
    folder.mkdir(exist_ok=True)
    app = make_app(
        tmp_root,
        env={"DATABASE_URL": f"sqlite:///{folder / 'live.db'}", "STORAGE_DIR": str(folder / "storage")},
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="package")
def chromium():
    """Headless Chromium for the tests of this folder.

    Package-scoped on purpose: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, and later tests that call ``asyncio.run`` (PDF signing) would fail.
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class _Visits:
    """The documents a page loaded, and those checked by axe."""

    def __init__(self):
        self.loaded: list[str] = []
        self.checked: set[str] = set()

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.loaded) if url not in self.checked]


_VISITS_KEY = "_netral_visits"
_NO_SCRIPT_KEY = "_netral_no_script"
_COPY_CONTEXT_KEY = "_netral_copy_context"


@pytest.fixture
def new_page(chromium, live_server, request):
    """Open a page in a fresh browser context: ``new_page(viewport=..., java_script_enabled=...)``.

    The context speaks Indonesian (as the app does by default) and knows the live server's
    base URL, so ``page.goto("/masuk")`` works.
    """
    contexts = []
    pages = []

    def _open(**context_options):
        options = {"base_url": live_server, "locale": "id-ID", "viewport": {"width": 1280, "height": 800},
                   **context_options}
        context = chromium.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        setattr(page, _NO_SCRIPT_KEY, options.get("java_script_enabled") is False)
        visits = _Visits()
        setattr(page, _VISITS_KEY, visits)
        page.on("load", lambda p: visits.loaded.append(_document_url(p.url)))
        pages.append(page)
        return page

    yield _open
    unchecked = []
    for page in pages:
        try:
            page.wait_for_load_state("load", timeout=2_000)
        except Exception:  # noqa: BLE001 - a page closed or still navigating has nothing more to check
            pass
        unchecked += getattr(page, _VISITS_KEY).unchecked()
    for context in contexts:
        context.close()
    call = getattr(request.node, "_netral_call_report", None)
    if call is not None and call.passed:  # a failed test already says what went wrong
        assert not unchecked, f"pages visited without assert_accessible(page): {unchecked}"


@pytest.fixture
def page(new_page):
    """A desktop-sized page (1280×800), Indonesian."""
    return new_page()


def _document_url(url: str) -> str:
    return url.split("#", 1)[0]


def assert_accessible(page, name: str | None = None) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation.

    ``name`` (optional) also saves a full-page screenshot as ``<NETRAL_SCREENSHOTS>/<name>.png``.
    """
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    if getattr(page, _NO_SCRIPT_KEY, False):
        results = _run_axe_on_copy(page)
    else:
        results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    visits = getattr(page, _VISITS_KEY, None)
    if visits is not None:
        visits.checked.add(_document_url(page.url))
    if SCREENSHOT_DIR and name:
        folder = Path(SCREENSHOT_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    if blocking:
        lines = [f"{len(blocking)} serious/critical accessibility violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
            for node in violation["nodes"][:10]:
                lines.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}")
        pytest.fail("\n".join(lines), pytrace=False)


def _run_axe_on_copy(page):
    """axe for a page whose context has JavaScript off (axe needs timers, which never fire there).

    The page's current DOM is served again, at the same URL and viewport, to a scripted context
    whose policy blocks the page's own scripts: what is checked is what the script-less browser shows.
    """
    from axe_playwright_python.sync_playwright import Axe

    url, html = page.url, page.content()
    browser = page.context.browser
    context = getattr(browser, _COPY_CONTEXT_KEY, None)
    if context is None:  # one for the session: a page in it is much cheaper than a new context
        context = browser.new_context()
        setattr(browser, _COPY_CONTEXT_KEY, context)
    copy = context.new_page()
    try:
        copy.set_default_timeout(TIMEOUT_MS)
        copy.set_viewport_size(page.viewport_size)
        copy.route(lambda candidate: _document_url(candidate) == _document_url(url),
                   lambda route: route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8",
                                               headers={"Content-Security-Policy": "script-src 'none'"}))
        copy.goto(url)
        return Axe().run(copy)
    finally:
        copy.close()


def assert_no_horizontal_scroll(page, width: int) -> None:
    """The page body fits the viewport: wide content (tables) must scroll inside its own box."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways at {width}px: scrollWidth={scroll_width}"


def log_in(page, nip: str, password: str) -> None:
    """Log in through the form (the login page is checked with axe); the caller checks where it lands."""
    page.goto("/masuk")
    assert_accessible(page)
    page.get_by_label("NIP / ID Pegawai").fill(nip)
    page.get_by_label("Kata sandi", exact=True).fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: not url.split("?")[0].endswith("/masuk"))
