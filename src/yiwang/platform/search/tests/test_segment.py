"""Segmentation with the domain dictionary, the query language and its three renderings (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yiwang.platform.search.backends.base import distinct
from yiwang.platform.search.domain.matching import (
    compile_query,
    matches,
    tier,
    tier_of_stored,
    to_fts5,
    to_tsquery,
    to_tsvector,
)
from yiwang.platform.search.domain.segment import Clause, Segmenter, default_segmenter, load_userdict, normalise

seg = default_segmenter()


def test_district_names_are_words_and_search_mode_adds_the_short_name():
    tokens = seg.index_tokens("上海市闵行区某某学校改扩建工程施工招标公告")
    assert {"闵行", "闵行区", "上海市", "招标公告", "招标", "公告", "改扩建"} <= set(tokens)
    assert {"浦东", "浦东新区", "临港", "临港新片区"} <= set(seg.index_tokens("浦东新区临港新片区"))
    assert {"崇明", "崇明区"} <= set(seg.index_tokens("崇明区城桥镇"))


def test_trading_terms_stay_whole():
    for term in ["中标候选人", "竞争性磋商", "国有建设用地使用权", "碳排放配额", "电子保函", "资格预审", "网络竞价"]:
        assert term in seg.index_tokens(f"关于{term}的公告"), term
    # a dictionary word does not break unrelated text apart
    assert "开标" not in seg.index_tokens("公开标准")


def test_without_the_dictionary_minhang_is_not_a_word():
    plain = Segmenter()
    assert "闵行" not in plain.index_tokens("闵行区")
    assert "闵行" in seg.index_tokens("闵行区")


def test_query_words_accept_their_parts():
    (clause,) = seg.clauses("闵行区")
    assert clause == Clause("闵行区", ("闵行",))
    assert clause.matches({"闵行"})
    assert clause.matches({"闵行区"})
    assert not clause.matches({"浦东"})


def test_single_characters_split_off_a_longer_query_are_dropped():
    assert [c.token for c in seg.clauses("上海市某学校")] == ["上海市", "学校"]
    assert [c.token for c in seg.clauses("桥")] == ["桥"]
    assert [c.token for c in seg.clauses("闵行 桥")] == ["闵行", "桥"]


def test_codes_numbers_and_latin_words():
    assert seg.index_tokens("项目编号SH2026-0012") == ["项目", "编号", "项目编号", "sh2026", "0012", "sh20260012"]
    (clause,) = seg.clauses("ＳＨ２０２６－００１２")  # full-width, as typed on a Chinese keyboard
    assert clause == Clause("sh20260012", shown="sh2026-0012")
    assert not clause.matches({"sh2026", "0012"})  # the parts alone are not the code
    assert seg.index_tokens("Bridge REPAIR, 2026年") == ["bridge", "repair", "2026", "年"]


def test_titles_index_every_character():
    assert set("大桥维修") <= set(seg.index_tokens("大桥维修", unigrams=True))
    assert "桥" not in seg.index_tokens("大桥维修")


def test_userdict_format():
    assert load_userdict(["# comment", "", "闵行 500", "浦东  # note", "ＡＢＣ"]) == [
        ("闵行", 500),
        ("浦东", None),
        ("abc", None),
    ]


def test_renderings_of_a_query():
    compiled = compile_query('闵行区 SH2026-0012 "x', seg)
    assert to_fts5(compiled) == '("闵行区" OR ("闵行")) AND "sh20260012" AND "x"'
    assert to_tsquery(compiled) == "('闵行区' | ('闵行')) & 'sh20260012' & 'x'"
    assert compiled.terms == ("sh2026-0012", "闵行区", "闵行", "x")


def test_tsvector_literal_keeps_positions_and_title_weight():
    assert to_tsvector(["闵行", "学校"], ["学校", "o'brien"]) == "'闵行':1A '学校':2A,3 'o''brien':4"


def test_tier_counts_title_clauses():
    compiled = compile_query("闵行 施工 招标", seg)
    assert tier(compiled, frozenset(seg.index_tokens("闵行区施工"))) == 2
    assert tier_of_stored(compiled)(distinct(seg.index_tokens("闵行区施工"))) == 2
    assert tier_of_stored(compile_query("闵行", seg))("闵行区 施工") == 0  # a piece of a token is not the token
    assert tier_of_stored(compile_query("闵行区", seg))("施工 闵行") == 1  # the clause's part


han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
texty = st.text(alphabet=st.one_of(han, st.sampled_from("abcXYZ019-_/ ，。、（）ＡＢ１２\n")), max_size=60)


@given(texty, texty, st.integers(0, 60), st.integers(0, 60))
def test_the_tier_of_stored_title_tokens_is_the_tier(title, other, start, end):
    """The ranking tiers the window from the tokens as stored (joined by spaces), by substring: the same
    number as the definition over the token set, for a query typed from a piece of the title and other
    words — a token that is a piece of another token (闵行 in 闵行区) must not count."""
    tokens = seg.index_tokens(title, unigrams=True)
    compiled = compile_query(f"{title[start:end]} {other}", seg)
    assert tier_of_stored(compiled)(distinct(tokens)) == tier(compiled, frozenset(tokens))
    assert tier_of_stored(compiled)("") == tier(compiled, frozenset())


@given(texty)
def test_tokens_are_alphanumeric_and_normalised(text):
    for token in seg.index_tokens(text, unigrams=True):
        assert token
        assert token.isalnum()
        assert token == normalise(token)


@given(texty)
def test_a_text_matches_the_query_made_of_itself(text):
    """Whatever is typed, a document containing exactly that text is found (recall on the text itself)."""
    compiled = compile_query(text, seg)
    tokens = frozenset(seg.index_tokens(text, unigrams=True))
    assert matches(compiled, tokens)


def test_bm25_prefers_more_and_title_occurrences():
    from yiwang.platform.search.domain.scoring import CorpusStats, bm25, idf

    compiled = compile_query("闵行区 施工", seg)
    stats = CorpusStats(documents=1000, avg_title=10, avg_body=100)
    df = {"闵行区": 50, "闵行": 80, "施工": 500}
    body = " ".join(["工程"] * 90)
    in_title = bm25(compiled, "闵行区 施工", body, stats, df, 10.0)
    in_body = bm25(compiled, "工程 项目", f"闵行区 施工 {body}", stats, df, 10.0)
    twice = bm25(compiled, "工程 项目", f"闵行区 工程 闵行区 施工 {body}", stats, df, 10.0)
    by_part = bm25(compiled, "工程 项目", f"闵行 施工 {body}", stats, df, 10.0)
    assert in_title > twice > in_body > 0
    assert by_part > 0  # 闵行 satisfies the clause 闵行区 through its part
    assert bm25(compiled, "无关", body, stats, df, 10.0) == 0
    assert idf(1000, 10) > idf(1000, 500) > 0


def test_fts5_varints():
    from yiwang.platform.search.backends.sqlite import _varints

    assert _varints(bytes([0x05, 0x81, 0x00, 0xFF, 0x7F])) == [5, 128, 16383]
