"""Drawing an attempt's questions and shuffling their options (pure, seeded by the caller)."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l


class NotEnoughQuestions(ValueError):
    """The bank cannot supply what the settings ask for."""


def draw_questions(bank: Mapping[str, Sequence[int]], count: int, per_tag: Mapping[str, int],
                   rng: random.Random) -> list[int]:
    """Pick ``per_tag[tag]`` questions from each named tag, then fill up to ``count`` from all
    the remaining questions; no question twice; result in random order."""
    if sum(per_tag.values()) > count:
        raise NotEnoughQuestions("the per-tag numbers add up to more than the question count")
    chosen: list[int] = []
    for tag, wanted in sorted(per_tag.items()):
        pool = list(bank.get(tag, ()))
        if wanted > len(pool):
            raise NotEnoughQuestions(f"tag {tag!r} has {len(pool)} questions, {wanted} wanted")
        chosen.extend(rng.sample(pool, wanted))
    taken = set(chosen)
    rest = sorted({q for ids in bank.values() for q in ids} - taken)
    missing = count - len(chosen)
    if missing > len(rest):
        raise NotEnoughQuestions(f"bank has {len(rest) + len(chosen)} questions, {count} wanted")
    if missing > 0:
        chosen.extend(rng.sample(rest, missing))
    rng.shuffle(chosen)
    return chosen


def shortfalls(bank: Mapping[str, Sequence[int]], count: int, per_tag: Mapping[str, int]) -> list[tuple[str, object]]:
    """Why the bank cannot supply this draw, as (setting, message) pairs; empty when it can."""
    problems: list[tuple[str, object]] = []
    wanted_by_tag = sum(per_tag.values())
    if wanted_by_tag > count:
        problems.append(("per_tag", _l("Jumlah soal per tag (%(sum)d) melebihi jumlah soal kuis (%(n)d).",
                                       sum=wanted_by_tag, n=count)))
    for tag, wanted in sorted(per_tag.items()):
        have = len(bank.get(tag, ()))
        if wanted > have:
            problems.append(("per_tag", _l("Tag \u201c%(tag)s\u201d hanya memiliki %(have)d soal aktif; diminta %(want)d.",
                                           tag=tag or "-", have=have, want=wanted)))
    total = len({q for ids in bank.values() for q in ids})
    if count > total:
        problems.append(("question_count", _l("Bank soal hanya berisi %(have)d soal aktif; kuis meminta %(want)d.",
                                              have=total, want=count)))
    return problems


def shuffled_options(option_ids: Sequence[int], question_type: str, rng: random.Random) -> list[int]:
    """Options in a fresh order per attempt; true/false keeps 'Benar, Salah'."""
    order = list(option_ids)
    if question_type != "true_false":
        rng.shuffle(order)
    return order
