"""Numbers over seeds: the spread of a measure, and a permutation test of a difference.

With ten seeds per optimizer, no distribution can be assumed; the permutation test assumes none.
If the optimizer made no difference, every way of splitting the pooled 20 values into two groups
of ten would be as likely as the split observed.  The p-value is the share of splits whose
difference is at least as large (in absolute value: two-sided) as the observed one.
"""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np

STATISTICS = {"mean": np.mean, "median": np.median}
EXACT_LIMIT = 200_000  # splits to enumerate; beyond, a fixed-seed sample of as many


def spread(values: list[float]) -> dict:
    """Mean, standard deviation (of the values, not of the mean), median and range."""
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values),
            "median": statistics.median(values), "min": min(values), "max": max(values)}


def permutation_test(a: list[float], b: list[float], statistic: str = "mean") -> float:
    """Two-sided p-value of ``statistic(b) - statistic(a)`` under random relabelling: exact (every
    split) for up to ``EXACT_LIMIT`` splits, else from that many random splits (seed 0), the
    observed split counted once more."""
    f = STATISTICS[statistic]
    pooled = np.asarray(list(a) + list(b), dtype=np.float64)
    n, k = len(pooled), len(a)
    exact = math.comb(n, k) <= EXACT_LIMIT
    if exact:
        first = np.array(list(itertools.combinations(range(n), k)))
    else:
        rng = np.random.default_rng(0)
        first = np.argsort(rng.random((EXACT_LIMIT, n)), axis=1)[:, :k]
    in_a = np.zeros((len(first), n), dtype=bool)
    in_a[np.arange(len(first))[:, None], first] = True
    rows = np.broadcast_to(pooled, in_a.shape)
    diffs = f(rows[~in_a].reshape(-1, n - k), axis=1) - f(rows[in_a].reshape(-1, k), axis=1)
    observed = f(pooled[k:]) - f(pooled[:k])
    as_large = int(np.sum(np.abs(diffs) >= abs(observed) - 1e-9))
    return as_large / len(first) if exact else (as_large + 1) / (len(first) + 1)
