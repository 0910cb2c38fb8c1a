"""One query language, three evaluators: Python (the reference), SQLite FTS5 and PostgreSQL tsquery.

A query is a list of :class:`~yiwang.platform.search.domain.segment.Clause` — all must match (AND); a clause
matches a document holding its token, or all of its parts. The engines receive the same boolean expression
over the same tokens, so they select the same documents; :func:`matches` is the definition both are tested
against. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from yiwang.platform.search.domain.segment import Clause, Segmenter

MAX_CLAUSES = 32
TSVECTOR_MAX_POSITION = 16383  # PostgreSQL keeps word positions up to this value


@dataclass(frozen=True)
class CompiledQuery:
    clauses: tuple[Clause, ...]

    @property
    def empty(self) -> bool:
        return not self.clauses

    @property
    def terms(self) -> tuple[str, ...]:
        """Every word to highlight, longest first."""
        words = dict.fromkeys(w for c in self.clauses for w in c.words)
        return tuple(sorted(words, key=lambda w: (-len(w), w)))


def compile_query(text: str, segmenter: Segmenter) -> CompiledQuery:
    return CompiledQuery(tuple(segmenter.clauses(text)[:MAX_CLAUSES]))


# -- Python: the reference semantics ------------------------------------------------------------------------
def matches(query: CompiledQuery, tokens: set[str] | frozenset[str]) -> bool:
    return all(c.matches(tokens) for c in query.clauses)


def tier(query: CompiledQuery, title_tokens: set[str] | frozenset[str]) -> int:
    """How many query clauses the title satisfies: the first key of the relevance order, on every engine."""
    return sum(1 for c in query.clauses if c.matches(title_tokens))


def tier_of_stored(query: CompiledQuery) -> Callable[[str], int]:
    """:func:`tier` over a title's tokens as the index stores them (distinct, joined by single spaces), without
    splitting them into a set: a token is held when `` token `` occurs in `` tokens `` (tokens never contain
    whitespace). The ranking window tiers up to a thousand titles per search; this is several times faster."""
    clauses = [(f" {c.token} ", tuple(f" {p} " for p in c.parts)) for c in query.clauses]

    def of(stored: str) -> int:
        padded = f" {stored} "
        return sum(1 for token, parts in clauses if token in padded or (parts and all(p in padded for p in parts)))

    return of


# -- SQLite FTS5 ------------------------------------------------------------------------------------------------
def _fts_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_clause(clause: Clause) -> str:
    if not clause.parts:
        return _fts_string(clause.token)
    parts = " AND ".join(_fts_string(p) for p in clause.parts)
    return f"({_fts_string(clause.token)} OR ({parts}))"


def to_fts5(query: CompiledQuery) -> str:
    """An FTS5 MATCH expression (quoted tokens, so no word is read as an operator)."""
    return " AND ".join(_fts_clause(c) for c in query.clauses)


# -- PostgreSQL tsquery / tsvector ----------------------------------------------------------------------
def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_clause(clause: Clause) -> str:
    if not clause.parts:
        return _lexeme(clause.token)
    parts = " & ".join(_lexeme(p) for p in clause.parts)
    return f"({_lexeme(clause.token)} | ({parts}))"


def to_tsquery(query: CompiledQuery) -> str:
    """A ``tsquery`` literal (cast with ``::tsquery``; no parser or dictionary touches the lexemes)."""
    return " & ".join(_ts_clause(c) for c in query.clauses)


def to_tsvector(title_tokens: Sequence[str], body_tokens: Sequence[str]) -> str:
    """A ``tsvector`` literal: the tokens as lexemes — what ``to_tsvector('simple', …)`` gives for them,
    built here so that PostgreSQL's parser cannot split them differently — with their positions in the
    token stream; title words carry weight A (body words the default D)."""
    positions: dict[str, list[str]] = {}
    for index, token in enumerate(title_tokens, start=1):
        positions.setdefault(token, []).append(f"{min(index, TSVECTOR_MAX_POSITION)}A")
    offset = len(title_tokens)
    for index, token in enumerate(body_tokens, start=offset + 1):
        positions.setdefault(token, []).append(str(min(index, TSVECTOR_MAX_POSITION)))
    return " ".join(f"{_lexeme(token)}:{','.join(_dedupe(ps))}" for token, ps in positions.items())


def _dedupe(positions: Iterable[str]) -> list[str]:
    # positions past the maximum collapse onto it; PostgreSQL wants each position once (and at most 256)
    return list(dict.fromkeys(positions))[:256]


def to_match_tsvector(title_tokens: Sequence[str], body_tokens: Sequence[str]) -> str:
    """The stripped ``tsvector`` literal used for matching: the distinct lexemes only (no positions, no
    weights), small enough to stay in the row so that testing ``@@`` row by row costs no TOAST read."""
    return " ".join(_lexeme(token) for token in dict.fromkeys([*title_tokens, *body_tokens]))
