"""Ids typed by hand (paths, query strings, form choices) never reach the database out of range."""
import re

import pytest
from werkzeug.routing import IntegerConverter

from netral_learn.core.ids import MAX_ID, IdConverter, coerce_id, parse_id

from ..factories import Factory

OUT_OF_RANGE = [str(2**63), str(2**64), str(10**30), "9" * 5000, "-1", "-9223372036854775809"]
QUERY_NAMES = ["program", "unit", "instansi", "page", "parent", "per_page", "status"]


def _int_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())]


def _path(rule, int_value: str) -> str:
    def fill(match):
        converter = rule._converters[match.group(1).split(":")[-1]]
        return int_value if isinstance(converter, IntegerConverter) else "x"

    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: fill(m), rule.rule)


@pytest.fixture
def superadmin_client(app, factory):
    person = factory.person(factory.unit("Pemerintah Kabupaten Uji"), role="superadmin")
    client = app.test_client()
    assert client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD}).status_code == 302
    return client


def test_every_int_route_is_bounded(app):
    """Does every <int:…> in the URL map refuse what no row id can be (above 2^63 − 1, non-ASCII digits)?"""
    rules = _int_rules(app)
    assert len(rules) > 50
    for rule in rules:
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, IdConverter), rule.rule
                assert converter.max == MAX_ID, rule.rule
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/admin/pegawai/{MAX_ID}")[1] == {"person_id": MAX_ID}


def test_out_of_range_ids_in_paths_are_not_found(app, superadmin_client):
    """Does every route with an id answer 404 (never 500) to a huge or negative id, even for a superadmin?"""
    failures = []
    for rule in _int_rules(app):
        for method in sorted({"GET", "POST"} & rule.methods):
            for value in OUT_OF_RANGE:
                status = superadmin_client.open(_path(rule, value), method=method).status_code
                if status not in (404, 405):
                    failures.append((method, rule.rule, value[:25], status))
    assert failures == []


@pytest.mark.parametrize("value", [str(2**64), "-5", "\u0661\u0662", "1e3", "12abc"])
def test_out_of_range_ids_in_query_strings_are_refused(app, superadmin_client, value):
    """Does every page answer a bad id in its query string with 400/404 or by ignoring it — never 500?"""
    failures = []
    query = {name: value for name in QUERY_NAMES}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith("static"):
            continue
        status = superadmin_client.get(_path(rule, "1"), query_string=query).status_code
        if status >= 500:
            failures.append((rule.rule, status))
    assert failures == []


def test_report_page_with_a_huge_program_id_is_not_found(superadmin_client):
    """Is /laporan?program=2^64 a 'not found' page rather than a server error?"""
    assert superadmin_client.get(f"/laporan?program={2**64}").status_code == 404


def test_follow_up_page_number_out_of_range_is_a_bad_request(superadmin_client):
    """Is a page number of 2^64 on the follow-up list refused with 400 and a message?"""
    response = superadmin_client.get(f"/laporan/tindak-lanjut?page={2**64}")
    assert response.status_code in (400, 404)


def test_parse_id_accepts_only_row_ids():
    """Does the shared parser take 1 … 2^63 − 1 in ASCII digits and nothing else?"""
    assert parse_id("1") == 1 and parse_id(str(MAX_ID)) == MAX_ID
    for raw in ["0", str(MAX_ID + 1), "-1", "\uff11", "\u0661", "\u00b2", " 1", "1.0", "", None, "9" * 5000]:
        assert parse_id(raw) is None, raw
    assert coerce_id("0") == 0 and coerce_id("12") == 12
    with pytest.raises(ValueError):
        coerce_id(str(2**64))


def test_huge_id_chosen_in_a_form_is_a_bad_request(app, factory, superadmin_client):
    """Is a role scope of 2^64 posted by hand refused as a bad form (400), not a server error?"""
    person = factory.person(factory.unit())
    response = superadmin_client.post(f"/admin/pegawai/{person.id}/peran",
                                      data={"role": "operator", "scope_unit": str(2**64)})
    assert response.status_code == 400
