"""The study runner: parallel equals serial, reruns skip finished runs, Ray runs the same."""

import importlib.util
import json
import shlex

import pytest
import torch

from sdarts_lite import History, live_param_ops, make_config, search
from sdarts_lite.analysis.measures import summary_lines
from sdarts_lite.analysis.stats import permutation_test
from sdarts_lite.experiments.study import StudyResult, histories, study
from sdarts_lite.experiments.sweep import sweep, sweep_settings, target_rows
from sdarts_lite.experiments.workers import side_by_side
from sdarts_lite.frontends.cli import main
from sdarts_lite.pictures.reports import write_study_report

TINY = dict(C=4, N=1, epochs=2, budgets=["epochs"])


def final_alphas(out, groups, seeds):
    return {(g, s): json.loads((out / g / f"seed{s}" / "history.json").read_text())["epochs"][-1]["mixing"]
            for g in groups for s in seeds}


def test_parallel_and_serial_studies_give_identical_results(tmp_path):
    modes, groups = ["single", "bilevel1"], ["single-epochs", "bilevel1"]
    serial = study(modes, seeds=2, out=tmp_path / "serial", workers=1, progress=False, **TINY)
    parallel = study(modes, seeds=2, out=tmp_path / "parallel", workers=2, progress=False, **TINY)
    assert isinstance(serial, StudyResult)
    assert final_alphas(tmp_path / "serial", groups, [0, 1]) == \
        final_alphas(tmp_path / "parallel", groups, [0, 1])
    assert all(
        {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
        for g in groups for a, b in zip(serial.summary["runs"][g], parallel.summary["runs"][g]))
    summary = json.loads((tmp_path / "serial" / "summary.json").read_text())
    assert summary == json.loads(json.dumps(serial.summary))
    assert serial.histories == histories(summary, tmp_path / "serial")  # returned = read back
    assert [len(runs) for runs in serial.histories.values()] == [2, 2]
    assert list(summary["summary"]) == groups and summary["summary"]["single-epochs"]["seeds"] == 2
    stats = summary["summary"]["bilevel1"]["param_free_edges"]
    values = [r["param_free_edges"] for r in summary["runs"]["bilevel1"]]
    assert stats["mean"] == sum(values) / 2 and stats["min"] == min(values)
    line = summary_lines(summary)[1]
    assert line.startswith("     bilevel1: parameter-free edges")
    assert f"(seeds: {values[0]} {values[1]})" in line
    single = [r["param_free_edges"] for r in summary["runs"]["single-epochs"]]
    contrast = summary["contrasts"]["single-epochs vs bilevel1"]["param_free_edges"]
    assert contrast["difference"] == sum(single) / 2 - sum(values) / 2
    assert contrast["p"] == permutation_test(values, single)
    report = write_study_report(summary, histories(summary, tmp_path / "serial"), tmp_path / "report.html")
    assert all(r["genotype"] in report.read_text() for r in summary["runs"]["single-epochs"])


def test_searches_side_by_side_equal_searches_one_after_another_on_one_thread(tmp_path):
    """``compare`` (and so ``make demo``) runs its two searches at once, one thread each."""
    configs = {name: make_config("digits", optimizer=mode, C=4, N=1, epochs=2, seed=3)
               for name, mode in (("single", "single"), ("bilevel", "bilevel1"))}
    both = side_by_side({name: (c, tmp_path / name) for name, c in configs.items()}, progress=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        serial = {name: search(c, progress=False) for name, c in configs.items()}
    finally:
        torch.set_num_threads(threads)
    assert list(both) == ["single", "bilevel"]
    for name in configs:
        assert [r.mixing for r in both[name].epochs] == [r.mixing for r in serial[name].epochs]
        assert [r.train_loss for r in both[name].epochs] == [r.train_loss for r in serial[name].epochs]
        assert (tmp_path / name / "history.json").is_file()


def test_single_level_runs_once_per_budget_and_seeds_start_where_asked(tmp_path):
    summary, _ = study(["single", "bilevel1"], seeds=2, first_seed=100, out=tmp_path, workers=2,
                       progress=False, **{**TINY, "budgets": ["steps", "epochs"], "epochs": 1})
    assert list(summary["runs"]) == ["single-steps", "single-epochs", "bilevel1"]
    assert [r["seed"] for r in summary["runs"]["bilevel1"]] == [100, 101]
    assert summary["config"]["single-steps"]["budget"] == "steps"
    assert summary["config"]["single-epochs"]["budget"] == "epochs"
    assert (tmp_path / "single-steps" / "seed101" / "history.json").is_file()
    assert set(summary["contrasts"]) == {"single-steps vs bilevel1", "single-epochs vs bilevel1"}


def test_a_rerun_skips_finished_runs_and_completes_the_rest(tmp_path):
    study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, **TINY)
    done = tmp_path / "single-epochs" / "seed0" / "history.json"
    stamp = done.stat().st_mtime_ns
    summary, runs = study(["single"], seeds=2, out=tmp_path, workers=1, progress=False, **TINY)
    assert done.stat().st_mtime_ns == stamp  # seed 0 was not run again
    assert (tmp_path / "single-epochs" / "seed1" / "history.json").is_file()
    assert [r["seed"] for r in summary["runs"]["single-epochs"]] == [0, 1]
    assert [h.config["seed"] for h in runs["single-epochs"]] == [0, 1]  # the skipped run's history too


def test_lookup_adds_the_benchmark_accuracy_of_each_derived_cell(tmp_path, nb201_csv):
    summary, _ = study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, nb201_table=nb201_csv,
                       **TINY)
    run = summary["runs"]["single-epochs"][0]
    assert 0 < run["cifar10"] < 100
    assert summary["summary"]["single-epochs"]["cifar10"]["median"] == run["cifar10"]


