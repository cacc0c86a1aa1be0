"""Scoring and drawing rules, property-tested (no database)."""
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netral_learn.quiz import grading
from netral_learn.quiz.draw import NotEnoughQuestions, draw_questions, shortfalls, shuffled_options

MULTIPLE = grading.KINDS["multiple"]


@st.composite
def multiple_question(draw):
    options = list(range(1, draw(st.integers(2, 7)) + 1))
    correct = draw(st.sets(st.sampled_from(options), min_size=1, max_size=len(options)))
    selected = draw(st.sets(st.sampled_from(options)))
    return options, sorted(correct), sorted(selected)


@given(multiple_question())
def test_multiple_answer_credit_is_between_zero_and_one(case):
    """Is partial credit always within 0..1, and 1 exactly for the right set?"""
    options, correct, selected = case
    credit = MULTIPLE.credit(selected, correct, options)
    assert 0 <= credit <= 1
    assert (credit == 1) == (set(selected) == set(correct))


@given(multiple_question())
def test_ticking_everything_or_nothing_earns_nothing(case):
    """Can a guesser get credit by ticking every box (when some are wrong) or none?"""
    options, correct, _ = case
    assert MULTIPLE.credit([], correct, options) == 0
    if set(correct) != set(options):
        assert MULTIPLE.credit(options, correct, options) == 0


@given(multiple_question(), st.data())
def test_adding_a_correct_pick_never_lowers_credit(case, data):
    """Is the credit monotonic in correct picks?"""
    options, correct, selected = case
    missing = sorted(set(correct) - set(selected))
    if missing:
        extra = data.draw(st.sampled_from(missing))
        assert MULTIPLE.credit(selected + [extra], correct, options) >= MULTIPLE.credit(selected, correct, options)


def test_single_choice_and_validation():
    """Does single choice give all or nothing, and refuse two picks or unknown options?"""
    single = grading.KINDS["single"]
    assert single.credit([2], [2], [1, 2, 3]) == 1 and single.credit([1], [2], [1, 2, 3]) == 0
    with pytest.raises(grading.InvalidSelection):
        single.clean([1, 2], [1, 2, 3])
    with pytest.raises(grading.InvalidSelection):
        MULTIPLE.clean([9], [1, 2, 3])


def test_score_and_pass():
    """Is the score the mean credit in percent, and a pass at or above the mark?"""
    assert grading.score_percent([1, 0, 0.5, 1]) == 62.5
    assert grading.passed(70, 70) and not grading.passed(69.99, 70)


@given(bank_sizes=st.lists(st.integers(0, 8), min_size=1, max_size=4), count=st.integers(1, 20),
       seed=st.integers(0, 10_000), data=st.data())
def test_draw_respects_count_tags_and_uniqueness(bank_sizes, count, seed, data):
    """Does a draw give exactly N distinct questions, with at least the per-tag numbers asked?"""
    bank, next_id = {}, 1
    for index, size in enumerate(bank_sizes):
        bank[f"t{index}"] = list(range(next_id, next_id + size))
        next_id += size
    per_tag = {tag: data.draw(st.integers(0, len(ids))) for tag, ids in bank.items()}
    total = next_id - 1
    try:
        chosen = draw_questions(bank, count, per_tag, random.Random(seed))
    except NotEnoughQuestions:
        assert count > total or sum(per_tag.values()) > count
        return
    assert len(chosen) == count == len(set(chosen))
    for tag, wanted in per_tag.items():
        assert len(set(chosen) & set(bank[tag])) >= wanted


@given(bank_sizes=st.lists(st.integers(0, 8), min_size=1, max_size=8), count=st.integers(1, 25),
       minimum=st.integers(0, 3), untagged=st.integers(0, 5), seed=st.integers(0, 10_000), data=st.data())
def test_draw_takes_the_per_module_minimum_from_every_module(bank_sizes, count, minimum, untagged, seed, data):
    """Does every module with questions give at least the minimum (or all it has), on top of the
    per-tag numbers, and is a draw refused only when the quotas or the count cannot be met?"""
    bank, next_id = {}, 1
    for index, size in enumerate(bank_sizes):
        bank[f"modul-{index}"] = list(range(next_id, next_id + size))
        next_id += size
    bank[""] = list(range(next_id, next_id + untagged))  # untagged questions have no minimum
    next_id += untagged
    per_tag = {tag: data.draw(st.integers(0, len(ids))) for tag, ids in bank.items() if tag}
    quotas = {tag: max(per_tag.get(tag, 0), min(minimum, len(ids))) for tag, ids in bank.items() if tag}
    try:
        chosen = draw_questions(bank, count, per_tag, random.Random(seed), minimum)
    except NotEnoughQuestions:
        assert count > next_id - 1 or sum(quotas.values()) > count
        assert shortfalls(bank, count, per_tag, minimum)  # the settings page says why
        return
    assert not shortfalls(bank, count, per_tag, minimum)
    assert len(chosen) == count == len(set(chosen))
    for tag, ids in bank.items():
        if tag:
            assert len(set(chosen) & set(ids)) >= quotas[tag] >= min(minimum, len(ids))


def test_ten_of_the_bundled_sixty_seven_cover_all_seven_modules():
    """With the default minimum of one, does every draw of 10 from 7 modules include each module?"""
    bank, next_id = {}, 1
    for index, size in enumerate([7, 7, 14, 10, 9, 9, 11]):
        bank[f"modul-{index}"] = list(range(next_id, next_id + size))
        next_id += size
    for seed in range(50):
        chosen = set(draw_questions(bank, 10, {}, random.Random(seed), 1))
        assert all(chosen & set(ids) for ids in bank.values())


def test_true_false_keeps_its_order_and_others_shuffle():

    """Are true/false options kept as 'Benar, Salah' while others are shuffled per attempt?"""
    rng = random.Random(1)
    assert shuffled_options([5, 6], "true_false", rng) == [5, 6]
    orders = {tuple(shuffled_options([1, 2, 3, 4], "single", random.Random(s))) for s in range(20)}
    assert len(orders) > 1
