"""Open redirects: every ``next`` parameter goes through core.redirects.safe_next."""
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netral_learn.core.redirects import browser_normalized, safe_next

from ..factories import Factory

SITE = "https://netral.example.go.id/beranda/halaman"
EVIL = [
    "/\t/evil.example", "//evil.example", "\\\\evil.example", "/%09/evil.example", "https:evil.example",
    "https://evil.example/", "/\\evil.example", " //evil.example", "/\n/evil.example", "/%2F/evil.example",
    "%2F%2Fevil.example", "/%5Cevil.example", "/%250d/evil.example", "javascript:alert(1)", "\x00//evil",
    "///evil.example", "http:/evil.example", "/\r\n/evil.example",
]


def browser_host(location: str) -> str:
    """The host a browser ends up on after following ``Location: location`` from SITE."""
    return urlsplit(urljoin(SITE, browser_normalized(location))).netloc


def test_language_switch_refuses_every_off_site_next(client):
    """Does the language switch refuse each known trick to send the browser to another host?"""
    for target in EVIL:
        response = client.post("/bahasa/en", data={"next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_language_switch_keeps_a_page_of_this_site(client):
    """Does switching language return to the page the person was on, query string included?"""
    response = client.post("/bahasa/en", data={"next": "/laporan?program=3&unit=7"})
    assert response.headers["Location"] == "/laporan?program=3&unit=7"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/%09/evil.example", "\\\\evil.example"])
def test_login_next_refuses_normalized_tricks(client, factory, target):
    """Does the login page's ?next= refuse the same tricks as the language switch?"""
    person = factory.person(factory.unit())
    response = client.post("/masuk", query_string={"next": target},
                           data={"nip": person.nip, "password": Factory.PASSWORD})
    assert response.headers["Location"] == "/"


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(alphabet=st.sampled_from(list("/\\:%09aAtnrx.?#@ \t\n\r\x00\x0b")), max_size=14),
    st.text(max_size=20),
    st.builds(lambda a, b: a + b, st.sampled_from(["/", "//", "\\", "/%", "%2", "https:", " /"]), st.text(max_size=12)),
))
def test_no_accepted_target_leaves_the_site(target):
    """Can any string accepted as ``next`` send a browser to another host, even decoded once or twice?"""
    accepted = safe_next(target)
    if accepted is None:
        return
    assert accepted == target
    for variant in (accepted, unquote(accepted), unquote(unquote(accepted))):
        assert browser_host(variant) == "netral.example.go.id", variant


@given(st.lists(st.sampled_from(["admin", "laporan", "kuis", "1", "modul-2"]), min_size=1, max_size=4),
       st.dictionaries(st.sampled_from(["q", "unit", "page"]), st.text(alphabet="abc123 ", max_size=5)))
def test_ordinary_paths_are_kept(segments, query):
    """Is every ordinary page of the site, with its query string, accepted unchanged?"""
    from urllib.parse import urlencode

    target = "/" + "/".join(segments) + ("?" + urlencode(query) if query else "")
    assert safe_next(target) == target


def test_admin_prefix_is_enforced():
    """Does a next limited to admin pages refuse a page elsewhere on the site?"""
    assert safe_next("/admin/soal?page=2", prefix="/admin/") == "/admin/soal?page=2"
    assert safe_next("/masuk", prefix="/admin/") is None
