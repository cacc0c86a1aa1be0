"""Benchmarks of Netral Learn: ``make bench`` (``python -m bench``) prints a table of figures.

Scenarios: :mod:`bench.roster_import` (100,000-row roster import) and :mod:`bench.login`
(a full login POST). Both run on SQLite and, when ``BENCH_DATABASE_URL`` (or else
``TEST_DATABASE_URL``) is set, on that PostgreSQL database, whose schema is wiped first.
"""
