"""Sections other features add to a staff member's page of one person (certificates, …).

The accounts feature owns the person page but must not import the features built on it; each
feature registers a template and a function giving its context instead.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    template: str
    context: Callable  # (actor, person) -> dict, or None to leave the section out


_SECTIONS: list[Section] = []


def register(template: str, context: Callable) -> None:
    """Add a section (once per template, whatever the number of app instances)."""
    if all(section.template != template for section in _SECTIONS):
        _SECTIONS.append(Section(template, context))


def sections_for(actor, person) -> list[tuple[str, dict]]:
    """(template, context) of each section that has something to show about ``person``."""
    shown = []
    for section in _SECTIONS:
        context = section.context(actor, person)
        if context is not None:
            shown.append((section.template, context))
    return shown
