"""The quizstart scenario's simulated people (client process only: no app imports). See quizstart.py."""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from .load_client import (
    Browser,
    QuizPage,
    Recorder,
    StepFailed,
    World,
    answer_quiz,
    connector,
    each,
    note,
    shuffled,
    submit_quiz,
)

START = "quiz start (POST + first question)"
CROWD = 200  #: the issue's "at 200 concurrent"
SUBMIT = f"quiz submit (POST), ≥ {CROWD} in the quiz"
SUBMIT_LATE = f"quiz submit (POST), < {CROWD} in the quiz"
ACCURACY = 0.8  #: share of questions a participant gets right


@dataclass(frozen=True)
class Options:
    """How many people, how they arrive, how fast they answer, how many submit at once."""

    people: int = 500
    spread: float = 2.0
    think: float = 10.0
    login_concurrency: int = 50


@dataclass
class Outcome:
    """What the client brings back to the parent process."""

    recorder: Recorder
    sent: dict[int, list[int]]  #: attempt question id → options last sent
    start_window: float  #: first 'Mulai' pressed → last first-question page received
    unsaved: int  #: answers a reload of the attempt page did not show ticked after their autosave
    in_quiz: list[int]  #: at each submit, how many people were still in the quiz (the submitter included)
    submit_window: float  #: first submit sent → last submit answered


async def drive(base_url: str, world: World, options: Options) -> Outcome:
    """Log everyone in, release the 'Mulai' presses, answer with autosave, submit when done."""
    recorder = Recorder()
    pool = connector()
    program = f"/program/{world.program_id}"
    people = list(enumerate(world.people))
    browsers = [Browser(base_url, pool, recorder) for _ in people]
    tokens: dict[int, str] = {}

    async def prepare(person) -> None:
        index, (nip, _name) = person
        await browsers[index].log_in(nip, world.password)
        tokens[index] = (await browsers[index].get("quiz overview page", f"{program}/kuis")).token()

    note(f"quizstart: {len(people)} people log in and open the quiz page ({options.login_concurrency} at a time)")
    await each(shuffled(people, 4), options.login_concurrency, prepare)
    quizzes: dict[int, tuple[QuizPage, dict[int, list[int]]]] = {}
    pressed, arrived, unsaved = [], [], []

    in_quiz, submits = [0], []

    async def start_and_answer(index: int) -> None:
        rng = random.Random(index)
        await asyncio.sleep(options.spread * rng.random())
        pressed.append(time.perf_counter())
        browser = browsers[index]
        try:
            page = await browser.post(START, f"{program}/kuis/mulai", {"csrf_token": tokens[index]})
            arrived.append(time.perf_counter())
            in_quiz[0] += 1
            quiz = QuizPage.parse(page)
            quizzes[index] = (quiz, {})
            answers = await answer_quiz(browser, quiz, world.correct_options, rng, ACCURACY, options.think)
            quizzes[index] = (quiz, answers)
            shown = QuizPage.ticked(await browser.get("attempt page reload", quiz.path))
            unsaved.append(sum(1 for question, chosen in answers.items() if shown.get(question) != chosen))
            await asyncio.sleep(options.think * (0.5 + rng.random()))  # a last look, then 'Kirim jawaban'
            submits.append((time.perf_counter(), in_quiz[0]))
            await submit_quiz(browser, quiz, answers, SUBMIT if in_quiz[0] >= CROWD else SUBMIT_LATE)
            submits.append((time.perf_counter(), None))
        except StepFailed:
            pass
        finally:
            if index in quizzes:
                in_quiz[0] -= 1

    note(f"quizstart: {len(tokens)} press 'Mulai' within {options.spread:g} s, answer ({options.think:g} s ± 50 % "
         "per question), look once more and submit")
    await asyncio.gather(*(start_and_answer(index) for index in tokens))
    await asyncio.gather(*(b.close() for b in browsers))
    await pool.close()
    sent = {question: chosen for _quiz, answers in quizzes.values() for question, chosen in answers.items()}
    window = max(arrived) - min(pressed) if arrived else 0.0
    moments = [moment for moment, _ in submits]
    return Outcome(recorder.plain(), sent, window, sum(unsaved), [n for _, n in submits if n is not None],
                   max(moments) - min(moments) if moments else 0.0)
