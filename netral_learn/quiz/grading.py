"""Question types and scoring, as pure code (no database): a registry, one class per type.

Each type knows how an authored question must look (options and key), how to validate a
selection and how much credit (0–1) it earns. A new type touches this file only.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask_babel import lazy_gettext as _l


class InvalidSelection(ValueError):
    """A selection that this question type cannot accept (wrong count or unknown option)."""


class QuestionKind:
    name = ""
    label = ""
    #: Words accepted for this type in an imported spreadsheet (lower case), besides ``name``.
    words: tuple[str, ...] = ()

    def check_key(self, options: Sequence[str], correct: Sequence[bool]) -> list[tuple[str, object]]:
        """Problems of an authored question as (field, message); field is 'options' or 'correct'."""
        if len(options) < 2:
            return [("options", _l("Isi paling sedikit dua pilihan jawaban."))]
        return []

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
    label = _l("Pilihan tunggal")
    words = ("pilihan tunggal", "pilihan ganda", "pg")

    def check_key(self, options, correct):
        problems = super().check_key(options, correct)
        if sum(map(bool, correct)) != 1:
            problems.append(("correct", _l("Soal %(type)s harus memiliki tepat satu jawaban benar.",
                                           type=self.label.lower())))
        return problems

    def clean(self, selected, option_ids):
        chosen = super().clean(selected, option_ids)
        if len(chosen) > 1:
            raise InvalidSelection("one option only")
        return chosen

    def credit(self, selected, correct, option_ids):
        return 1.0 if set(selected) == set(correct) and len(set(selected)) == 1 else 0.0


class TrueFalse(SingleChoice):
    name = "true_false"
    label = _l("Benar/Salah")
    words = ("benar/salah", "benar salah", "b/s", "true/false")
    OPTIONS = ("Benar", "Salah")

    def check_key(self, options, correct):
        problems = super().check_key(options, correct)
        if tuple(options) != self.OPTIONS:
            problems.insert(0, ("options", _l("Pilihan soal benar/salah harus tepat \u201cBenar\u201d lalu "
                                              "\u201cSalah\u201d.")))
        return problems


class MultipleAnswer(QuestionKind):
    """Partial credit: each correct pick earns its share, each wrong pick costs its share.

    credit = max(0, hits / |correct| − false picks / |incorrect|). Exactly the right set earns 1;
    ticking every option earns 0; nothing ticked earns 0.
    """

    name = "multiple"
    label = _l("Jawaban ganda")
    words = ("jawaban ganda", "pilihan ganda kompleks", "pgk")

    def check_key(self, options, correct):
        problems = super().check_key(options, correct)
        right = sum(map(bool, correct))
        if right < 2:
            problems.append(("correct", _l("Soal jawaban ganda harus memiliki paling sedikit dua jawaban benar.")))
        elif right == len(options):
            problems.append(("correct", _l("Sisakan paling sedikit satu pilihan yang salah; bila semua benar, "
                                           "mencentang semuanya selalu mendapat nilai penuh.")))
        return problems

    def credit(self, selected, correct, option_ids):
        chosen, right = set(selected), set(correct)
        wrong = set(option_ids) - right
        hits = len(chosen & right) / len(right) if right else 0.0
        penalty = len(chosen & wrong) / len(wrong) if wrong else 0.0
        return round(max(0.0, hits - penalty), 3)


KINDS: dict[str, QuestionKind] = {k.name: k for k in (SingleChoice(), MultipleAnswer(), TrueFalse())}


def kind_of(name: str) -> QuestionKind:
    return KINDS[str(name)]


def kind_named(word: str) -> QuestionKind | None:
    """The type a spreadsheet cell names (its code or one of its words, any case), or None."""
    word = " ".join(str(word or "").lower().replace("_", " ").split())
    for kind in KINDS.values():
        if word in (kind.name.replace("_", " "), *kind.words):
            return kind
    return None


def score_percent(credits: Sequence[float]) -> float:
    """Attempt score 0–100 from per-question credits (each question weighs the same)."""
    if not credits:
        return 0.0
    return round(100 * sum(credits) / len(credits), 2)


def passed(score: float, pass_mark: int) -> bool:
    return score >= pass_mark
