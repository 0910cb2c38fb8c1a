"""HTML written by people, made safe to show: an allow-list sanitiser (nh3) and a plain-text rendering.

Two profiles:

* ``DOCUMENT`` — notices and other published documents: paragraphs, headings, lists, tables, links, simple
  emphasis. No images (a notice's files are attachments; an ``<img>`` would also make the PDF renderer
  fetch a URL), no ``style``, ``class`` or ``id``, no forms, no embedded content.
* ``MESSAGE`` — in-site messages: paragraphs, line breaks, lists, links, emphasis.

Everything not allowed is dropped: ``<script>``, ``<style>``, ``<iframe>``, ``<object>``, ``<embed>``,
``<template>`` and ``<noscript>`` together with their content; every other unknown tag is removed and its
text kept. Event-handler attributes (``on*``), ``style`` and unknown attributes go; links keep only
``http``, ``https`` and ``mailto`` URLs or site paths (``javascript:``, ``vbscript:``, ``data:`` are
removed however they are written: entity-encoded, with control characters or mixed case, because nh3
parses the HTML as a browser does before it looks at the scheme). Comments are removed. Links get
``rel="noopener noreferrer nofollow"``.

:func:`clean_html` is idempotent (cleaning clean output changes nothing) and property-tested with random
hostile markup (``tests/test_html.py``). :func:`html_to_text` gives the text people read (for search bodies,
e-mail and the PDF's plain parts). Needs only nh3 and the standard library.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

MAX_HTML_CHARS = 500_000  # longer input is refused by the callers (a notice body is a page, not a book)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Profile:
    name: str
    tags: frozenset[str]
    attributes: dict[str, set[str]]


_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "select", "frameset"}
)
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "noopener noreferrer nofollow"

DOCUMENT = Profile(
    "document",
    _words(
        "p br hr h1 h2 h3 h4 h5 h6 strong b em i u s sub sup small blockquote pre code ul ol li dl dt dd "
        "table thead tbody tfoot tr th td caption colgroup col a span div"
    ),
    {
        "a": {"href", "title"},
        "td": {"colspan", "rowspan"},
        "th": {"colspan", "rowspan", "scope"},
        "ol": {"start"},
        "col": {"span"},
        "colgroup": {"span"},
    },
)
MESSAGE = Profile(
    "message",
    frozenset({"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a"}),
    {"a": {"href", "title"}},
)


def clean_html(text: str, profile: Profile = DOCUMENT) -> str:
    """``text`` with everything outside ``profile``'s allow-list removed (see the module docstring)."""
    if not text:
        return ""
    cleaned = _clean_once(text, profile)
    # HTML's parsing rules can reshape markup that is not well-formed (``<li><li></li></li>``), so a second
    # pass may still change it; repeat (a few times at most) until the output is stable
    for _ in range(3):
        again = _clean_once(cleaned, profile)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


_INVISIBLE = re.compile(r"[\x00-\x20\x7f\ufffd\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def _href_filter(tag: str, attribute: str, value: str) -> str | None:
    """Defence in depth after nh3's own scheme check: drop a link whose target, with invisible and replaced
    characters removed, still starts like a non-allowed scheme (``\ufffdjavascript:`` — harmless to a URL
    parser, which reads it as a relative path, but nobody needs it)."""
    if attribute != "href":
        return value
    compact = _INVISIBLE.sub("", _html.unescape(value)).lower()
    head = re.split(r"[/?#]", compact, maxsplit=1)[0]
    if ":" in head and head.split(":", 1)[0] not in _URL_SCHEMES:
        return None
    return value


def _clean_once(text: str, profile: Profile) -> str:
    return nh3.clean(
        text,
        tags=set(profile.tags),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        # "*" = attributes allowed on every tag: none (nh3 would otherwise keep ``lang`` and ``title``)
        attributes={"*": set(), **{tag: set(names) for tag, names in profile.attributes.items()}},
        url_schemes=set(_URL_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
        attribute_filter=_href_filter,
    ).strip()


_BLOCKS = _words("p div br hr h1 h2 h3 h4 h5 h6 li tr blockquote pre dt dd table ul ol dl caption")
_CELLS = frozenset({"td", "th"})
_SKIP = frozenset(_DROP_WITH_CONTENT)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_LINES = re.compile(r"\n\s*\n+")


def html_to_text(text: str) -> str:
    """The readable text of an HTML fragment: one line per block, cells separated by spaces, whitespace runs
    collapsed, scripts and styles left out, entities decoded."""
    if not text:
        return ""
    collector = _TextCollector()
    collector.feed(text)
    collector.close()
    joined = "".join(collector.parts)
    lines = [_SPACES.sub(" ", line).strip() for line in joined.split("\n")]
    return _LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def text_to_html(text: str) -> str:
    """Plain text as safe HTML: escaped, one paragraph per blank-line-separated block, line breaks kept."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    return "".join("<p>" + "<br>".join(_html.escape(line) for line in b.split("\n")) + "</p>" for b in blocks)
