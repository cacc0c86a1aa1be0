"""The journey scenario's simulated people (client process only: no app imports). See journey.py."""
from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass

from .load_client import Browser, QuizPage, Recorder, StepFailed, World, answer_quiz, connector, submit_quiz

_AGREE = re.compile(r'name="agree" value="(\d+)"')


@dataclass(frozen=True)
class Pace:
    """How people arrive and how long they stay on each page (seconds, ±50 %)."""

    rate: float  #: arrivals per minute (a Poisson stream); 0: everyone at once
    page: float  #: on each page before the next step (reading, ticking the pact's clauses)
    question: float  #: on each quiz question before ticking it (each tick is autosaved)


@dataclass
class Outcome:
    """What the client brings back to the parent process."""

    recorder: Recorder
    completed: int
    seconds: float  #: first arrival → last certificate
    peak: int  #: most people on the site at the same moment


async def drive(base_url: str, world: World, pace: Pace) -> Outcome:
    """Every person through the whole journey, arriving as a stream at ``pace.rate`` per minute."""
    recorder = Recorder()
    pool = connector()
    program = f"/program/{world.program_id}"
    last = world.modules
    completed = []
    on_site = [0, 0]  # now, peak

    async def journey(index: int, nip: str, name: str, arrival: float) -> None:
        rng = random.Random(index)

        async def read() -> None:
            await asyncio.sleep(pace.page * (0.5 + rng.random()))

        await asyncio.sleep(arrival)
        on_site[0] += 1
        on_site[1] = max(on_site)
        browser = Browser(base_url, pool, recorder)
        try:
            await browser.log_in(nip, world.password)
            await read()
            module = await browser.get("module page (last)", f"{program}/modul/{last}")
            await read()
            await browser.post("module done (POST + program page)", f"{program}/modul/{last}/selesai",
                               {"csrf_token": module.token()})
            await read()
            overview = await browser.get("quiz overview page", f"{program}/kuis")
            await read()
            quiz = QuizPage.parse(await browser.post("quiz start (POST + first question)", f"{program}/kuis/mulai",
                                                     {"csrf_token": overview.token()}))
            answers = await answer_quiz(browser, quiz, world.correct_options, rng, 1.0, pace.question)
            result = await submit_quiz(browser, quiz, answers)
            if "lulus" not in result.text:
                browser.fail("quiz result page", f"{nip} did not pass with the right answers")
            await read()
            pact = await browser.get("pact page", f"{program}/pakta")
            await read()
            signed = await browser.post("pact sign (POST + signed page)", f"{program}/pakta", [
                ("csrf_token", pact.token()), ("typed_name", name), ("password", world.password),
                *(("agree", value) for value in _AGREE.findall(pact.text))])
            if "berhasil ditandatangani" not in signed.text:
                browser.fail("pact sign (POST + signed page)", f"{nip}: the pact page does not say it was signed")
            await read()
            pdf = await browser.get("certificate PDF (first download)", f"{program}/sertifikat.pdf", binary=True)
            if not pdf.text.startswith("%PDF-"):
                browser.fail("certificate PDF (first download)", f"{nip}: the certificate is not a PDF")
            completed.append(time.perf_counter())
        except StepFailed:
            pass  # recorded where it happened; this person stops here
        finally:
            on_site[0] -= 1
            await browser.close()

    arrivals = random.Random(8)
    moment, people = 0.0, []
    for index, (nip, name) in enumerate(world.people):
        people.append(journey(index, nip, name, moment))
        moment += arrivals.expovariate(pace.rate / 60) if pace.rate else 0.0
    started = time.perf_counter()
    await asyncio.gather(*people)
    await pool.close()
    return Outcome(recorder.plain(), len(completed), (max(completed) if completed else started) - started,
                   on_site[1])
