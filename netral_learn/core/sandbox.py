"""Admin-editable templates: Jinja's sandbox, bounded in time, work and size.

Jinja's ``SandboxedEnvironment`` keeps a template away from Python internals, but not from the
worker's CPU and memory: ``{{ 'x' * 10**9 }}`` allocates a gigabyte and two nested
``range(100000)`` loops run ten billion steps. Here every render gets a budget:

* values built by ``*``, ``**`` and ``+`` (strings, lists, integers) are refused before they are
  built when they would exceed ``MAX_VALUE`` characters/items (or ``MAX_INT_BITS`` bits);
* every loop step over ``range``, attribute or item lookup, call and filter counts one step, and
  the render stops after ``MAX_STEPS`` steps or ``MAX_SECONDS`` seconds;
* filters refuse numeric arguments above ``MAX_VALUE`` (``'x'|center(10**9)``) and results above it;
* the output is collected piece by piece and stops at ``MAX_OUTPUT`` characters.

Any of these raises :class:`TemplateTooHeavy`, whose message (Indonesian) says which bound was met;
the caller turns it into the same "template cannot be used" message as a syntax error.
"""
from __future__ import annotations

import functools
import operator
import re
import time
from contextvars import ContextVar
from numbers import Number

from flask_babel import lazy_gettext as _l
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment, safe_range

#: Largest string, list or number of items a template may build in one operation (a data-URI
#: logo of 2 MB is about 2.8 million characters).
MAX_VALUE = 4_000_000
#: Largest rendered output (template + two inlined images + generous room).
MAX_OUTPUT = 8_000_000
MAX_INT_BITS = 4096
MAX_STEPS = 1_000_000
MAX_SECONDS = 2.0


class TemplateTooHeavy(SecurityError):
    """A template went past one of its bounds; ``reason`` says which, in Indonesian."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(str(reason))


class _Budget:
    __slots__ = ("deadline", "steps")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.steps = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateTooHeavy(_l("perulangan atau perhitungan terlalu banyak (lebih dari %(n)s langkah)",
                                      n=f"{MAX_STEPS:,}".replace(",", ".")))
        if not self.steps % 256 and time.monotonic() > self.deadline:
            self.too_slow()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            self.too_slow()

    @staticmethod
    def too_slow():
        raise TemplateTooHeavy(_l("waktu render melebihi %(s)s detik", s=f"{MAX_SECONDS:g}"))


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def _too_big():
    return TemplateTooHeavy(_l("nilai yang dibuat terlalu besar (lebih dari %(n)s karakter atau butir)",
                               n=f"{MAX_VALUE:,}".replace(",", ".")))


def _sized(value) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def _check_binop(op: str, left, right) -> None:
    """Refuse, before computing it, a result of ``left op right`` larger than the bounds."""
    if op == "*":
        for seq, count in ((left, right), (right, left)):
            if _sized(seq) and isinstance(count, int) and len(seq) * max(count, 0) > MAX_VALUE:
                raise _too_big()
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _too_big()
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1 \
                and left.bit_length() * right > MAX_INT_BITS:
            raise _too_big()
        if isinstance(right, Number) and not isinstance(right, int) and abs(right) > MAX_INT_BITS:
            raise _too_big()
    elif op == "+" and _sized(left) and _sized(right) and len(left) + len(right) > MAX_VALUE:
        raise _too_big()
    elif op == "%":
        _check_format(left)


_DIGIT_RUNS = re.compile(r"\d{7,}")


def _check_format(template) -> None:
    """A format string (``%`` operator, ``.format``, the ``format`` filter) may not ask for a
    width or precision beyond the bounds (``'%0999999999d' % 1``)."""
    if isinstance(template, str) and any(int(run) > MAX_VALUE for run in _DIGIT_RUNS.findall(template)):
        raise _too_big()


def _check_result(value):
    if _sized(value) and len(value) > MAX_VALUE:
        raise _too_big()
    return value


def _bounded_filter(function):
    @functools.wraps(function)  # keeps jinja_pass_arg (context/environment filters)
    def bounded(*args, **kwargs):
        _tick()
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE:
                raise _too_big()
        if function.__name__ == "do_format" and args:
            _check_format(args[0])
        return _check_result(function(*args, **kwargs))

    return bounded


def _bounded_range(*args):
    for value in safe_range(*args):
        _tick()
        yield value


_BINOPS = {"*": operator.mul, "**": operator.pow, "+": operator.add, "-": operator.sub,
           "/": operator.truediv, "//": operator.floordiv, "%": operator.mod}


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox with the bounds of this module; render with :meth:`render_bounded`."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.filters = {name: _bounded_filter(function) for name, function in self.filters.items()}
        self.globals["range"] = _bounded_range

    def call_binop(self, context, operator_name, left, right):
        _tick()
        _check_binop(operator_name, left, right)
        return _BINOPS[operator_name](left, right)

    # Results are checked on the way out too: a namespace() value doubled with ``~`` in a loop is
    # refused at its next read.
    def getattr(self, obj, attribute):
        _tick()
        return _check_result(super().getattr(obj, attribute))

    def getitem(self, obj, argument):
        _tick()
        return _check_result(super().getitem(obj, argument))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        _tick()
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE:
                raise _too_big()
        if getattr(__obj, "__name__", None) in ("format", "format_map"):
            _check_format(getattr(__obj, "__self__", None))
        return _check_result(super().call(__context, __obj, *args, **kwargs))

    def render_bounded(self, source: str, data: dict) -> str:
        """Compile and render ``source`` from ``data`` within the bounds; TemplateTooHeavy past them."""
        budget = _Budget()
        token = _budget.set(budget)
        try:
            template = self.from_string(source)
            pieces: list[str] = []
            size = 0
            for piece in template.generate(**data):
                size += len(piece)
                if size > MAX_OUTPUT:
                    raise TemplateTooHeavy(_l("hasil render melebihi %(n)s karakter",
                                              n=f"{MAX_OUTPUT:,}".replace(",", ".")))
                budget.check_time()
                pieces.append(piece)
            return "".join(pieces)
        except RecursionError:
            raise TemplateTooHeavy(_l("makro memanggil dirinya sendiri tanpa henti")) from None
        finally:
            _budget.reset(token)
