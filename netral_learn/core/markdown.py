"""Markdown for course modules: CommonMark + tables + "boleh / tidak boleh" callouts, sanitized.

Raw HTML in the source is not interpreted, and the rendered HTML goes through nh3 with a short
allow-list, so an author cannot inject script, styles or event handlers. Images and links may
point at a module's attachments with ``lampiran:NAMA-BERKAS``.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

CALLOUTS = {
    "BOLEH": ("boleh", _l("Boleh")),
    "TIDAK BOLEH": ("tidak-boleh", _l("Tidak boleh")),
    "PENTING": ("penting", _l("Penting")),
}
_MARKER = re.compile(r"^\[!(BOLEH|TIDAK BOLEH|PENTING)\]\s*")
_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "a", "blockquote", "table",
         "thead", "tbody", "tr", "th", "td", "code", "pre", "img", "hr", "br", "s", "del", "span"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"},
               "th": {"scope"}, "td": {"data-label"}}
_CLASSES = {"blockquote": {"callout"} | {f"callout-{slug}" for slug, _ in CALLOUTS.values()},
            "span": {"callout-label"}, "table": {"stack"}}
ATTACHMENT_SCHEME = "lampiran:"

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"])


def _mark_callouts(tokens: list[Token]) -> None:
    """Turn '> [!BOLEH] …' blockquotes into labelled callouts."""
    for index, token in enumerate(tokens):
        if token.type != "blockquote_open" or index + 2 >= len(tokens):
            continue
        inline = tokens[index + 2]
        if inline.type != "inline" or not inline.children:
            continue
        match = _MARKER.match(inline.children[0].content)
        if not match:
            continue
        slug, label = CALLOUTS[match.group(1)]
        token.attrSet("class", f"callout callout-{slug}")
        first = inline.children[0]
        first.content = first.content[match.end():]
        label_tokens = [Token("html_inline", "", 0, content=f'<span class="callout-label">{label}</span>')]
        rest = inline.children[1:] if not first.content else inline.children
        if rest and rest[0].type == "softbreak":
            rest = rest[1:]
        inline.children = label_tokens + [Token("softbreak", "br", 0)] + rest


def _stack_tables(tokens: list[Token]) -> None:
    """Tables become one small card per row on phones (CSS ``table.stack``): each cell carries its
    column's heading as ``data-label``."""
    headings: list[str] = []
    column = 0
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            token.attrSet("class", "stack")
            headings = []
        elif token.type == "th_open":
            inline = tokens[index + 1]
            headings.append("".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
                            or inline.content)
        elif token.type == "tr_open":
            column = 0
        elif token.type == "td_open":
            if column < len(headings) and headings[column]:
                token.attrSet("data-label", headings[column])
            column += 1


def _rewrite_attachment_urls(tokens: list[Token], resolve: Callable[[str], str | None]) -> None:
    for token in tokens:
        for child in token.children or []:
            attribute = "src" if child.type == "image" else "href" if child.type == "link_open" else None
            if attribute and str(child.attrGet(attribute) or "").startswith(ATTACHMENT_SCHEME):
                name = str(child.attrGet(attribute))[len(ATTACHMENT_SCHEME):]
                child.attrSet(attribute, resolve(name) or "#")


def render_markdown(source: str, resolve_attachment: Callable[[str], str | None] | None = None) -> Markup:
    """Markdown → safe HTML (callouts, tables, attachment links), never script."""
    tokens = _parser.parse(source or "")
    _mark_callouts(tokens)
    if resolve_attachment:
        _rewrite_attachment_urls(tokens, resolve_attachment)
    for token in tokens:
        if token.type == "th_open":
            token.attrSet("scope", "col")
    _stack_tables(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, allowed_classes=_CLASSES,
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    # A wide table scrolls inside its own box rather than the page (fixed markup, added after cleaning).
    clean = clean.replace('<table class="stack">', '<div class="table-wrap"><table class="stack">')
    clean = clean.replace("</table>", "</table></div>")
    return Markup(clean)


def reading_minutes(source: str, words_per_minute: int = 180) -> int:
    """Estimated reading time of a Markdown text, at least one minute."""
    return max(1, round(len(re.findall(r"\w+", source or "")) / words_per_minute))
