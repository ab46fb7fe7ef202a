"""The lesson's lines, on a made-up study whose every number is worked out by hand."""

import pytest

from sdarts_lite.analysis.confirm import paired
from sdarts_lite.analysis.stats import bootstrap_interval
from sdarts_lite.pictures.lesson import lesson_lines

CELL = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def run(seed, edges, share, acc):
    return dict(seed=seed, genotype=CELL, edges=6, param_free_edges=edges, param_free_share=share,
                cifar10=acc)


SUMMARY = {"preset": "toy", "runs": {
    "single-steps": [run(2, 1, 0.5, 93.0), run(0, 1, 0.5, 91.0), run(1, 1, 0.5, 92.0)],
    "bilevel1": [run(1, 5, 0.8, 62.0), run(0, 5, 0.8, 81.0), run(2, 5, 0.8, 93.5)]}}


def test_runs_are_paired_by_seed_not_by_position():
    assert paired(SUMMARY, "cifar10", "single-steps", "bilevel1") == ([91.0, 92.0, 93.0], [81.0, 62.0, 93.5])


def test_the_lines_by_hand():
    lines = lesson_lines(SUMMARY)
    # equal values: the interval is the value itself; 3 against 3 fully separated: 2 of the 20 splits
    assert "- 3 seeds (0-2) per optimizer, preset `toy`, cells derived `none` allowed" in lines[0]
    assert ("bi-level, 1st order (DARTS-V1) 5.0 [5.0, 5.0], single-level 1.0 [1.0, 1.0] (chance 3.6; p = 0.1)"
            in lines[1])
    assert "0.80 [0.80, 0.80] against 0.50 [0.50, 0.50] (uniform alpha 0.60; p = 0.1)" in lines[2]
    # gaps by seed: 91-81 = 10, 92-62 = 30, 93-93.5 = -0.5; mean 13.2 (to one decimal)
    assert "the gap, paired by seed, +13.2 [" in lines[3]
    assert "For scale: a random cell scores 90.75% (median; quartiles 87.62-92.19)" in lines[3]
    assert "scored higher in 2 of 3 seeds;" in lines[4]
    # targets: bi-level's 5 >= 4.5, single's 1 <= 1.5, the share's -0.3 <= -0.25 met; the gap's mean is
    # above 10, but one bootstrap draw in 27 is seed 2's -0.5 three times, so the interval reaches it
    assert lines[5] == ("- The targets fixed before these seeds ran (`analysis/confirm.py`): 3 of 4 met; "
                        "missed: NAS-Bench-201 CIFAR-10 mean gap, single-level minus bi-level "
                        "13.17 [-0.50, 30.00], "
                        "against >= 10 with its interval excluding 0.")


def test_live_operations_get_their_line_and_the_rule_without_none_its_random_cell():
    summary = {"preset": "toy", "runs": {key: [{**r, "live_param_ops": 4 if key == "single-steps" else 1,
                                                "exclude_none": True} for r in runs]
                                         for key, runs in SUMMARY["runs"].items()}}
    lines = lesson_lines(summary)
    assert "cells derived without `none`" in lines[0] and "(chance 3.0;" in lines[1]
    assert lines[2].startswith("- Operations with parameters that reach the output, of 6: single-level "
                               "4.0 [4.0, 4.0], bi-level, 1st order (DARTS-V1) 1.0 [1.0, 1.0] (p = 0.1)")
    assert "a random cell scores 91.39% (median; quartiles 88.42-92.63)" in lines[4]


def test_unpaired_seeds_are_refused():
    bad = {"preset": "toy", "runs": {"single-steps": SUMMARY["runs"]["single-steps"],
                                     "bilevel1": [run(7, 5, 0.8, 60.0)] * 3}}
    with pytest.raises(ValueError, match="different seeds"):
        lesson_lines(bad)


def test_the_bootstrap_interval_holds_the_mean_and_is_the_same_each_time():
    values = [1.0, 2.0, 4.0, 8.0, 16.0]
    low, high = bootstrap_interval(values)
    assert low < sum(values) / 5 < high and 1.0 <= low and high <= 16.0
    assert bootstrap_interval(values) == (low, high)
