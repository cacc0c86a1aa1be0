"""Ids typed by hand: in URL paths, query strings and form choices, only what a database row id
can be (1 … 2^63 − 1, ASCII digits) gets as far as a query.

Anything else — negative, huge (``2**64``, 5,000 digits), full-width or superscript digits — is
"not found" in a path (the URL converter refuses it, so routing answers 404) and "bad request" in
a query string or form (400 with a message), never a database overflow answered with 500.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from .errors import InvalidInput

#: The largest id a BIGINT (PostgreSQL) or INTEGER (SQLite) column can hold.
MAX_ID = 2**63 - 1
_ID_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(raw, *, minimum: int = 1) -> int | None:
    """``raw`` as a row id (or a position, with ``minimum=0``), or None when it cannot be one."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if minimum <= raw <= MAX_ID else None
    if not isinstance(raw, str) or not _ID_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= MAX_ID else None


def coerce_id(raw) -> int:
    """A WTForms ``coerce`` for id choices (0 included: some lists use it for "none"):
    ValueError, i.e. a form error rather than a 500, for anything else."""
    if raw in (0, "0"):
        return 0
    value = parse_id(raw.strip() if isinstance(raw, str) else raw)
    if value is None:
        raise ValueError("not an id")
    return value


def query_int(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """The query-string integer ``name`` (absent or empty: ``default``); InvalidInput (400)
    when it is not a whole number between ``minimum`` and ``maximum``."""
    from flask import request

    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not _ID_DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise InvalidInput(_l("Parameter %(name)s harus bilangan bulat %(min)d–%(max)d.",
                              name=name, min=minimum, max=maximum))
    return int(raw)


#: Page numbers beyond this are not pages of any list (the offset must still fit a 64-bit integer).
MAX_PAGE = 10**9


def page_number() -> int:
    """The ``page`` of a paged list from the query string (1 when absent; 400 when not 1 … MAX_PAGE)."""
    return query_int("page", 1, maximum=MAX_PAGE)


def query_id(name: str) -> int | None:
    """An id from the query string (absent or empty: None); 400 when it cannot be an id."""
    return query_int(name)


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: at most 19 digits and at most MAX_ID, else the route does not
    match (404). Registered as the app's default ``int`` converter."""

    regex = r"[0-9]{1,19}"  # ASCII only: \d would also take Arabic-Indic or full-width digits

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        bound = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def install(app) -> None:
    """Make the bounded converter the app's ``int`` (before any blueprint adds its rules)."""
    app.url_map.converters["int"] = IdConverter
