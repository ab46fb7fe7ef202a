"""The factor study's analysis on records whose effects are known by construction, and the whole
design run once on tiny searches."""

import itertools

import pytest

from sdarts_lite.experiments.factors import (
    FACTORS,
    OPTIMIZERS,
    factor_study,
    interactions,
    levels,
    main_effects,
)


def records(value, seeds=8):
    """One record per (optimizer, relaxation, seed) whose measure is ``value(levels, seed)``."""
    out = []
    for mode, relaxation, seed in itertools.product(OPTIMIZERS, FACTORS["relaxation"], range(seeds)):
        lv = levels(mode, relaxation)
        out.append({"levels": lv, "param_free_edges": value(lv, seed)})
    return out


def noise(seed):
    return (seed % 4 - 1.5) / 10  # the same small spread in every cell


def test_the_design_is_balanced_two_levels_per_factor_eight_cells():
    cells = {tuple(levels(m, r).values()) for m, r in itertools.product(OPTIMIZERS, FACTORS["relaxation"])}
    assert len(cells) == 8 == 2 ** len(FACTORS)


def test_a_main_effect_of_data_alone_is_found_and_no_other():
    rs = records(lambda lv, s: (4.0 if lv["data"] == "held-out" else 1.0) + noise(s))
    effects = main_effects(rs, ["param_free_edges"])
    assert effects["data"]["param_free_edges"]["effect"] == pytest.approx(3.0)
    assert effects["data"]["param_free_edges"]["p"] < 1e-3
    for factor in ("schedule", "relaxation"):
        assert effects[factor]["param_free_edges"]["effect"] == pytest.approx(0.0, abs=1e-12)
        assert effects[factor]["param_free_edges"]["p"] > 0.5
    for pair in interactions(rs, ["param_free_edges"]).values():
        assert pair["param_free_edges"]["interaction"] == pytest.approx(0.0, abs=1e-12)


def test_an_interaction_collapse_only_when_held_out_and_in_turn_is_found():
    """Collapse (+3) only in DARTS' corner: each main effect is 1.5, and so is the interaction, half
    the difference between data's effect in turn (3) and together (0)."""
    rs = records(lambda lv, s: (4.0 if (lv["data"], lv["schedule"]) == ("held-out", "in turn") else 1.0)
                 + noise(s))
    effects = main_effects(rs, ["param_free_edges"])
    assert effects["data"]["param_free_edges"]["effect"] == pytest.approx(1.5)
    assert effects["schedule"]["param_free_edges"]["effect"] == pytest.approx(1.5)
    pairs = interactions(rs, ["param_free_edges"])
    assert pairs["data x schedule"]["param_free_edges"]["interaction"] == pytest.approx(1.5)
    assert pairs["data x schedule"]["param_free_edges"]["p"] < 0.01
    assert pairs["data x relaxation"]["param_free_edges"]["interaction"] == pytest.approx(0.0, abs=1e-12)


def test_the_whole_design_runs_once_on_tiny_searches(tmp_path, one_thread):
    result = factor_study(seeds=1, first_seed=0, preset="digits", out=tmp_path, progress=False,
                          epochs=1, C=2, N=1, sharpness_every=0, workers=1)
    assert len(result["runs"]) == 8
    assert {(r["mode"], r["levels"]["relaxation"]) for r in result["runs"]} == \
        set(itertools.product(OPTIMIZERS, FACTORS["relaxation"]))
    assert set(result["main_effects"]) == set(FACTORS) and len(result["interactions"]) == 3
    assert (tmp_path / "softmax" / "split_joint" / "seed0" / "history.json").is_file()
    assert (tmp_path / "sigmoid" / "alternating-steps" / "seed0" / "history.json").is_file()
