"""The load client: simulated people as cookie-keeping aiohttp browsers, and what they measured.

Imports nothing of the app, so the client process stays small; it runs in its own process,
beside gunicorn, on the same cores (the figures say so).
"""
from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

PASSWORD = "Kuat#Sandi-2026"  #: every simulated person's password
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NUMBER = re.compile(r"/\d+")
#: Error messages kept per step (the count is always complete).
KEEP_ERRORS = 5


def note(message: str) -> None:
    """Progress on stderr, as harness.note (which the client process does not import) writes it."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def shuffled(items, seed: int) -> list:
    """A reproducible order (people do not arrive in NIP order)."""
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


def route_key(method: str, path: str) -> str:
    """'POST /program/3/kuis/17/kirim' → 'POST /program/<id>/kuis/<id>/kirim' (matches the access log)."""
    return f"{method} {_NUMBER.sub('/<id>', path.split('?')[0])}"


@dataclass(frozen=True)
class World:
    """What the simulated people know: where the program is, who they are, the right answers."""

    program_id: int
    people: tuple[tuple[str, str], ...]  #: (NIP, full name) per person
    correct_options: frozenset[int]
    modules: int
    password: str = PASSWORD


class StepFailed(Exception):
    """A page did not come back as a browser user would expect."""


@dataclass
class Recorder:
    """Latencies (seconds) and errors per step, plus the route each step starts with."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    messages: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    routes: dict[str, str] = field(default_factory=dict)

    def failed(self, step: str, message: str) -> None:
        self.errors[step] += 1
        if len(self.messages[step]) < KEEP_ERRORS:
            self.messages[step].append(message[:300])

    def plain(self) -> Recorder:
        """A copy without defaultdicts of lambdas, so it pickles back to the parent process."""
        return Recorder(dict(self.latencies), dict(self.errors), dict(self.messages), dict(self.routes))


@dataclass
class Page:
    status: int
    path: str
    text: str
    headers: dict

    def token(self) -> str:
        token = csrf_token(self.text)
        if token is None:
            raise StepFailed(f"no CSRF token on {self.path}")
        return token


def csrf_token(html: str) -> str | None:
    """The CSRF token of a page's form, as a browser would send it."""
    found = _TOKEN.search(html)
    return found.group(1) if found else None


class Browser:
    """One simulated person: own cookie jar, shared connection pool, every request timed as a step."""

    def __init__(self, base_url: str, connector: aiohttp.BaseConnector, recorder: Recorder):
        self.recorder = recorder
        self.session = aiohttp.ClientSession(
            base_url=base_url, connector=connector, connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for an IP address host
            timeout=aiohttp.ClientTimeout(total=300))

    async def close(self) -> None:
        await self.session.close()

    async def request(self, step: str | None, method: str, path: str, *, data=None, follow: bool = True,
                      expect: tuple[int, ...] = (200,), headers: dict | None = None, binary: bool = False) -> Page:
        """Send one request (following redirects like a browser unless told not to) and time it.

        Raises StepFailed after recording the error, so a person stops at the first failed step.
        """
        if step is not None:
            self.recorder.routes.setdefault(step, route_key(method, path))
        started = time.perf_counter()
        for retry in (True, False):
            try:
                page = await self._send(method, path, data, follow, headers, binary)
                break
            except aiohttp.ServerDisconnectedError as error:
                # A kept-alive connection the server closed as the request went out (gunicorn
                # recycling a worker after max_requests): browsers send the request again once.
                if not retry:
                    return self.fail(step, f"{method} {path}: {type(error).__name__} {error}")
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                return self.fail(step, f"{method} {path}: {type(error).__name__} {error}")
        elapsed = time.perf_counter() - started
        if page.status not in expect:
            return self.fail(step, f"{method} {path}: HTTP {page.status} (wanted {expect}) at {page.path}")
        if step is not None:
            self.recorder.latencies[step].append(elapsed)
        return page

    async def _send(self, method: str, path: str, data, follow: bool, headers: dict | None, binary: bool) -> Page:
        async with self.session.request(method, path, data=data, allow_redirects=follow, headers=headers) as response:
            body = await response.read()
            page = Page(response.status, response.url.path, "" if binary else body.decode("utf-8", "replace"),
                        dict(response.headers))
            if binary:
                page.text = body[:8].decode("latin-1")
            return page

    def fail(self, step: str | None, message: str):
        """Record an unexpected page for ``step`` and stop this person (raises StepFailed)."""
        self.recorder.failed(step or "untimed", message)
        raise StepFailed(message)

    async def get(self, step: str | None, path: str, **kwargs) -> Page:
        return await self.request(step, "GET", path, **kwargs)

    async def post(self, step: str | None, path: str, data, **kwargs) -> Page:
        return await self.request(step, "POST", path, data=data, **kwargs)

    async def log_in(self, nip: str, password: str, step: str | None = "login (POST + beranda)") -> Page:
        """Open the login form, post NIP and password with its token, land on the beranda."""
        form = await self.get(None, "/masuk")
        page = await self.post(step, "/masuk", {"nip": nip, "password": password, "csrf_token": form.token()})
        if page.path != "/":
            self.fail(step, f"login of {nip} ended on {page.path}, not the beranda")
        return page


def run_coroutine(factory, args):
    """Run the client coroutine here (the client process); returns (result, CPU seconds used)."""
    started = time.process_time()
    result = asyncio.run(factory(*args))
    return result, time.process_time() - started


def connector() -> aiohttp.TCPConnector:
    """One pool for every simulated person: keep-alive like browsers, no artificial cap.

    Idle connections are dropped after 4 s, before gunicorn's 5 s keep-alive closes them under a
    request about to be sent (a browser would silently retry that; this client would count an error).
    """
    return aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=4)


