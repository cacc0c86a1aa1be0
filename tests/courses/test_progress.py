"""The unlock rules as pure functions: modules in order, then quiz, pact, certificate."""
from hypothesis import given
from hypothesis import strategies as st

from netral_learn.courses.progress import (
    JourneyState,
    Step,
    may_get_certificate,
    may_sign_pact,
    may_take_quiz,
    module_unlocked,
    next_step,
    percent_done,
)


def test_first_module_is_open_and_the_rest_wait():
    """At the start, is only module 1 open and the quiz closed?"""
    state = JourneyState(module_count=3)
    assert [module_unlocked(state, p) for p in range(3)] == [True, False, False]
    assert not may_take_quiz(state) and next_step(state) == (Step.MODULE, 0)


def test_a_skipped_module_keeps_later_ones_locked():
    """If module 2 is somehow completed but module 1 is not, does module 3 stay locked?"""
    state = JourneyState(module_count=3, completed=frozenset({1}))
    assert not module_unlocked(state, 2)
    assert next_step(state) == (Step.MODULE, 0)


def test_the_steps_after_the_modules_follow_in_order():
    """Quiz after all modules, pact after passing, certificate after signing."""
    done = frozenset(range(2))
    assert next_step(JourneyState(2, done)) == (Step.QUIZ, None)
    assert not may_sign_pact(JourneyState(2, done))
    assert next_step(JourneyState(2, done, quiz_passed=True)) == (Step.PACT, None)
    assert not may_get_certificate(JourneyState(2, done, quiz_passed=True))
    assert may_get_certificate(JourneyState(2, done, quiz_passed=True, pact_signed=True))
    assert next_step(JourneyState(2, done, True, True, True)) == (Step.DONE, None)
    assert percent_done(JourneyState(2, done, True, True, True)) == 100


@given(count=st.integers(1, 10), completed=st.sets(st.integers(0, 9)))
def test_unlocked_modules_form_a_prefix(count, completed):
    """Whatever was recorded, the open modules are exactly 0..k where k is the first gap."""
    state = JourneyState(count, frozenset(completed))
    opened = [p for p in range(count) if module_unlocked(state, p)]
    first_gap = next((p for p in range(count) if p not in completed), count)
    assert opened == list(range(min(first_gap + 1, count)))
    assert 0 <= percent_done(state) <= 100
