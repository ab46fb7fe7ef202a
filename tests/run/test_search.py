import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sdarts_lite import (
    NB201_OPS,
    PRESETS,
    History,
    NB201Genotype,
    SearchConfig,
    make_config,
    search,
    supernet,
)
from sdarts_lite.analysis.measures import param_free_share

ROOT = Path(__file__).resolve().parents[2]
SMALL = dict(C=4, N=1, epochs=2, batch_size=64)


def run_cli(*args, cwd=ROOT, **env_vars):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_vars}
    return subprocess.run([sys.executable, "-m", "sdarts_lite", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_search_records_every_epoch_and_saves_a_loadable_history(tmp_path):
    h = search(optimizer="bilevel1", log_every=5, out=tmp_path, progress=False, **SMALL)
    assert [r.epoch for r in h.epochs] == [0, 1]
    for r in h.epochs:
        assert len(r.mixing) == 6 and all(len(row) == 5 for row in r.mixing)
        assert all(abs(sum(row) - 1) < 1e-5 for row in r.mixing)
        assert 0 <= r.valid_acc <= 100 and r.train_loss > 0 and r.seconds > 0
        NB201Genotype.parse(r.genotype)
    assert h.genotype == h.epochs[-1].genotype
    assert h.steps and {s.step % 5 for s in h.steps} == {0} and h.steps_per_epoch == 1438 // 2 // 64
    assert h.epochs[0].w_lr > h.epochs[1].w_lr  # cosine schedule
    loaded = History.load(tmp_path / "history.json")
    assert loaded == h
    assert (tmp_path / "checkpoint.pt").is_file()
    assert len(param_free_share(h)) == 2 and all(0 < s < 1 for s in param_free_share(h))


def test_single_sees_the_whole_search_set_and_bilevel_half_of_it():
    single = search(optimizer="single", progress=False, **SMALL)
    bilevel = search(optimizer="bilevel1", progress=False, log_every=1, **SMALL)
    assert len([s for s in bilevel.steps if s.epoch == 0]) == 1438 // 2 // 64
    single_steps = search(optimizer="single", progress=False, log_every=1, **SMALL).steps
    assert len([s for s in single_steps if s.epoch == 0]) == 1438 // 64
    assert single.config["optimizer"] == "single" and bilevel.config["optimizer"] == "bilevel1"


def test_a_step_budget_gives_single_level_as_many_steps_as_bilevel():
    epochs = search(optimizer="single", budget="epochs", progress=False, **SMALL)
    steps = search(optimizer="single", budget="steps", progress=False, **SMALL)
    bilevel = search(optimizer="bilevel1", budget="steps", progress=False, **SMALL)
    assert epochs.steps_per_epoch == 1438 // 64 and steps.steps_per_epoch == bilevel.steps_per_epoch == 11
    assert steps.config["budget"] == "steps" and epochs.config["budget"] == "epochs"


def test_every_epoch_records_alpha_s_signal_and_how_far_it_moved(tmp_path):
    """``alpha_step`` against the alphas saved in each epoch's checkpoint; single-level's alpha
    loss is its training loss (the same batches)."""
    saved = []
    h = search(optimizer="single", out=tmp_path, progress=False, seed=5, arch_lr=0.05, augment=1,
               callback=lambda hist: saved.append(torch.load(tmp_path / "checkpoint.pt", weights_only=False)
                                                   ["model"]["alphas"]), **SMALL)
    torch.manual_seed(5)
    start = supernet("nb201", SMALL["C"], SMALL["N"], 10, 1).alphas.detach()
    for record, before, after in zip(h.epochs, [start] + saved, saved):
        assert record.alpha_step == pytest.approx(float((after - before).norm()), rel=1e-5)
        assert record.alpha_loss == pytest.approx(record.train_loss, rel=1e-5)
        assert record.alpha_grad_norm > 0
    assert h.config["augment"] == 1
    assert all(0.2 <= d <= 1 for d in h.decisiveness())


@pytest.mark.parametrize("space, size", [("nb201", SMALL), ("darts", dict(SMALL, N=3))])
def test_sigmoid_relaxation_records_independent_op_weights(space, size):
    """Sigmoid weights are each op's own: rows no longer sum to one, and the derived cell follows
    the per-edge argmax, as under softmax."""
    h = search(space=space, activation="sigmoid", optimizer="single", arch_lr=0.05, progress=False, **size)
    rows = h.epochs[-1].mixing
    assert all(0 < w < 1 for row in rows for w in row)
    assert max(abs(sum(row) - 1) for row in rows) > 0.5  # about 5 x 0.5 (or 8 x 0.5) per row
    if space == "nb201":  # none does not compete under the sigmoid (below)
        learnable = [k for k, op in enumerate(NB201_OPS) if op != "none"]
        assert NB201Genotype.parse(h.genotype).ops == tuple(
            NB201_OPS[max(learnable, key=row.__getitem__)] for row in rows)
    assert 0 < param_free_share(h)[-1] < 1


def test_under_the_sigmoid_none_learns_nothing_and_is_not_derived():
    """``none``'s output is zero whatever its weight: under the sigmoid (no softmax coupling it to
    the others) its alpha gets no gradient, so without weight decay its weight never moves."""
    h = search(activation="sigmoid", optimizer="single", arch_lr=0.05, arch_weight_decay=0.0, progress=False,
               **SMALL)
    none = NB201_OPS.index("none")
    first, last = ([row[none] for row in r.mixing] for r in (h.epochs[0], h.epochs[-1]))
    assert first == last
    moved = max(abs(a - b) for r, s in zip(h.epochs[0].mixing, h.epochs[-1].mixing) for a, b in zip(r, s))
    assert moved > 0.01  # the other operations did learn
    assert "none" not in h.genotype and all("none" not in r.genotype for r in h.epochs)


def test_callback_can_stop_a_search():
    seen = []
    h = search(optimizer="single", progress=False, log_every=2,
               callback=lambda hist: seen.append(1) or len(seen) >= 3, **SMALL)
    assert h.stopped and len(seen) == 3 and h.epochs == []


def test_same_seed_same_history_in_process():
    a = search(optimizer="single", seed=3, progress=False, **SMALL)
    b = search(optimizer="single", seed=3, progress=False, **SMALL)
    c = search(optimizer="single", seed=4, progress=False, **SMALL)
    assert [r.mixing for r in a.epochs] == [r.mixing for r in b.epochs]
    assert [r.mixing for r in a.epochs] != [r.mixing for r in c.epochs]


def test_two_cli_runs_with_the_same_seed_write_identical_alphas(tmp_path):
    args = ["search", "--optimizer", "bilevel2", "--epochs", "2", "--C", "4", "--N", "1",
            "--seed", "7", "--quiet"]
    for name in ("a", "b"):
        proc = run_cli(*args, "--out", str(tmp_path / name))
        assert proc.returncode == 0, proc.stderr
        assert "genotype: |" in proc.stdout
    a, b = (json.loads((tmp_path / n / "history.json").read_text()) for n in ("a", "b"))
    assert [e["mixing"] for e in a["epochs"]] == [e["mixing"] for e in b["epochs"]]
    assert a["genotype"] == b["genotype"] and len(a["epochs"]) == 2
    assert len(a["epochs"][0]["mixing"]) == 6 and len(a["epochs"][0]["mixing"][0]) == 5
    assert (tmp_path / "a" / "checkpoint.pt").is_file()


def test_cli_compare_writes_a_report_and_prints_both_genotypes(tmp_path, path_without_dot):
    """With graphviz's ``dot`` hidden from PATH, the report still draws both derived cells."""
    proc = run_cli("compare", "--epochs", "2", "--C", "4", "--N", "1", "--quiet", "--out", str(tmp_path),
                   PATH=path_without_dot)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "|" in line]
    assert len(lines) == 2 and lines[0].strip().startswith("single:")
    report = (tmp_path / "report.html").read_text()
    for label in ("single", "bilevel1"):
        genotype = json.loads((tmp_path / label / "history.json").read_text())["genotype"]
        assert genotype in report and genotype in proc.stdout
    assert "plotly" in report.lower()
    start = report.index("<h2>Derived cells</h2>")
    cells = report[start:report.index("<div", start)]
    assert cells.count("<svg") == 2 and cells.count("</svg>") == 2 and "<path" in cells


def test_cli_reports_bad_values_without_a_traceback(tmp_path):
    proc = run_cli("search", "--epochs", "0", "--out", str(tmp_path))
    assert proc.returncode == 2 and "epochs" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("overrides, field", [
    (dict(optimizer="trilevel"), "optimizer"), (dict(mode="bilevel"), "mode"),
    (dict(space="darts2"), "space"),
    (dict(epochs=0), "epochs"), (dict(batch_size=-4), "batch_size"), (dict(C=0), "C"),
    (dict(N=2.5), "N"), (dict(arch_lr=float("nan")), "arch_lr"), (dict(w_lr=-0.1), "w_lr"),
    (dict(w_lr=float("inf")), "w_lr"), (dict(bogus=1), "bogus"), (dict(activation="tanh"), "activation"),
    (dict(dataset="mnist"), "dataset"), (dict(image_size=2), "image_size"), (dict(seed=-1), "seed"),
    (dict(budget="minutes"), "budget"), (dict(augment=-1), "augment"), (dict(augment=1.5), "augment"),
])
def test_bad_settings_name_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        make_config("digits", **overrides)


def test_a_misspelt_override_of_a_config_is_refused():
    with pytest.raises(ValueError, match="unknown setting.*epoch; allowed"):
        search(make_config("digits"), epoch=3)


def test_a_preset_is_its_settings_on_the_recipe():
    """Every preset holds each setting it names, and differs from the recipe (SearchConfig's
    defaults) in nothing else; the paper's preset is the recipe itself."""
    recipe = SearchConfig().settings()
    for name, preset in PRESETS.items():
        made = make_config(name).settings()
        assert {k for k, v in made.items() if v != recipe[k]} <= set(preset), name
        assert all(made[k] == v for k, v in preset.items()), name
    assert make_config("nb201-cifar10") == SearchConfig()
