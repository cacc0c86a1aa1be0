"""Drawing an attempt's questions and shuffling their options (pure, seeded by the caller)."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l


class NotEnoughQuestions(ValueError):
    """The bank cannot supply what the settings ask for."""


def tag_quotas(bank: Mapping[str, Sequence[int]], per_tag: Mapping[str, int], min_per_tag: int = 0) -> dict[str, int]:
    """How many questions each tag must give: its own number, and at least ``min_per_tag`` from every
    named tag (module) of the bank, or all it has when it has fewer."""
    quotas = {tag: wanted for tag, wanted in per_tag.items() if wanted}
    if min_per_tag > 0:
        for tag, ids in bank.items():
            if tag and ids:
                quotas[tag] = max(quotas.get(tag, 0), min(min_per_tag, len(ids)))
    return quotas


def draw_questions(bank: Mapping[str, Sequence[int]], count: int, per_tag: Mapping[str, int],
                   rng: random.Random, min_per_tag: int = 0) -> list[int]:
    """Pick each tag's quota (``per_tag``, at least ``min_per_tag`` per module), then fill up to
    ``count`` from all the remaining questions; no question twice; result in random order."""
    quotas = tag_quotas(bank, per_tag, min_per_tag)
    if sum(quotas.values()) > count:
        raise NotEnoughQuestions("the per-tag numbers add up to more than the question count")
    chosen: list[int] = []
    for tag, wanted in sorted(quotas.items()):
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


def shortfalls(bank: Mapping[str, Sequence[int]], count: int, per_tag: Mapping[str, int],
               min_per_tag: int = 0) -> list[tuple[str, object]]:
    """Why the bank cannot supply this draw, as (setting, message) pairs; empty when it can."""
    problems: list[tuple[str, object]] = []
    wanted_by_tag = sum(per_tag.values())
    with_minimum = sum(tag_quotas(bank, per_tag, min_per_tag).values())
    if wanted_by_tag > count:
        problems.append(("per_tag", _l("Jumlah soal per tag (%(sum)d) melebihi jumlah soal kuis (%(n)d).",
                                       sum=wanted_by_tag, n=count)))
    elif with_minimum > count:
        modules = sum(1 for tag, ids in bank.items() if tag and ids)
        problems.append(("min_per_tag", _l(
            "Minimal %(min)d soal dari tiap modul (%(modules)d modul) memerlukan %(sum)d soal, lebih dari "
            "jumlah soal kuis (%(n)d). Naikkan jumlah soal atau turunkan minimumnya.",
            min=min_per_tag, modules=modules, sum=with_minimum, n=count)))
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
