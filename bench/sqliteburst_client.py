"""The sqliteburst scenario's simulated people (client process only: no app imports). See sqliteburst.py."""
from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass

from .load_client import Browser, QuizPage, Recorder, StepFailed, World, answer_quiz, connector, each, note, submit_quiz

SIGN = "pact sign (POST + signed page)"
SUBMIT = "quiz submit (POST)"
BROWSE = "beranda during the burst (GET /)"
_AGREE = re.compile(r'name="agree" value="(\d+)"')


@dataclass
class Outcome:
    recorder: Recorder
    burst_seconds: float  #: first POST of the burst sent → last answered
    signed: int
    submitted: int


async def drive(base_url: str, world: World, signers: int, submitters: int, browsers_during: int) -> Outcome:
    """Bring ``signers`` people to the pact page and ``submitters`` to a fully answered quiz (not
    timed), then release every signature and every submit at the same moment while
    ``browsers_during`` other people keep reloading their beranda."""
    recorder = Recorder()
    pool = connector()
    program = f"/program/{world.program_id}"
    people = list(world.people)
    signing, submitting = people[:signers], people[signers:signers + submitters]
    browsing = people[signers + submitters:signers + submitters + browsers_during]
    ready_to_sign: list[tuple[Browser, str, list[tuple[str, str]]]] = []
    ready_to_submit: list[tuple[Browser, QuizPage, dict]] = []
    browsing_browsers: list[Browser] = []

    async def quiz_answered(browser: Browser, seed: int) -> tuple[QuizPage, dict]:
        overview = await browser.get(None, f"{program}/kuis")
        quiz = QuizPage.parse(await browser.post(None, f"{program}/kuis/mulai", {"csrf_token": overview.token()}))
        answers = await answer_quiz(browser, quiz, world.correct_options, random.Random(seed), 1.0, 0)
        return quiz, answers

    async def prepare_signer(item) -> None:
        index, (nip, name) = item
        browser = Browser(base_url, pool, recorder)
        await browser.log_in(nip, world.password, step=None)
        quiz, answers = await quiz_answered(browser, index)
        result = await submit_quiz(browser, quiz, answers, step="preparation: quiz submit")
        if "lulus" not in result.text:
            browser.fail(None, f"{nip} did not pass with the right answers")
        pact = await browser.get(None, f"{program}/pakta")
        ready_to_sign.append((browser, name, [("csrf_token", pact.token()), ("typed_name", name),
                                              ("password", world.password),
                                              *(("agree", v) for v in _AGREE.findall(pact.text))]))

    async def prepare_submitter(item) -> None:
        index, (nip, _name) = item
        browser = Browser(base_url, pool, recorder)
        await browser.log_in(nip, world.password, step=None)
        quiz, answers = await quiz_answered(browser, 1000 + index)
        ready_to_submit.append((browser, quiz, answers))

    async def prepare_browser(item) -> None:
        _index, (nip, _name) = item
        browser = Browser(base_url, pool, recorder)
        await browser.log_in(nip, world.password, step=None)
        browsing_browsers.append(browser)

    note(f"preparing {len(signing)} signers, {len(submitting)} submitters, {len(browsing)} browsing (not timed)")
    await each(list(enumerate(signing)), 10, prepare_signer)
    await each(list(enumerate(submitting)), 10, prepare_submitter)
    await each(list(enumerate(browsing)), 10, prepare_browser)
    outcome = {"signed": 0, "submitted": 0}
    release = asyncio.Event()
    done = asyncio.Event()

    async def sign(browser: Browser, _name: str, form) -> None:
        await release.wait()
        try:
            page = await browser.post(SIGN, f"{program}/pakta", form)
            if "berhasil ditandatangani" not in page.text:
                browser.fail(SIGN, "the pact page does not say it was signed")
            outcome["signed"] += 1
        except StepFailed:
            pass

    async def submit(browser: Browser, quiz: QuizPage, answers: dict) -> None:
        await release.wait()
        try:
            await submit_quiz(browser, quiz, answers, step=SUBMIT)
            outcome["submitted"] += 1
        except StepFailed:
            pass

    async def browse(browser: Browser) -> None:
        await release.wait()
        while not done.is_set():
            try:
                await browser.get(BROWSE, "/")
            except StepFailed:
                pass
            await asyncio.sleep(0.5)

    note(f"releasing {len(ready_to_sign)} signatures and {len(ready_to_submit)} submits at once")
    tasks = [asyncio.create_task(sign(*item)) for item in ready_to_sign]
    tasks += [asyncio.create_task(submit(*item)) for item in ready_to_submit]
    readers = [asyncio.create_task(browse(b)) for b in browsing_browsers]
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    release.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    done.set()
    await asyncio.gather(*readers)
    everyone = [b for b, *_ in ready_to_sign] + [b for b, *_ in ready_to_submit] + browsing_browsers
    await asyncio.gather(*(b.close() for b in everyone))
    await pool.close()
    return Outcome(recorder.plain(), elapsed, outcome["signed"], outcome["submitted"])
