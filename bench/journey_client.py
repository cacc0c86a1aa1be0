"""The journey scenario's simulated people (client process only: no app imports). See journey.py."""
from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass

from .load_client import Browser, QuizPage, Recorder, World, answer_quiz, connector, each, shuffled, submit_quiz

_AGREE = re.compile(r'name="agree" value="(\d+)"')


@dataclass
class Outcome:
    """What the client brings back to the parent process."""

    recorder: Recorder
    completed: int
    seconds: float  #: first arrival → last certificate


async def drive(base_url: str, world: World, concurrency: int) -> Outcome:
    """Every person through the whole journey, ``concurrency`` at a time, arriving as a stream."""
    recorder = Recorder()
    pool = connector()
    program = f"/program/{world.program_id}"
    last = world.modules
    completed = []

    async def journey(person) -> None:
        index, (nip, name) = person
        browser = Browser(base_url, pool, recorder)
        try:
            await browser.log_in(nip, world.password)
            module = await browser.get("module page (last)", f"{program}/modul/{last}")
            await browser.post("module done (POST + program page)", f"{program}/modul/{last}/selesai",
                               {"csrf_token": module.token()})
            overview = await browser.get("quiz overview page", f"{program}/kuis")
            quiz = QuizPage.parse(await browser.post("quiz start (POST + first question)", f"{program}/kuis/mulai",
                                                     {"csrf_token": overview.token()}))
            answers = await answer_quiz(browser, quiz, world.correct_options, random.Random(index), 1.0, 0)
            result = await submit_quiz(browser, quiz, answers)
            if "lulus" not in result.text:
                browser.fail("quiz result page", f"{nip} did not pass with the right answers")
            pact = await browser.get("pact page", f"{program}/pakta")
            signed = await browser.post("pact sign (POST + signed page)", f"{program}/pakta", [
                ("csrf_token", pact.token()), ("typed_name", name), ("password", world.password),
                *(("agree", value) for value in _AGREE.findall(pact.text))])
            if "berhasil ditandatangani" not in signed.text:
                browser.fail("pact sign (POST + signed page)", f"{nip}: the pact page does not say it was signed")
            pdf = await browser.get("certificate PDF (first download)", f"{program}/sertifikat.pdf", binary=True)
            if not pdf.text.startswith("%PDF-"):
                browser.fail("certificate PDF (first download)", f"{nip}: the certificate is not a PDF")
            completed.append(time.perf_counter())
        finally:
            await browser.close()

    started = time.perf_counter()
    await each(shuffled(enumerate(world.people), 8), concurrency, journey)
    await pool.close()
    return Outcome(recorder.plain(), len(completed), (max(completed) if completed else started) - started)