async def each(items, concurrency: int, work: Callable[..., Awaitable[None]]) -> None:
    """Run ``work(item)`` for every item, at most ``concurrency`` at a time (arrivals as a stream)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item):
        async with gate:
            try:
                await work(item)
            except StepFailed:
                pass  # recorded where it happened; this person stops here

    await asyncio.gather(*(one(item) for item in items))


async def throughput(base_url: str, path: str, concurrency: int, seconds: float,
                     logins: list[tuple[str, str]] | None = None, warmup: float = 2.0) -> tuple[int, int, float]:
    """Closed loop: ``concurrency`` browsers GET ``path`` back to back for ``seconds`` after a warm-up.

    Returns (successful requests, errors, wall seconds of the measured window).
    """
    recorder = Recorder()
    pool = connector()
    browsers = [Browser(base_url, pool, recorder) for _ in range(concurrency)]
    try:
        if logins:
            await asyncio.gather(*(b.log_in(nip, password, step=None)
                                   for b, (nip, password) in zip(browsers, logins, strict=True)))
        counts = {"ok": 0, "errors": 0}
        measuring = False
        stop_at = time.perf_counter() + warmup + seconds

        async def loop(browser: Browser) -> None:
            while time.perf_counter() < stop_at:
                try:
                    await browser.get(None, path)
                    if measuring:
                        counts["ok"] += 1
                except StepFailed:
                    if measuring:
                        counts["errors"] += 1

        tasks = [asyncio.create_task(loop(b)) for b in browsers]
        await asyncio.sleep(warmup)
        measuring, started = True, time.perf_counter()
        await asyncio.gather(*tasks)
        return counts["ok"], counts["errors"], time.perf_counter() - started
    finally:
        await asyncio.gather(*(b.close() for b in browsers))
        await pool.close()


# --- the quiz as a participant's browser does it -------------------------------------------

_CHOICE = re.compile(r'type="(radio|checkbox)" name="q-(\d+)" value="(\d+)"')
_ADDRESS = re.compile(r'data-address="([^"]+)"')
_SHOWN = re.compile(r'name="shown" value="(\d+)"')
_TICKED = re.compile(r'name="q-(\d+)" value="(\d+)"\s+checked')


@dataclass
class QuizPage:
    """An attempt page: where it posts, its token, and each question's options (radio or checkbox)."""

    path: str
    token: str
    shown: list[int]
    options: dict[int, list[int]]
    multiple: set[int]

    @classmethod
    def parse(cls, page: Page) -> QuizPage:
        options: dict[int, list[int]] = defaultdict(list)
        multiple = set()
        for kind, question, option in _CHOICE.findall(page.text):
            options[int(question)].append(int(option))
            if kind == "checkbox":
                multiple.add(int(question))
        shown = [int(v) for v in _SHOWN.findall(page.text)]
        if not shown or set(shown) != set(options):
            raise StepFailed(f"{page.path} is not an attempt page with questions")
        address = _ADDRESS.search(page.text)  # 'Mulai' answers with the page: quiz.js shows this address
        return cls(address.group(1) if address else page.path, page.token(), shown, dict(options), multiple)

    @staticmethod
    def ticked(page: Page) -> dict[int, list[int]]:
        """What a reloaded attempt page shows as ticked (the answers the server has stored)."""
        found: dict[int, list[int]] = defaultdict(list)
        for question, option in _TICKED.findall(page.text):
            found[int(question)].append(int(option))
        return {question: sorted(options) for question, options in found.items()}

    def choose(self, question: int, correct: frozenset[int], rng, accuracy: float) -> list[int]:
        """The options a person ticks: the right ones with probability ``accuracy``, else a wrong pick."""
        offered = self.options[question]
        right = sorted(o for o in offered if o in correct)
        if rng.random() < accuracy and right:
            return right
        wrong = [o for o in offered if o not in right] or offered
        return sorted(rng.sample(wrong, 2 if question in self.multiple and len(wrong) > 1 else 1))

    def form(self, answers: dict[int, list[int]]) -> list[tuple[str, str]]:
        """The fields the page's form (and quiz.js's FormData) sends: token, shown ids, ticked options."""
        fields = [("csrf_token", self.token)] + [("shown", str(q)) for q in self.shown]
        return fields + [(f"q-{q}", str(o)) for q, chosen in answers.items() for o in chosen]


async def answer_quiz(browser: Browser, quiz: QuizPage, correct: frozenset[int], rng, accuracy: float,
                      think: float) -> dict[int, list[int]]:
    """Tick each question in turn after ``think`` seconds (±50 %), autosaving the whole form as quiz.js does."""
    answers: dict[int, list[int]] = {}
    for question in quiz.shown:
        if think:
            await asyncio.sleep(think * (0.5 + rng.random()))
        answers[question] = quiz.choose(question, correct, rng, accuracy)
        page = await browser.post("answer save (autosave)", f"{quiz.path}/simpan", quiz.form(answers),
                                  headers={"Accept": "application/json"})
        if '"ok"' not in page.text:
            browser.fail("answer save (autosave)", f"autosave answered {page.text[:100]!r}")
    return answers


async def submit_quiz(browser: Browser, quiz: QuizPage, answers: dict[int, list[int]],
                      step: str = "quiz submit (POST)") -> Page:
    """'Kirim jawaban': the POST alone is timed as the submit (as ``step``); the browser then shows the result."""
    # quiz.js has asked about blank questions in the page and says so (kirim_tetap), as a browser would.
    sent = await browser.post(step, f"{quiz.path}/kirim", [*quiz.form(answers), ("kirim_tetap", "1")],
                              follow=False, expect=(302, 303))
    return await browser.get("quiz result page", sent.headers.get("Location", f"{quiz.path}/hasil"))
