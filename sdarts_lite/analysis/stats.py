"""Numbers over seeds: the spread of a measure, and a permutation test of a difference.

With ten seeds per optimizer, no distribution can be assumed; the permutation test assumes none.
If the optimizer made no difference, every way of splitting the pooled 20 values into two groups
of ten would be as likely as the split observed.  The p-value is the share of splits whose
difference is at least as large (in absolute value: two-sided) as the observed one
(``scipy.stats.permutation_test``).
"""

from __future__ import annotations

import statistics

import numpy as np
from scipy import stats

STATISTICS = {"mean": np.mean, "median": np.median}
EXACT_LIMIT = 200_000  # splits to enumerate; beyond, a fixed-seed sample of as many
TIES = 9  # decimals: differences equal to that many decimals are ties (float sums in another order differ)


def spread(values: list[float]) -> dict:
    """Mean, standard deviation (of the values, not of the mean), median and range."""
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values),
            "median": statistics.median(values), "min": min(values), "max": max(values)}


def permutation_test(a: list[float], b: list[float], statistic: str = "mean") -> float:
    """Two-sided p-value of ``statistic(b) - statistic(a)`` under random relabelling: exact (every
    split) for up to ``EXACT_LIMIT`` splits, else from that many random splits (seed 0), the
    observed split counted once more.  A group of one value is not tested (p = 1: a single seed is
    no evidence, and scipy's test needs two values per group)."""
    if min(len(a), len(b)) < 2:
        return 1.0
    f = STATISTICS[statistic]

    def difference(x, y, axis):  # |statistic(b) - statistic(a)|: "greater" is then two-sided
        return np.round(np.abs(f(y, axis=axis) - f(x, axis=axis)), TIES)

    result = stats.permutation_test((np.asarray(a, float), np.asarray(b, float)), difference,
                                    permutation_type="independent", vectorized=True,
                                    n_resamples=EXACT_LIMIT, alternative="greater", random_state=0)
    return float(result.pvalue)


def bootstrap_interval(values: list[float], level: float = 0.95,
                       resamples: int = 10_000) -> tuple[float, float]:
    """A percentile bootstrap interval of the mean of ``values`` (seed 0, so it is the same on every
    machine): resample the seeds with replacement, and read the middle ``level`` of the means."""
    if len(set(values)) < 2:
        return float(values[0]), float(values[0])
    result = stats.bootstrap((np.asarray(values, float),), np.mean, confidence_level=level,
                             method="percentile", n_resamples=resamples, vectorized=True, random_state=0)
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def bootstrap_difference(a: list[float], b: list[float], level: float = 0.95,
                         resamples: int = 10_000) -> tuple[float, float]:
    """A percentile bootstrap interval of ``mean(b) - mean(a)`` for two independent groups (each
    resampled on its own; seed 0)."""
    result = stats.bootstrap((np.asarray(a, float), np.asarray(b, float)),
                             lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis),
                             confidence_level=level, method="percentile", n_resamples=resamples,
                             vectorized=True, random_state=0)
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