def test_a_finished_run_with_other_settings_is_refused_not_mixed_in(tmp_path):
    study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, **TINY)
    with pytest.raises(ValueError, match=r"other settings \(arch_lr=0.003 \(now 0.01\)\)"):
        study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, arch_lr=0.01, **TINY)


@pytest.mark.parametrize("kwargs, field", [(dict(modes=["trilevel"]), "modes"), (dict(seeds=0), "seeds"),
                                           (dict(backend="slurm"), "backend"),
                                           (dict(first_seed=-1), "first_seed"),
                                           (dict(budgets=["hours"]), "budgets")])
def test_bad_study_settings_name_the_field(tmp_path, kwargs, field):
    args = {"modes": ["single"], "seeds": 1, **TINY, **kwargs}
    with pytest.raises(ValueError, match=field):
        study(out=tmp_path, progress=False, **args)


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed")
def test_ray_backend_matches_the_local_one(tmp_path):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        study(["bilevel1"], seeds=2, out=tmp_path / "ray", backend="ray", progress=False, **TINY)
    finally:
        ray.shutdown()
    study(["bilevel1"], seeds=2, out=tmp_path / "local", workers=1, progress=False, **TINY)
    local, remote = (final_alphas(tmp_path / d, ["bilevel1"], [0, 1]) for d in ("local", "ray"))
    assert local == remote


def test_sweep_varies_one_knob_at_a_time_and_tabulates_the_contrast(tmp_path):
    axes = {"N,C": [[1, 4], [2, 2]], "arch_lr": [3e-3, 3e-2], "budget": ["steps"]}
    rows = sweep(axes, seeds=1, preset="digits", base={"C": 4}, out=tmp_path / "runs",
                 table=tmp_path / "sweep.md", command="the command", workers=1, progress=False, epochs=1)
    assert [r["setting"] for r in rows] == ["start", "N,C-2,2", "arch_lr-0.03", "budget-steps"]
    for row in rows:
        summary = json.loads((tmp_path / "runs" / row["setting"] / "summary.json").read_text())
        # the preset's budget: epochs
        single = "single-steps" if row["setting"] == "budget-steps" else "single-epochs"
        assert list(summary["runs"]) == [single, "bilevel1"]
        edges = {g: summary["runs"][g][0]["param_free_edges"] for g in summary["runs"]}
        assert row["contrast"] == edges["bilevel1"] - edges[single]
        assert row["targets"] == f"{sum(r['met'] for r in target_rows(summary))}/5"
    deeper = json.loads((tmp_path / "runs" / "N,C-2,2" / "summary.json").read_text())["config"]["bilevel1"]
    assert (deeper["N"], deeper["C"], deeper["hyper"]["arch_lr"]) == (2, 2, 3e-3)
    table = (tmp_path / "sweep.md").read_text()
    assert "`the command`" in table and table.count("\n| arch_lr-0.03 |") == 1 and '{"C": 4}' in table
    assert json.loads((tmp_path / "sweep.json").read_text()) == rows


def test_the_sweep_tables_command_pastes_back_into_a_shell(tmp_path):
    """Its JSON arguments are quoted: the line, split as a shell splits it, is the command that ran."""
    argv = ["sweep", "--preset", "digits", "--base", '{"C": 4, "epochs": 1}', "--axes", '{"arch_lr": [0.01]}',
            "--seeds", "1", "--modes", "single", "--workers", "1", "--out", str(tmp_path / "runs"),
            "--table", str(tmp_path / "sweep.md"), "--quiet"]
    assert main(argv) == 0
    lines = (tmp_path / "sweep.md").read_text().splitlines()
    line = next(t for t in lines if t.startswith("Regenerate with"))
    assert shlex.split(line.split("`")[1]) == ["python", "-m", "sdarts_lite", *argv]


@pytest.mark.parametrize("axes, field", [({"bogus": [1]}, "bogus"), ({"N": 1}, "axes"), ({"N": []}, "axes"),
                                         ({"N,C": [[1]]}, "N,C")])
def test_bad_sweep_axes_name_the_problem(axes, field):
    with pytest.raises(ValueError, match=field):
        sweep_settings(axes, "digits")


