"""Highlighted titles and snippets cut from the original text (never from the token stream). Pure Python.

The output is HTML: every character of the text is escaped, and the only markup is ``<mark>…</mark>`` around
the places where a query word occurs. Words are found in the normalised text (NFKC, case-folded — the form
the index uses), and each occurrence is mapped back to the characters of the original it came from, so
``ＳＨ２０２６`` is marked when the query says ``sh2026``. Marks always wrap whole characters, including any
combining marks or emoji joiners that belong to them; overlapping and adjacent occurrences become one mark.

Whitespace runs (newlines included) are shown as one space; control characters and lone surrogates, which
cannot be written as valid HTML text, are replaced by U+FFFD.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Sequence
from functools import cache
from html import escape

from yiwang.platform.search.domain.segment import normalise

SNIPPET_CHARS = 120
ELLIPSIS = "…"
_SCAN_CHUNK = 2000  # bodies are scanned in chunks (at C speed) to find the first match quickly

_JAMO = re.compile(r"[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]")  # Hangul letters that compose
_BAD = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_JOINING = re.compile(r"[\u200c\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef]")


def clean(text: str) -> str:
    """The text as displayed: bad characters replaced, whitespace runs shown as one space."""
    return " ".join(_BAD.sub("\ufffd", text).split())


def _attaches(char: str, previous: str) -> bool:
    """Does ``char`` belong to the character before it (combining mark, joiner, variation selector …)?"""
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Mc", "Me")
        or bool(_JOINING.match(char))
        or previous == "\u200d"
    )


@cache
def _attaching_pattern() -> re.Pattern[str]:
    """Every character that may belong to the one before it (combining marks, joiners, selectors,
    emoji modifiers), as one character class (built once; used to skip the slow path for plain text)."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) in ("Mn", "Mc", "Me") or _JOINING.match(char):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    body = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile(f"[{body}]")


def clusters(text: str) -> list[str]:
    """Split text into user-perceived characters (close enough for cutting and marking safely)."""
    if text.isascii() or not _attaching_pattern().search(text):
        return list(text)
    out: list[str] = []
    previous = ""
    for char in text:
        if out and _attaches(char, previous):
            out[-1] += char
        else:
            out.append(char)
        previous = char
    return out


def _is_word_char(char: str) -> bool:
    return char.isalnum() and not ("\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or char >= "\U00020000")


def find_marks(parts: Sequence[str], terms: Sequence[str]) -> list[tuple[int, int]]:
    """Half-open ranges of clusters ``[start, end)`` to mark, merged and in order."""
    if not terms or not parts:
        return []
    joined = "".join(parts)
    folded = normalise(joined)
    if len(parts) == len(joined) == len(folded) and not _JAMO.search(joined):
        # the common case (Chinese text with full-width punctuation, ASCII): no character combines with
        # another (one character per cluster, no conjoining jamo), so normalising can only keep or lengthen
        # each character; the same total length means each character became exactly one character
        norm = folded
        owner: Sequence[int] = range(len(parts))  # normalised character index → cluster index
        starts: range | set[int] = range(len(parts) + 1)  # normalised indices where a cluster begins
        ends: range | set[int] = starts  # … and where one ends (exclusive)
    else:
        pieces = [normalise(p) for p in parts]
        norm = "".join(pieces)
        owner = []
        starts, ends = set(), set()
        for index, piece in enumerate(pieces):
            starts.add(len(owner))
            owner.extend([index] * len(piece))
            ends.add(len(owner))
    spans: list[tuple[int, int]] = []
    for term in terms:
        if not term:
            continue
        bounded = _is_word_char(term[0]), _is_word_char(term[-1])
        at = norm.find(term)
        while at != -1:
            stop = at + len(term)
            aligned = at in starts and stop in ends
            # Latin words and numbers are whole words: "12" is not marked inside "2012"
            inside_word = (bounded[0] and at > 0 and _is_word_char(norm[at - 1])) or (
                bounded[1] and stop < len(norm) and _is_word_char(norm[stop])
            )
            if aligned and not inside_word:
                spans.append((owner[at], owner[stop - 1] + 1))
            at = norm.find(term, at + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:  # overlapping or adjacent
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _render(parts: Sequence[str], marks: Sequence[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for m_start, m_end in marks:
        if m_start < start or m_end > end:  # a word cut by the snippet's edge is shown, not marked
            continue
        out.append(escape("".join(parts[pos:m_start])))
        out.append("<mark>" + escape("".join(parts[m_start:m_end])) + "</mark>")
        pos = m_end
    out.append(escape("".join(parts[pos:end])))
    return "".join(out)


def highlight(text: str, terms: Sequence[str]) -> str:
    """The whole text, escaped, with the query words marked (for titles)."""
    parts = clusters(clean(text))
    return _render(parts, find_marks(parts, terms), 0, len(parts))


def snippet(text: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """At most ``width`` characters of the text (plus ``…`` where cut), centred on the first match."""
    shown = clean(text)
    if not shown:
        return ""
    window_start, window = _first_match_window(shown, terms, width)
    parts = clusters(window)
    marks = find_marks(parts, terms)
    if marks:
        first_start, first_end = marks[0]
        centre = (first_start + min(first_end, first_start + width)) // 2
        start = max(0, min(centre - width // 2, len(parts) - width))
    else:
        start = 0
    end = min(len(parts), start + width)
    head = ELLIPSIS if window_start > 0 or start > 0 else ""
    tail = ELLIPSIS if end < len(parts) or window_start + len(window) < len(shown) else ""
    return head + _render(parts, marks, start, end) + tail


def _first_match_window(shown: str, terms: Sequence[str], width: int) -> tuple[int, str]:
    """The part of a (possibly very long) text to cut the snippet from: around the first chunk that holds a
    query word, or the beginning. Short texts are returned whole."""
    margin = width * 2
    if len(shown) <= _SCAN_CHUNK + margin or not terms:
        return 0, _head(shown, _SCAN_CHUNK + margin)
    longest = max(len(t) for t in terms)
    for chunk_start in range(0, len(shown), _SCAN_CHUNK):
        chunk = normalise(shown[chunk_start : chunk_start + _SCAN_CHUNK + longest])
        if any(t in chunk for t in terms if t):
            lo = max(0, chunk_start - margin)
            hi = chunk_start + _SCAN_CHUNK + longest + margin
            while lo > 0 and _attaches(shown[lo], shown[lo - 1]):  # never start inside a character
                lo -= 1
            while hi < len(shown) and _attaches(shown[hi], shown[hi - 1]):
                hi += 1
            window = shown[lo:hi]
            if find_marks(clusters(window), terms):
                return lo, window
    return 0, _head(shown, _SCAN_CHUNK + margin)


def _head(shown: str, size: int) -> str:
    while size < len(shown) and _attaches(shown[size], shown[size - 1]):
        size += 1
    return shown[:size]
