"""Question types and scoring, as pure code (no database): a registry, one class per type.

Each type knows how to validate a selection and how much credit (0–1) it earns. A new type
touches this file only.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence


class InvalidSelection(ValueError):
    """A selection that this question type cannot accept (wrong count or unknown option)."""


class QuestionKind:
    name = ""

    def clean(self, selected: Iterable[int], option_ids: Sequence[int]) -> list[int]:
        """Deduplicated selection in option order; unknown ids refused."""
        chosen = set(selected)
        if not chosen <= set(option_ids):
            raise InvalidSelection("unknown option")
        return [o for o in option_ids if o in chosen]

    def credit(self, selected: Iterable[int], correct: Iterable[int], option_ids: Sequence[int]) -> float:
        raise NotImplementedError


class SingleChoice(QuestionKind):
    name = "single"

    def clean(self, selected, option_ids):
        chosen = super().clean(selected, option_ids)
        if len(chosen) > 1:
            raise InvalidSelection("one option only")
        return chosen

    def credit(self, selected, correct, option_ids):
        return 1.0 if set(selected) == set(correct) and len(set(selected)) == 1 else 0.0


class TrueFalse(SingleChoice):
    name = "true_false"


class MultipleAnswer(QuestionKind):
    """Partial credit: each correct pick earns its share, each wrong pick costs its share.

    credit = max(0, hits / |correct| − false picks / |incorrect|). Exactly the right set earns 1;
    ticking every option earns 0; nothing ticked earns 0.
    """

    name = "multiple"

    def credit(self, selected, correct, option_ids):
        chosen, right = set(selected), set(correct)
        wrong = set(option_ids) - right
        hits = len(chosen & right) / len(right) if right else 0.0
        penalty = len(chosen & wrong) / len(wrong) if wrong else 0.0
        return round(max(0.0, hits - penalty), 3)


KINDS: dict[str, QuestionKind] = {k.name: k for k in (SingleChoice(), MultipleAnswer(), TrueFalse())}


def kind_of(name: str) -> QuestionKind:
    return KINDS[str(name)]


def score_percent(credits: Sequence[float]) -> float:
    """Attempt score 0–100 from per-question credits (each question weighs the same)."""
    if not credits:
        return 0.0
    return round(100 * sum(credits) / len(credits), 2)


def passed(score: float, pass_mark: int) -> bool:
    return score >= pass_mark
