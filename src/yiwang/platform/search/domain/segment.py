"""Chinese word segmentation for the index and for queries (rjieba + a domain user dictionary). Pure Python.

Text is normalised first (NFKC, then case-folded: full-width ``ＳＨ２０２６`` and ``sh2026`` are the same
word). Then:

* runs of Chinese characters are segmented by rjieba with the user dictionary in ``data/userdict.txt``
  (district names such as 闵行 / 闵行区 / 浦东新区 and trading terms such as 中标候选人, 竞争性磋商). The
  index uses **search mode**, which adds the dictionary words inside longer words (闵行区 → 闵行, 闵行区), so a
  document about 闵行区 is found by 闵行 and by 闵行区. Queries use **precise mode** and, for every query word,
  accept either the word itself or all the search-mode words inside it (see :class:`Clause`): segmentation
  that differs with the context of a document (建设工程|施工图 vs 工程施工) does not lose the match.
* runs of other letters and digits (Latin words, numbers, codes) are words by themselves; a code written
  with ``- _ /`` between its parts (``SH2026-0012``, a 统一交易标识码) gives its parts and the parts joined
  (``sh2026``, ``0012``, ``sh20260012``): a query for the whole code matches the joined form (its parts
  alone would match unrelated numbers), a query for one part matches that part.
* single Chinese characters of titles are indexed as well (``unigrams``), so a one-character query (桥, 路)
  finds the titles containing it; bodies are not, which keeps the index small (docs/search.md has the
  measurements behind this choice).

Every token consists only of characters for which ``str.isalnum()`` is true, so both engines keep it whole:
SQLite FTS5's ``ascii`` tokenizer treats every non-ASCII character as part of a token and splits on ASCII
punctuation and spaces only; PostgreSQL receives the lexemes as they are (a tsvector literal).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import rjieba

MAX_TOKEN_CHARS = 64
MAX_RUN_CHARS = 10_000  # a longer run of Chinese characters without punctuation is not prose

_HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN = re.compile(f"[{_HAN_CLASS}]+")
# a run of Chinese characters (group 1), or a word of other letters/digits, possibly a code joined by
# - _ / (group 2); ``[^\W_…]`` is "a letter or digit that is not a Chinese character"
_RUNS = re.compile(f"([{_HAN_CLASS}]+)|([^\\W_{_HAN_CLASS}]+(?:[-_/][^\\W_{_HAN_CLASS}]+)*)")
_JOINERS = re.compile(r"[-_/]+")


def normalise(text: str) -> str:
    """NFKC then case-fold: the form in which text is segmented and compared."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_han(char: str) -> bool:
    return bool(_HAN.fullmatch(char))


@dataclass(frozen=True)
class Clause:
    """One query word: a document matches it if it holds ``token``, or (when ``parts`` is not empty) every one
    of ``parts``. ``闵行区`` → token 闵行区, parts (闵行,): a document that only says 闵行 still matches."""

    token: str
    parts: tuple[str, ...] = ()
    shown: str = ""  # how the word is written, when that differs from ``token`` (codes: ``sh2026-0012``)

    def matches(self, tokens: set[str] | frozenset[str]) -> bool:
        return self.token in tokens or (bool(self.parts) and all(p in tokens for p in self.parts))

    @property
    def words(self) -> tuple[str, ...]:
        """What to highlight for this clause."""
        return (self.shown,) if self.shown else (self.token, *self.parts)


class Segmenter:
    """rjieba with the domain words added. Segmentation is deterministic for a given dictionary."""

    def __init__(self, words: Iterable[tuple[str, int | None]] = ()):
        self._jieba = rjieba.Jieba()
        for word, freq in words:
            self._jieba.add_word(word, freq, None)

    # -- index side ----------------------------------------------------------------------------------
    def index_tokens(self, text: str, *, unigrams: bool = False) -> list[str]:
        """The token stream a text is indexed with (search mode; optionally every Chinese character too)."""
        out: list[str] = []
        for is_chinese, run in _runs(normalise(text)):
            if is_chinese:
                out.extend(self._jieba.cut_for_search(run[:MAX_RUN_CHARS]))
                if unigrams:
                    out.extend(run)
            else:
                out.extend(_code_tokens(run))
        return out

    # -- query side ----------------------------------------------------------------------------------
    def clauses(self, text: str) -> list[Clause]:
        """The words of a query, each as a :class:`Clause`; all of them must match (AND).

        A single character that segmentation splits off a longer run of the query (的, 某, 新 …) is dropped,
        since it is noise there; a character typed on its own (桥) is kept and matched against titles."""
        out: dict[Clause, None] = {}
        for is_chinese, run in _runs(normalise(text)):
            if is_chinese:
                words = [w[:MAX_TOKEN_CHARS] for w in self._jieba.cut(run)]
                has_long = any(len(w) > 1 for w in words)
                for word in words:
                    if len(word) == 1 and has_long:
                        continue
                    parts = tuple(
                        dict.fromkeys(p for p in self._jieba.cut_for_search(word) if p != word and len(p) > 1)
                    )
                    out[Clause(word, parts)] = None
            else:
                # a code must match as a whole (its joined form): its parts alone are common numbers
                # (SH2023-4273 must not match a notice of SH2023-5517 with an amount of 4273 万元)
                tokens = _code_tokens(run)
                if len(tokens) > 1:
                    out[Clause(tokens[-1], shown=run[: MAX_TOKEN_CHARS * 2])] = None
                elif tokens:
                    out[Clause(tokens[0])] = None
        return list(out)


def _runs(text: str) -> Iterator[tuple[bool, str]]:
    """(is_chinese, run) for each run of Chinese characters and each letter/digit word or code."""
    for han, other in _RUNS.findall(text):
        if han:
            yield True, han
        else:
            yield False, other


def _code_tokens(run: str) -> list[str]:
    """``sh2026-0012`` → [sh2026, 0012, sh20260012]; ``abc`` → [abc]."""
    parts = [p[:MAX_TOKEN_CHARS] for p in _JOINERS.split(run) if p]
    if len(parts) > 1:
        return [*parts, "".join(parts)[:MAX_TOKEN_CHARS]]
    return parts


def load_userdict(lines: Iterable[str]) -> list[tuple[str, int | None]]:
    """Parse ``word [frequency]`` lines (``#`` starts a comment)."""
    words: list[tuple[str, int | None]] = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        freq = int(fields[1]) if len(fields) > 1 else None
        words.append((normalise(fields[0]), freq))
    return words


@cache
def default_segmenter() -> Segmenter:
    """The segmenter with the shipped user dictionary (built once per process)."""
    text = resources.files("yiwang.platform.search").joinpath("data/userdict.txt").read_text(encoding="utf-8")
    return Segmenter(load_userdict(text.splitlines()))
