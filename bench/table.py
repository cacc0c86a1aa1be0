"""The shared result row and the table printer (Markdown pipes, so it can be pasted as is)."""
from __future__ import annotations

from dataclasses import dataclass

HEADERS = ("benchmark", "database", "measured", "detail", "target", "result")


@dataclass(frozen=True)
class Measurement:
    """One line of the table; ``passed`` is None when the figure has no target."""

    benchmark: str
    database: str
    measured: str
    detail: str = ""
    target: str = "–"
    passed: bool | None = None

    @property
    def result(self) -> str:
        return "–" if self.passed is None else ("PASS" if self.passed else "FAIL")

    def cells(self) -> tuple[str, ...]:
        return (self.benchmark, self.database, self.measured, self.detail, self.target, self.result)


def render(measurements: list[Measurement]) -> str:
    """The measurements as a Markdown table with aligned columns."""
    rows = [HEADERS, *(m.cells() for m in measurements)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]

    def line(cells) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(HEADERS), separator, *(line(row) for row in rows[1:])])
