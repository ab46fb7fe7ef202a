"""The confirmation's analysis (issue 34) on studies whose answers are worked out by hand."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sdarts_lite.analysis.confirm import BILEVEL, SINGLE, both_rules, both_rules_table, confirm, confirm_table


def study(single: dict, bilevel: dict, seeds=range(5)) -> dict:
    """A study's runs from per-measure value lists, one record per seed."""
    def records(values):
        return [{"seed": s, **{m: v[k] for m, v in values.items()}} for k, s in enumerate(seeds)]
    return {"runs": {SINGLE: records(single), BILEVEL: records(bilevel)}}


SINGLE_VALUES = {"param_free_edges": [1, 1, 2, 1, 2], "live_param_ops": [4, 4, 3, 5, 4],
                 "param_free_share": [0.45, 0.5, 0.4, 0.45, 0.5], "cifar10": [93.0, 92.0, 91.0, 93.0, 90.0]}
BILEVEL_VALUES = {"param_free_edges": [5, 6, 5, 4, 5], "live_param_ops": [1, 0, 1, 2, 1],
                  "param_free_share": [0.8, 0.85, 0.75, 0.7, 0.8], "cifar10": [60.0, 80.0, 70.0, 93.0, 75.0]}


def test_targets_odds_and_paired_differences():
    result = confirm(study(SINGLE_VALUES, BILEVEL_VALUES))
    met = {t["target"]: t["met"] for t in result["targets"]}
    assert met == {"bi-level parameter-free edges": True,            # mean 5.0 >= 4.5
                   "single-level parameter-free edges": True,        # mean 1.4 <= 1.5
                   "single-level live parameterised operations": True,  # mean 4.0 >= 3
                   "parameter-free share, single-level minus bi-level": True,  # -0.33 <= -0.25
                   "NAS-Bench-201 CIFAR-10 mean gap, single-level minus bi-level": True}  # +16.2 >= 10
    gap = result["measures"]["cifar10"]["difference"]
    assert gap["mean"] == pytest.approx(np.mean([33, 12, 21, 0, 15]))
    reference = stats.bootstrap((np.array([33.0, 12, 21, 0, 15]),), np.mean, method="percentile",
                                n_resamples=10_000, random_state=0).confidence_interval
    assert (gap["low"], gap["high"]) == pytest.approx((reference.low, reference.high))
    assert result["odds"] == {"higher": 4, "equal": 1, "seeds": 5}
    assert result["seeds"] == [0, 1, 2, 3, 4]


def test_a_gap_whose_interval_reaches_zero_misses_however_large_its_mean():
    bilevel = {**BILEVEL_VALUES, "cifar10": [93.5, 93.0, 30.0, 93.5, 92.0]}  # one seed carries the mean
    gap = next(t for t in confirm(study(SINGLE_VALUES, bilevel))["targets"] if t["measure"] == "cifar10")
    assert gap["mean"] == pytest.approx(np.mean([-0.5, -1.0, 61.0, -0.5, -2.0])) and gap["mean"] >= 10
    assert gap["low"] <= 0 and gap["met"] is False


def test_missing_measures_are_left_out_and_unpaired_seeds_refused():
    s = study({"param_free_edges": [1, 2, 3]}, {"param_free_edges": [5, 5, 5]}, seeds=[0, 1, 2])
    result = confirm(s)
    assert result["seeds"] == [0, 1, 2] and list(result["measures"]) == ["param_free_edges"]
    assert result["measures"]["param_free_edges"]["difference"]["mean"] == pytest.approx(-3.0)
    assert "odds" not in result and [t["measure"] for t in result["targets"]] == ["param_free_edges"] * 2
    s["runs"][BILEVEL] = s["runs"][BILEVEL][1:]  # bi-level has seeds 1 and 2 only
    with pytest.raises(ValueError, match="different seeds"):
        confirm(s)


def test_the_table_marks_each_target_and_states_the_odds():
    bilevel = {**BILEVEL_VALUES, "param_free_edges": [4, 4, 4, 4, 5]}
    table = confirm_table(confirm(study(SINGLE_VALUES, bilevel)))
    assert "| bi-level parameter-free edges | 4.20 [" in table and table.count("| missed |") == 1
    assert "scores higher than bi-level's in 4 of 5 seeds (1 equal)" in table


def weights(*winners: tuple[str, str]) -> list[list[float]]:
    """Mixing weights of the six NAS-Bench-201 edges: per edge the winner gets 0.6, the runner-up 0.3."""
    ops = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    rows = []
    for first, second in winners:
        row = [0.05] * 5
        row[ops.index(first)], row[ops.index(second)] = 0.6, 0.3
        rows.append([w / sum(row) for w in row])
    return rows


def test_both_rules_derive_the_recorded_weights_again_by_hand():
    conv = ("nor_conv_3x3", "skip_connect")
    # with none: |conv~0|+|conv~0|conv~1|+|pool~0|none~1|none~2|, 3 parameter-free edges, nodes 1 and 2
    # dead, so no convolution reaches the output; without: none's runner-up, a convolution, on 1->3 and 2->3
    cut = weights(conv, conv, conv, ("avg_pool_3x3", "none"), *[("none", "nor_conv_3x3")] * 2)
    whole = weights(*[conv] * 6)  # every edge a convolution under both rules
    result = both_rules({"g": [{"weights": cut}, {"weights": whole}]})
    means = {rule: {m: v["mean"] for m, v in row.items()} for rule, row in result["g"].items()}
    assert means == {"with `none`": {"param_free_edges": 1.5, "live_param_ops": 3.0},
                     "without `none`": {"param_free_edges": 0.5, "live_param_ops": 5.5}}
    assert "| g | without `none` | 0.50 [" in both_rules_table(result)


def test_both_rules_give_back_what_the_confirmation_s_searches_derived_under_their_own_rule():
    path = Path(__file__).parents[2] / "assets/study-fashion-confirm/summary.json"
    summary = json.loads(path.read_text())
    result = both_rules(summary["runs"])
    for group, records in summary["runs"].items():
        for m in ("param_free_edges", "live_param_ops"):
            assert result[group]["without `none`"][m]["mean"] == pytest.approx(
                sum(r[m] for r in records) / len(records))
