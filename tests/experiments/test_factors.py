"""The factor study's analysis on records whose effects are known by construction, and the whole
design run once on tiny searches."""

import itertools
import json

import pytest

from sdarts_lite import factor_figure
from sdarts_lite.experiments.factors import (
    CONTROL_MODES,
    CORNERS,
    FACTORS,
    data_parts,
    data_parts_table,
    factor_study,
    factor_table,
    interactions,
    levels,
    main_effects,
    save_factors,
)
from sdarts_lite.frontends.cli import main
from sdarts_lite.pictures import palette


def records(value, seeds=8):
    """One record per (optimizer, relaxation, seed) whose measure is ``value(levels, seed)``."""
    out = []
    for mode, relaxation, seed in itertools.product(CORNERS, FACTORS["relaxation"], range(seeds)):
        lv = levels(mode, relaxation)
        out.append({"mode": mode, "levels": lv, "param_free_edges": value(lv, seed)})
    return out


def noise(seed):
    return (seed % 4 - 1.5) / 10  # the same small spread in every cell


def test_the_design_is_balanced_two_levels_per_factor_eight_cells():
    cells = {tuple(levels(m, r).values()) for m, r in itertools.product(CORNERS, FACTORS["relaxation"])}
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


def result_of(rs):
    return {"preset": "fashion", "seeds": 8, "first_seed": 200, "factors": FACTORS,
            "optimizers": {m: tuple(levels(m, "softmax").values())[:2] for m in CORNERS},
            "seconds": 1.0, "runs": rs, "main_effects": main_effects(rs, ["param_free_edges"]),
            "interactions": interactions(rs, ["param_free_edges"])}


def test_the_tables_and_the_figure_show_the_cells_and_effects_built_in(tmp_path):
    """Collapse (6 edges) only in DARTS' corner under the softmax, 1 edge elsewhere: the tables show
    that cell's mean and the effects worked out by hand: each side of a factor pools 32 runs, and
    one side holds the 8 collapsed ones, so every main effect and interaction is 5 x 8 / 32 = 1.25."""
    rs = records(lambda lv, s: 6.0 if (lv["data"], lv["schedule"], lv["relaxation"]) ==
                 ("held-out", "in turn", "softmax") else 1.0)
    for r in rs:
        r["seconds"] = 10.0
    result = result_of(rs)
    table = factor_table(result)
    assert "| bilevel1 | held-out | in turn | softmax | 6.00 |" in table
    assert "| bilevel1 | held-out | in turn | sigmoid | 1.00 |" in table
    assert "| data (same → held-out) | +1.25 (p = " in table
    assert "| relaxation (softmax → sigmoid) | -1.25 (p = " in table
    assert "| data x schedule | +1.25 (p = " in table and "| data x relaxation | -1.25 (p = " in table
    path = save_factors(result, tmp_path / "f" / "factors.json", "python -m sdarts_lite factors --x")
    saved = json.loads(path.read_text())
    assert next(iter(saved)) == "command" and saved["command"] == "python -m sdarts_lite factors --x"
    md = path.with_suffix(".md").read_text()
    assert "Reproduce with: `python -m sdarts_lite factors --x`" in md and table in md
    fig = factor_figure(result, "param_free_edges")
    cells = {t.name: sorted(zip(t.x, t.y)) for t in fig.data if t.xaxis == "x"}
    named = {palette.label(m): m for m in CORNERS}  # the figure names optimizers as every figure does
    assert cells[palette.label("softmax")] == sorted([(palette.label(m), 6.0 if m == "bilevel1" else 1.0)
                                                      for m in CORNERS] * 8)
    assert cells[palette.label("sigmoid")] == sorted([(palette.label(m), 1.0) for m in CORNERS] * 8)
    assert set(named) == {x for trace in fig.data if trace.xaxis == "x" for x in trace.x}
    pooled = [t for t in fig.data if t.xaxis != "x"]
    assert [sorted(set(t.x)) for t in pooled] == [sorted(v) for v in FACTORS.values()]
    assert all(len(t.y) == 64 for t in pooled)
    assert "+1.25 (p = " in fig.layout.annotations[1].text  # data's main effect, in its panel's title


def test_the_command_runs_the_whole_design_on_tiny_searches_and_reuses_it(tmp_path, one_thread, capsys):
    args = ["factors", "--preset", "digits", "--seeds", "1", "--first-seed", "0", "--epochs", "1", "--C", "2",
            "--N", "1", "--sharpness-every", "0", "--workers", "1", "--quiet", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "data (same -> held-out): parameter-free edges" in out and "8 runs in" in out
    result = json.loads((tmp_path / "factors.json").read_text())
    assert result["command"] == "python -m sdarts_lite " + " ".join(args)
    assert len(result["runs"]) == 8
    assert {(r["mode"], r["levels"]["relaxation"]) for r in result["runs"]} == \
        set(itertools.product(CORNERS, FACTORS["relaxation"]))
    assert set(result["main_effects"]) == set(FACTORS) and len(result["interactions"]) == 3
    assert (tmp_path / "split_joint" / "seed0" / "history.json").is_file()
    history = json.loads((tmp_path / "sigmoid" / "alternating-steps" / "seed0" / "history.json").read_text())
    assert history["config"]["activation"] == "sigmoid" and history["config"]["optimizer"] == "alternating"
    assert main([*args, "--summary", str(tmp_path / "again.json")]) == 0  # every run reused
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["runs"] == result["runs"] and (tmp_path / "again.md").is_file()


def test_the_half_data_control_splits_the_data_effect_in_two():
    # under the softmax: same data on all images 1.0, on half of them 2.0, held-out 5.0 (+ a small
    # spread); the sigmoid's runs are left out of the split
    result = {"runs": [{**r, "cifar10": r["param_free_edges"] + 50} for r in records(
        lambda lv, seed: (1.0 if lv["data"] == "same" else 5.0) + noise(seed)
        + (100 if lv["relaxation"] == "sigmoid" else 0))]}
    control = {"runs": {m: [{"param_free_edges": 2.0 + noise(s), "cifar10": 52.0 + noise(s)}
                            for s in range(8)] for m in CONTROL_MODES}}
    parts = data_parts(result, control)
    edges = parts["param_free_edges"]
    assert edges["means"] == pytest.approx({"all images": 1.0, "half the images": 2.0, "held-out": 5.0},
                                           abs=1e-9)
    assert edges["w sees half the images"]["difference"] == pytest.approx(1.0, abs=1e-9)
    assert edges["alpha learns from held-out images"]["difference"] == pytest.approx(3.0, abs=1e-9)
    assert edges["the data effect (both)"]["difference"] == pytest.approx(4.0, abs=1e-9)
    for part in ("w sees half the images", "alpha learns from held-out images"):
        row = edges[part]
        assert row["low"] < row["difference"] < row["high"] and row["p"] < 0.01
    assert list(parts) == ["param_free_edges", "cifar10"]
    table = data_parts_table(parts)
    assert "| parameter-free edges of the derived cell | +1.00 [" in table and "(p = " in table


def test_the_factor_study_refuses_a_rule_that_differs_between_relaxations():
    with pytest.raises(ValueError, match="the factor study compares relaxations under one rule"):
        factor_study(seeds=1, derivation="auto")
