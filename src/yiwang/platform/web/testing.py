"""Test support for pages under the English switch: the text a person reads on a page, and the Chinese still
left in it once the page's own data (names, titles, legal citations …) is taken out. Used by every context's
English-page tests (docs/portal.md, Language)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.conf import settings

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


class PageText(HTMLParser):
    """The text a person reads on a page: element text and the attributes shown or read aloud, not scripts;
    with ``only``, just the text inside those elements (headings, labels, buttons …)."""

    SHOWN = ("placeholder", "aria-label", "title", "alt")
    VOID = ("input", "meta", "link", "br", "img", "hr")

    def __init__(self, only: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.only = only
        self._skip = 0
        self._inside = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag in self.only:
            self._inside += 1
        if not self.only or self._inside or tag in self.VOID:
            self.parts += [v for k, v in attrs if k in self.SHOWN and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in self.only:
            self._inside -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and (not self.only or self._inside):
            self.parts.append(data)


CHROME = ("title", "h1", "h2", "h3", "h4", "h5", "h6", "label", "button", "summary", "th", "dt", "nav", "footer")


def chinese_left(html: str, *data: str, only: tuple[str, ...] = ()) -> list[str]:
    """The Chinese a page still shows once the given data (names, titles …) is taken out; with ``only``, in
    those elements alone."""
    parser = PageText(only)
    parser.feed(html)
    text = "\n".join(parser.parts)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return sorted(set(CJK.findall(text)))


def use_english(client) -> None:
    """Switch a test client to English, as the navigation's switch does (the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