def test_targets_are_read_against_the_summary_with_their_bounds():
    stats = lambda **means: {m: {"mean": v, "median": v} for m, v in means.items()}  # noqa: E731
    summary = {"summary": {"single-steps": stats(param_free_edges=1.5, param_free_share=0.58),
                           "bilevel1": stats(param_free_edges=4.0, param_free_share=0.69, decisiveness=0.5)},
               "contrasts": {"single-steps vs bilevel1": {"cifar10": {"difference": 6.0, "p": 0.05}}},
               "config": {"single-steps": {"dataset": "digits"}, "bilevel1": {"dataset": "digits"}}}
    met = {(r["group"], r["target"]): r["met"] for r in target_rows(summary)}
    assert met == {("bilevel1", "mean param_free_edges >= 4"): True,
                   ("bilevel1", "mean param_free_share >= 0.7"): False,
                   ("bilevel1", "mean decisiveness >= 0.35"): True,
                   ("single-steps", "mean param_free_edges <= 1.5"): True,
                   ("single-steps", "mean param_free_share <= 0.57"): False,
                   ("single-steps vs bilevel1", "median CIFAR-10 gap >= 5, p < 0.05"): False}  # p not below


def test_a_fashion_study_is_held_to_the_fashion_targets():
    """Each dataset's lesson has its own targets: Fashion-MNIST's ask more of both optimizers, and
    hold single-level to them at bi-level's step count only."""
    stats = lambda **means: {m: {"mean": v} for m, v in means.items()}  # noqa: E731
    groups = {"single-steps": (1.0, 0.52, 0.31), "single-epochs": (3.0, 0.6, 0.2),
              "bilevel1": (4.5, 0.74, 0.45)}
    summary = {"summary": {g: stats(param_free_edges=e, param_free_share=s, decisiveness=d)
                           for g, (e, s, d) in groups.items()},
               "contrasts": {"single-steps vs bilevel1": {"cifar10": {"difference": 16.0, "p": 0.005}},
                             "single-epochs vs bilevel1": {"cifar10": {"difference": 1.0, "p": 0.5}}},
               "config": {g: {"dataset": "fashion"} for g in ("single-steps", "single-epochs", "bilevel1")}}
    met = {(r["group"], r["target"]): r["met"] for r in target_rows(summary)}
    assert met == {("single-steps", "mean param_free_edges <= 1.5"): True,
                   ("single-steps", "mean param_free_share <= 0.5"): False,
                   ("single-steps", "mean decisiveness >= 0.3"): True,
                   ("bilevel1", "mean param_free_edges >= 4.5"): True,
                   ("bilevel1", "mean param_free_share >= 0.75"): False,
                   ("bilevel1", "mean decisiveness >= 0.45"): True,
                   ("single-steps vs bilevel1", "median CIFAR-10 gap >= 15, p < 0.01"): True}


def test_the_study_command_writes_the_lesson_s_targets_and_records_what_a_reanalysis_needs(tmp_path, capsys):
    argv = ["study", "--preset", "digits", "--modes", "single,bilevel1", "--budgets", "steps", "--seeds", "2",
            "--epochs", "1", "--C", "4", "--workers", "1", "--quiet", "--out", str(tmp_path)]
    main(argv)
    table = (tmp_path / "confirm.md").read_text()
    assert f"Reproduce with: `python -m sdarts_lite {shlex.join(argv)}`" in table
    assert "| single-level live parameterised operations |" in table and "| p |" in table
    assert "| single-level live parameterised operations |" in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    for record in summary["runs"]["single-steps"]:
        again = History.load(tmp_path / "single-steps" / f"seed{record['seed']}" / "history.json")
        assert record["weights"] == again.epochs[-1].mixing and record["exclude_none"] is False
        assert record["live_param_ops"] == live_param_ops(record["genotype"])


@pytest.mark.parametrize("damage_checkpoint", [False, True], ids=["resumed", "searched-again"])
def test_a_damaged_run_is_resumed_or_searched_again_and_the_other_runs_are_kept(tmp_path, damage_checkpoint):
    first, _ = study(["single"], seeds=2, out=tmp_path, workers=1, progress=False, **TINY)
    kept, damaged = (tmp_path / "single-epochs" / f"seed{s}" for s in (0, 1))
    stamp = (kept / "history.json").stat().st_mtime_ns
    text = (damaged / "history.json").read_text()
    (damaged / "history.json").write_text(text[: len(text) // 2])  # cut short, as by a crash mid-write
    if damage_checkpoint:
        (damaged / "checkpoint.pt").write_bytes(b"not a checkpoint")
    again, _ = study(["single"], seeds=2, out=tmp_path, workers=1, progress=False, **TINY)
    assert (kept / "history.json").stat().st_mtime_ns == stamp  # seed 0 was not run again
    assert (damaged / "history.json.damaged").read_text() == text[: len(text) // 2]
    assert (damaged / "checkpoint.pt.damaged").is_file() == damage_checkpoint
    # resumed from the last epoch's checkpoint, or searched again on this machine's one thread: the same run
    # (as in test_parallel_and_serial_studies_give_identical_results), all but its time
    def untimed(summary):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in summary["runs"]["single-epochs"]]
    assert untimed(again) == untimed(first)
