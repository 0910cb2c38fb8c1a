"""Near-identical documents: word shingles over jieba tokens, MinHash signatures, Jaccard estimates.

A document's text is segmented (rjieba by default; any ``tokenize(text) -> list[str]`` can be given), tokens that
are only punctuation or white space are dropped, and every run of ``k`` consecutive tokens is a shingle. A
shingle is hashed to 64 bits (BLAKE2b of its UTF-8 text: stable across processes and machines). The MinHash
signature keeps, for each of ``num_perm`` hash functions hᵢ(x) = mix64(x ⊕ sᵢ) (a random 64-bit seed per
function, mixed by the SplitMix64 finaliser), the minimum over the document's shingles; the share of equal
positions in two signatures estimates the Jaccard similarity of their shingle sets (standard error
≈ √(J(1−J)/num_perm)). (Linear hashes (a·x + b) mod p with small a were tried first: for a quarter of the
functions a·x never wraps, so they all pick the smallest x and the estimate collapses.) The exact Jaccard is
computed for pairs above the threshold, so what is reported is exact.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
_WORD = re.compile(r"\w", re.UNICODE)


def default_tokenize(text: str) -> list[str]:
    import rjieba

    return rjieba.cut(text)


def tokens(text: str, tokenize: Callable[[str], Sequence[str]] | None = None) -> list[str]:
    return [t for t in (tokenize or default_tokenize)(text) if _WORD.search(t)]


def shingles(text: str, k: int = 5, tokenize: Callable[[str], Sequence[str]] | None = None) -> set[str]:
    words = tokens(text, tokenize)
    if len(words) < k:
        return {"\u241f".join(words)} if words else set()
    return {"\u241f".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def hashes(shingle_set: set[str]) -> np.ndarray:
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(x.encode("utf-8"), digest_size=8).digest(), "little") for x in shingle_set),
        dtype=np.uint64,
        count=len(shingle_set),
    )


@dataclass(frozen=True)
class Permutations:
    seeds: np.ndarray

    @classmethod
    def make(cls, num_perm: int = 128, seed: int = 20260302) -> Permutations:
        rng = np.random.default_rng(seed)
        return cls(rng.integers(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64, endpoint=True))


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on arrays (uint64 arithmetic wraps, as intended)."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


def signature(values: np.ndarray, perms: Permutations) -> np.ndarray:
    """MinHash signature of 64-bit hashes (an empty set gets the all-max signature, similar to nothing)."""
    if values.size == 0:
        return np.full(perms.seeds.size, np.iinfo(np.uint64).max, dtype=np.uint64)
    return _mix(values.astype(np.uint64)[None, :] ^ perms.seeds[:, None]).min(axis=1)


def estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)
