"""Highlights: escaped HTML from the original text, <mark> only around query words (pure, property-tested)."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from yiwang.platform.search.domain.highlight import SNIPPET_CHARS, clean, highlight, snippet
from yiwang.platform.search.domain.segment import normalise


class MarkParser(HTMLParser):
    """Collects text inside and outside <mark>, failing on any other tag or on nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text: list[str] = []
        self.marked: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert (tag, attrs, self.depth) == ("mark", [], 0)
        self.depth = 1
        self.marked.append("")

    def handle_endtag(self, tag):
        assert tag == "mark"
        assert self.depth == 1
        self.depth = 0

    def handle_data(self, data):
        self.text.append(data)
        if self.depth:
            self.marked[-1] += data

    def parse(self, markup: str) -> tuple[str, list[str]]:
        self.feed(markup)
        self.close()
        assert self.depth == 0
        return "".join(self.text), self.marked


def check_markup(markup: str, source: str, terms: list[str]) -> list[str]:
    assert "<" not in markup.replace("<mark>", "").replace("</mark>", "")
    assert ">" not in markup.replace("<mark>", "").replace("</mark>", "")
    text, marked = MarkParser().parse(markup)
    assert text.strip("…") in clean(source)
    for span in marked:
        # every marked span is made of query words: each of its characters lies in an occurrence of a term
        norm = normalise(span)
        covered = [False] * len(norm)
        for term in terms:
            at = norm.find(term)
            while term and at != -1:
                covered[at : at + len(term)] = [True] * len(term)
                at = norm.find(term, at + 1)
        assert span
        assert all(covered), (span, terms)
    return marked


def test_marks_words_and_escapes_everything_else():
    out = highlight('<b>闵行区</b> & "浦东"', ["闵行"])
    assert out == "&lt;b&gt;<mark>闵行</mark>区&lt;/b&gt; &amp; &quot;浦东&quot;"


def test_overlapping_and_adjacent_words_make_one_mark():
    assert highlight("闵行区招标公告", ["闵行区", "闵行", "招标", "公告"]) == "<mark>闵行区招标公告</mark>"
    assert highlight("招标 公告", ["招标", "公告"]) == "<mark>招标</mark> <mark>公告</mark>"


def test_full_width_and_case_are_found_in_the_original():
    assert highlight("编号ＳＨ２０２６-0012号", ["sh2026-0012"]) == "编号<mark>ＳＨ２０２６-0012</mark>号"
    assert highlight("Bridge bridges", ["bridge"]) == "<mark>Bridge</mark> bridges"
    assert highlight("2012年12月", ["12"]) == "2012年<mark>12</mark>月"


def test_snippet_is_centred_on_the_first_match_and_short():
    body = "甲" * 300 + "闵行区莘庄" + "乙" * 300
    out = snippet(body, ["莘庄"])
    assert out.startswith("…")
    assert out.endswith("…")
    text, marked = MarkParser().parse(out)
    assert marked == ["莘庄"]
    assert len(text) <= SNIPPET_CHARS + 2
    left, right = text.split("莘庄")
    assert abs(len(left) - len(right)) <= 4


def test_snippet_of_a_very_long_text_finds_a_late_match():
    body = "前文" * 60_000 + "碳排放配额网络竞价" + "后文" * 100
    out = snippet(body, ["碳排放配额"])
    assert "<mark>碳排放配额</mark>" in out


def test_no_match_shows_the_beginning():
    assert snippet("第一句。第二句。", ["浦东"]) == "第一句。第二句。"
    assert snippet("字" * 200, []) == "字" * SNIPPET_CHARS + "…"


def test_bad_characters_never_reach_the_page():
    out = highlight("闵行\x00\ud800区\x1b", ["闵行"])
    assert out == "<mark>闵行</mark>\ufffd\ufffd区\ufffd"
    out.encode("utf-8")  # valid UTF-8: no lone surrogate survives


def test_combining_marks_stay_with_their_letter():
    out = snippet("e\u0301" * 200 + "闵行", ["闵行"], width=10)
    text, _ = MarkParser().parse(out)
    assert not text.lstrip("…").startswith("\u0301")


words = st.sampled_from(["闵行", "闵行区", "招标", "公告", "sh2026-0012", "a", "<", "&", "mark", "ab"])
pieces = st.one_of(
    words,
    st.text(max_size=8),
    st.sampled_from(["<mark>", "</mark>", "<script>", "&amp;", '"', "'", "\ud800", "e\u0301", "👨\u200d👩\u200d👧"]),
)


@given(st.lists(pieces, max_size=40).map("".join), st.lists(words, max_size=4))
def test_highlight_is_always_safe(text, terms):
    terms = [normalise(t) for t in terms]
    markup = highlight(text, terms)
    markup.encode("utf-8")
    check_markup(markup, text, terms)
    assert html.unescape(markup.replace("<mark>", "").replace("</mark>", "")) == clean(text)


@given(st.lists(pieces, max_size=120).map("".join), st.lists(words, max_size=4), st.integers(10, 150))
def test_snippet_is_always_safe_and_bounded(text, terms, width):
    terms = [normalise(t) for t in terms]
    markup = snippet(text, terms, width=width)
    markup.encode("utf-8")
    check_markup(markup, text, terms)
    plain = html.unescape(markup.replace("<mark>", "").replace("</mark>", ""))
    # width counts characters with their combining marks and joiners: allow for them
    assert len(plain.strip("…")) <= width * 4
