"""Admin-editable templates are bounded in time, work and size (core/sandbox.py)."""

import pytest

from netral_learn.certificates import services
from netral_learn.core.errors import InvalidInput
from netral_learn.core.sandbox import BoundedSandbox, TemplateTooHeavy

HEAVY = {
    "huge string": "{{ 'x' * 10**9 }}",
    "huge power": "{{ 7 ** 99999999 }}",
    "huge list": "{{ ([1] * 10**8)|length }}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "loop printing": "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
    "wide filter": "{{ 'x'|center(1000000000) }}",
    "percent width": "{{ '%01000000000d' % 1 }}",
    "format width": "{{ '{:>1000000000}'.format(1) }}",
    "format filter": "{{ '%01000000000d'|format(1) }}",
    "doubling namespace": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "recursive macro": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
}


@pytest.mark.parametrize("source", list(HEAVY.values()), ids=list(HEAVY))
def test_heavy_templates_are_refused(source):
    """Is a template with a huge loop or value refused by the bounds (steps, sizes, the 2 s budget)
    rather than left to hang a worker? (How fast is a bench matter, not a test's.)"""
    with pytest.raises(TemplateTooHeavy):
        BoundedSandbox(autoescape=True).render_bounded(source, {})


def test_ordinary_templates_still_render():
    """Do loops, filters, formatting and arithmetic of ordinary size still work?"""
    source = ("{% for i in range(3) %}{{ i * 2 }}{% endfor %}|{{ nama|upper }}|{{ '%05d' % 42 }}|"
              "{{ '{:>4}'.format(7) }}|{{ 'ab' * 3 }}|{{ 2 ** 10 }}|{{ [1, 2] + [3] }}")
    html = BoundedSandbox(autoescape=True).render_bounded(source, {"nama": "dewi"})
    assert html == "024|DEWI|00042|   7|ababab|1024|[1, 2, 3]"


def test_bundled_certificate_template_renders(ctx):
    """Does the bundled certificate template still render with sample data inside the bounds?"""
    html = services.render_html(services.DEFAULT_TEMPLATE.read_text(encoding="utf-8"), services.sample_data())
    assert "Contoh" in html or len(html) > 1000


def test_certificate_template_with_a_huge_value_gets_a_clear_message(ctx):
    """Does saving a certificate template that builds 'x'*10**9 fail with an Indonesian message saying why?"""
    with pytest.raises(InvalidInput) as refused:
        services.render_html("<p>{{ 'x' * 10**9 }}</p>", services.sample_data())
    assert "terlalu berat" in str(refused.value.message) and "terlalu besar" in str(refused.value.message)
