"""The indicator analysis on made-up study runs whose answers are known: Spearman's rho against
scipy's ``spearmanr``, p-values against counts worked out by hand, the 2x2 count by construction."""

import pytest
from scipy import stats

from sdarts_lite.analysis.indicator import collapsed, paired_test, rank_correlation, sharpness_indicator


def record(seed, lam, acc, pf_edges, es_epoch=None, acc_es=None):
    return {"seed": seed, "lambda_max": lam, "cifar10": acc, "param_free_edges": pf_edges, "edges": 6,
            "es_epoch": es_epoch, "cifar10_es": acc if acc_es is None else acc_es}


def summary():
    """Bi-level: sharp, collapsed (5 parameter-free edges), DARTS-ES fires and keeps cells 10 points
    better.  Single-level: flat, 2 parameter-free edges, DARTS-ES fires in seeds 0 and 1 only, keeping
    cells 1 point worse."""
    bilevel = [record(s, 2.0 + s / 10, 60.0 - s, 5, es_epoch=9, acc_es=70.0 - s) for s in range(6)]
    single = [record(s, 0.5 + s / 10, 93.0 - s / 10, 2, es_epoch=9 if s < 2 else None,
                     acc_es=92.0 - s / 10 if s < 2 else None) for s in range(6)]
    return {"runs": {"single-steps": single, "bilevel1": bilevel}}


def test_the_four_answers_on_runs_with_known_ones():
    result = sharpness_indicator(summary())
    sep = result["separation"]["single-steps vs bilevel1"]
    assert sep["mean"] == pytest.approx(0.75) and sep["reference_mean"] == pytest.approx(2.25)
    assert sep["p"] == pytest.approx(2 / 924)  # the observed split and its mirror, of C(12, 6)
    everything = summary()["runs"]["single-steps"] + summary()["runs"]["bilevel1"]
    rho = stats.spearmanr([r["lambda_max"] for r in everything], [r["cifar10"] for r in everything]).statistic
    assert result["correlation"]["all runs"]["rho"] == pytest.approx(rho) and rho < -0.8
    assert result["correlation"]["all runs"]["p"] < 0.001
    assert result["correlation"]["bilevel1"]["rho"] == pytest.approx(-1.0)  # within: the sharper, the worse
    assert result["early_stop"] == {"collapsed, fired": 6, "collapsed, not fired": 0,
                                    "kept convolutions, fired": 2, "kept convolutions, not fired": 4}
    kept = result["kept_cells"]
    assert kept["bilevel1"] | {"p": None} == {"fired": 6, "runs": 6, "final_median": 57.5,
                                              "kept_median": 67.5, "mean_gain": 10.0, "p": None}
    assert kept["bilevel1"]["p"] == pytest.approx(2 / 64)  # all +10: only all-plus and all-minus as extreme
    assert kept["single-steps"]["fired"] == 2 and kept["single-steps"]["mean_gain"] == pytest.approx(-1.0)


def test_a_paired_test_and_a_correlation_without_an_effect_find_none():
    assert paired_test([1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0]) == pytest.approx(1.0)
    assert paired_test([1.0], [5.0]) == 1.0  # one pair is no evidence
    rho, p = rank_correlation([1, 2, 3, 4, 5, 6], [3, 1, 6, 2, 5, 4])
    assert rho == pytest.approx(stats.spearmanr([1, 2, 3, 4, 5, 6], [3, 1, 6, 2, 5, 4]).statistic)
    assert p > 0.3


def test_collapse_is_a_majority_of_parameter_free_edges_and_unmeasured_studies_are_refused():
    assert collapsed({"param_free_edges": 4, "edges": 6})
    assert not collapsed({"param_free_edges": 3, "edges": 6})
    runs = {"runs": {"bilevel1": [{"param_free_edges": 3, "edges": 6}]}}
    with pytest.raises(ValueError, match="did not measure lambda_max"):
        sharpness_indicator(runs)
