"""Small statistics the indicators share: quartiles as Cardinal computes them, Tukey fences, tail probabilities,
Benjamini–Hochberg, Gini. Pure Python + NumPy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def quantile(values: Sequence[float] | np.ndarray, tau: float) -> float:
    """The quantile estimator of Cardinal's statistics library (statrs ``Data::quantile``, Hyndman–Fan type 8,
    "median unbiased"): h = (n + 1/3)·τ + 1/3; below the first order statistic → the minimum, beyond the last →
    the maximum, otherwise linear interpolation between x₍⌊h⌋₎ and x₍⌊h⌋+1₎. NaN for an empty population."""
    data = np.sort(np.asarray(values, dtype=float))
    n = data.size
    if n == 0 or not 0.0 <= tau <= 1.0:
        return math.nan
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    hf = int(h)
    if hf <= 0 or tau == 0.0:
        return float(data[0])
    if hf >= n or tau == 1.0:
        return float(data[-1])
    a, b = data[hf - 1], data[hf]
    return float(a + (h - hf) * (b - a))


@dataclass(frozen=True)
class Fences:
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def lower(self) -> float:
        return self.q1 - 1.5 * self.iqr

    @property
    def upper(self) -> float:
        return self.q3 + 1.5 * self.iqr


def tukey(values: Sequence[float] | np.ndarray) -> Fences:
    return Fences(quantile(values, 0.25), quantile(values, 0.75))


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def round4(x: float | None) -> float | None:
    """Cardinal rounds its Meta values to 4 decimals, (x · 10⁴).round() / 10⁴ with Rust's rounding (half away
    from zero, not Python's half to even); NaN → null in its JSON."""
    x = finite_or_none(x)
    if x is None:
        return None
    scaled = x * 10_000.0
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled) / 10_000.0


# -- tails ----------------------------------------------------------------------------------------------------------


def poisson_sf(observed: int, mean: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(mean)."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    # 1 − P(X ≤ observed − 1), summed in log space for stability
    total = 0.0
    log_term = -mean
    for k in range(observed):
        if k:
            log_term += math.log(mean) - math.log(k)
        total += math.exp(log_term)
    return max(0.0, min(1.0, 1.0 - total))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def hypergeom_sf(observed: int, population: int, successes: int, draws: int) -> float:
    """P(X ≥ observed) for X ~ Hypergeometric(population, successes, draws): the chance that two firms with
    ``successes`` and ``draws`` bids among ``population`` processes meet in at least ``observed`` of them by
    chance."""
    lo = max(0, draws - (population - successes))
    hi = min(successes, draws)
    if observed <= lo:
        return 1.0
    if observed > hi:
        return 0.0
    denominator = _log_comb(population, draws)
    total = 0.0
    for k in range(observed, hi + 1):
        total += math.exp(_log_comb(successes, k) + _log_comb(population - successes, draws - k) - denominator)
    return max(0.0, min(1.0, total))


def bh_adjust(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order."""
    m = len(pvalues)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


def gini(counts: Sequence[float]) -> float:
    """Gini coefficient of non-negative counts (0 = perfectly equal shares)."""
    x = np.sort(np.asarray(counts, dtype=float))
    n = x.size
    if n == 0 or x.sum() == 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)
