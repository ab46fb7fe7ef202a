"""The permutation test against a brute-force count written out plainly, and on cases whose
answer is known by hand."""

import itertools
import statistics

import numpy as np
import pytest

from sdarts_lite.analysis.stats import EXACT_LIMIT, bootstrap_difference, permutation_test, spread


def brute_force(a, b, f):
    """Every relabelling of the pooled values, one at a time."""
    pooled, k = a + b, len(a)
    observed = abs(f(b) - f(a))
    count = total = 0
    for first in itertools.combinations(range(len(pooled)), k):
        rest = [pooled[i] for i in range(len(pooled)) if i not in first]
        count += abs(f(rest) - f([pooled[i] for i in first])) >= observed - 1e-9
        total += 1
    return count / total


@pytest.mark.parametrize("statistic, f", [("mean", statistics.fmean), ("median", statistics.median)])
def test_exact_test_equals_brute_force(statistic, f):
    a = [2, 3, 3, 4, 6, 1, 3]
    b = [4, 5, 5, 6, 3, 6]
    assert permutation_test(a, b, statistic) == pytest.approx(brute_force(a, b, f), abs=1e-12)


def test_known_answers():
    # completely separated groups of 3: only the observed split and its mirror are as extreme
    assert permutation_test([1, 2, 3], [10, 11, 12]) == pytest.approx(2 / 20)
    assert permutation_test([1, 1, 1], [1, 1, 1]) == 1.0  # no difference at all
    # ten seeds each, completely separated: 2 of 184,756 splits
    assert permutation_test(list(range(10)), list(range(100, 110))) == pytest.approx(2 / 184756)


def test_large_groups_are_sampled_with_the_observed_split_counted():
    a, b = list(range(20)), list(range(100, 120))  # C(40, 20) splits: too many to enumerate
    p = permutation_test(a, b)
    assert p == pytest.approx(1 / (EXACT_LIMIT + 1))  # no sampled split is as extreme


def test_spread():
    assert spread([1, 2, 3, 6]) == {"mean": 3, "std": statistics.pstdev([1, 2, 3, 6]), "median": 2.5,
                                    "min": 1, "max": 6}


def test_the_interval_of_a_difference_resamples_each_group_on_its_own():
    a, b = [1.0, 2.0, 3.0, 4.0], [10.0, 11.0, 13.0, 14.0, 12.0]
    low, high = bootstrap_difference(a, b)
    # a plain resampling by hand: each group drawn with replacement from itself, 40,000 times
    rng = np.random.default_rng(1)
    draws = rng.choice(b, (40_000, len(b))).mean(1) - rng.choice(a, (40_000, len(a))).mean(1)
    assert (low, high) == pytest.approx(tuple(np.percentile(draws, [2.5, 97.5])), abs=0.1)
    assert low < np.mean(b) - np.mean(a) < high and low > 0
