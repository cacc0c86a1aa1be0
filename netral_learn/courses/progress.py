"""The order of the journey, as pure rules: modules in order, then quiz, pact, certificate."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Step(enum.StrEnum):
    MODULE = "module"
    QUIZ = "quiz"
    PACT = "pact"
    CERTIFICATE = "certificate"
    DONE = "done"


@dataclass(frozen=True)
class JourneyState:
    """What one person has done in one program."""

    module_count: int
    completed: frozenset[int] = field(default_factory=frozenset)  # 0-based module positions
    quiz_passed: bool = False
    pact_signed: bool = False
    certificate_issued: bool = False

    @property
    def modules_done(self) -> bool:
        return all(p in self.completed for p in range(self.module_count))


def module_unlocked(state: JourneyState, position: int) -> bool:
    """A module opens once every module before it is completed."""
    return 0 <= position < state.module_count and all(p in state.completed for p in range(position))


def may_take_quiz(state: JourneyState) -> bool:
    return state.modules_done


def may_sign_pact(state: JourneyState) -> bool:
    return state.modules_done and state.quiz_passed


def may_get_certificate(state: JourneyState) -> bool:
    return may_sign_pact(state) and state.pact_signed


def next_step(state: JourneyState) -> tuple[Step, int | None]:
    """The one thing to do next, and for modules which one (0-based)."""
    for position in range(state.module_count):
        if position not in state.completed:
            return Step.MODULE, position
    if not state.quiz_passed:
        return Step.QUIZ, None
    if not state.pact_signed:
        return Step.PACT, None
    if not state.certificate_issued:
        return Step.CERTIFICATE, None
    return Step.DONE, None


def percent_done(state: JourneyState) -> int:
    """Progress bar: each module counts one, quiz, pact and certificate one each."""
    total = state.module_count + 3
    done = len([p for p in state.completed if p < state.module_count]) + sum(
        (state.quiz_passed, state.pact_signed, state.certificate_issued))
    return round(100 * done / total) if total else 0
