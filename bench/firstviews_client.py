"""The first-views scenario's simulated people (client process only: no app imports). See firstviews.py."""
from __future__ import annotations

import time
from dataclasses import dataclass

from .load_client import Browser, Recorder, World, connector, each

LOGIN = "login (POST + beranda)"
FIRST_VIEW = "module first view (GET)"
DONE = "module done (POST)"


@dataclass
class Walked:
    """What the client brings back to the parent process."""

    recorder: Recorder
    people: int  #: who walked every module
    requests: int
    seconds: float


async def walk(base_url: str, world: World, concurrency: int) -> Walked:
    """Each person logs in fresh and reads modules 1..n once, in order, marking each read ("Saya sudah
    membaca"), as a person does; ``concurrency`` people at a time, the next one starting as one ends."""
    recorder = Recorder()
    pool = connector()
    program = f"/program/{world.program_id}"
    done = []
    sent = [0]

    async def person(item) -> None:
        nip, _name = item
        browser = Browser(base_url, pool, recorder)
        try:
            await browser.log_in(nip, world.password, step=LOGIN)
            sent[0] += 2
            for number in range(1, world.modules + 1):
                page = await browser.get(FIRST_VIEW, f"{program}/modul/{number}")
                if "Saya sudah membaca" not in page.text:
                    browser.fail(FIRST_VIEW, f"{nip}: module {number} shows no 'Saya sudah membaca' button")
                await browser.post(DONE, f"{program}/modul/{number}/selesai", {"csrf_token": page.token()},
                                   follow=False, expect=(302, 303))
                sent[0] += 2
            done.append(nip)
        finally:
            await browser.close()

    started = time.perf_counter()
    await each(world.people, concurrency, person)
    seconds = time.perf_counter() - started
    await pool.close()
    return Walked(recorder.plain(), len(done), sent[0], seconds)
