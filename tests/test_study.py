"""The study runner: parallel equals serial, reruns skip finished runs, Ray runs the same."""

import importlib.util
import json

import pytest

from sdarts_lite.study import study, summary_lines, sweep, sweep_settings

TINY = dict(C=4, N=1, epochs=2)


def final_alphas(out, modes, seeds):
    return {(m, s): json.loads((out / m / f"seed{s}" / "history.json").read_text())["epochs"][-1]["alphas"]
            for m in modes for s in range(seeds)}


def test_parallel_and_serial_studies_give_identical_results(tmp_path):
    modes = ["single", "bilevel1"]
    serial = study(modes, seeds=2, out=tmp_path / "serial", workers=1, progress=False, **TINY)
    parallel = study(modes, seeds=2, out=tmp_path / "parallel", workers=2, progress=False, **TINY)
    assert final_alphas(tmp_path / "serial", modes, 2) == final_alphas(tmp_path / "parallel", modes, 2)
    assert all(
        {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
        for m in modes for a, b in zip(serial["runs"][m], parallel["runs"][m]))
    summary = json.loads((tmp_path / "serial" / "summary.json").read_text())
    assert set(summary["summary"]) == set(modes) and summary["summary"]["single"]["seeds"] == 2
    stats = summary["summary"]["bilevel1"]["param_free_edges"]
    values = [r["param_free_edges"] for r in summary["runs"]["bilevel1"]]
    assert stats["mean"] == sum(values) / 2 and stats["min"] == min(values)
    line = summary_lines(summary)[1]
    assert line.startswith(" bilevel1: parameter-free edges") and f"(seeds: {values[0]} {values[1]})" in line
    report = (tmp_path / "serial" / "report.html").read_text()
    assert all(r["genotype"] in report for r in summary["runs"]["single"])


def test_a_rerun_skips_finished_runs_and_completes_the_rest(tmp_path):
    study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, **TINY)
    done = tmp_path / "single" / "seed0" / "history.json"
    stamp = done.stat().st_mtime_ns
    summary = study(["single"], seeds=2, out=tmp_path, workers=1, progress=False, **TINY)
    assert done.stat().st_mtime_ns == stamp  # seed 0 was not run again
    assert (tmp_path / "single" / "seed1" / "history.json").is_file()
    assert [r["seed"] for r in summary["runs"]["single"]] == [0, 1]


def test_lookup_adds_the_benchmark_accuracy_of_each_derived_cell(tmp_path, nb201_csv):
    summary = study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, nb201=nb201_csv, **TINY)
    run = summary["runs"]["single"][0]
    assert 0 < run["cifar10"] < 100 and summary["summary"]["single"]["cifar10"]["median"] == run["cifar10"]


def test_a_finished_run_with_other_settings_is_refused_not_mixed_in(tmp_path):
    study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, **TINY)
    with pytest.raises(ValueError, match=r"other settings \(arch_lr=0.003 \(now 0.01\)\)"):
        study(["single"], seeds=1, out=tmp_path, workers=1, progress=False, arch_lr=0.01, **TINY)


@pytest.mark.parametrize("kwargs, field", [(dict(modes=["trilevel"]), "modes"), (dict(seeds=0), "seeds"),
                                           (dict(backend="slurm"), "backend")])
def test_bad_study_settings_name_the_field(tmp_path, kwargs, field):
    args = {"modes": ["single"], "seeds": 1, **kwargs}
    with pytest.raises(ValueError, match=field):
        study(out=tmp_path, progress=False, **args, **TINY)


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed")
def test_ray_backend_matches_the_local_one(tmp_path):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        study(["bilevel1"], seeds=2, out=tmp_path / "ray", backend="ray", progress=False, **TINY)
    finally:
        ray.shutdown()
    study(["bilevel1"], seeds=2, out=tmp_path / "local", workers=1, progress=False, **TINY)
    local, remote = (final_alphas(tmp_path / d, ["bilevel1"], 2) for d in ("local", "ray"))
    assert local == remote


def test_sweep_varies_one_knob_at_a_time_and_tabulates_the_contrast(tmp_path):
    axes = {"N": [1], "arch_lr": [3e-3, 3e-2]}
    rows = sweep(axes, seeds=1, preset="digits", out=tmp_path / "runs", table=tmp_path / "sweep.md",
                 command="the command", workers=1, progress=False, C=4, epochs=1)
    assert [(r["N"], r["arch_lr"]) for r in rows] == [(1, 3e-3), (1, 3e-2)]  # the preset, then lr
    for row in rows:
        folder = tmp_path / "runs" / ("preset" if row["arch_lr"] == 3e-3 else "arch_lr-0.03")
        summary = json.loads((folder / "summary.json").read_text())
        edges = {m: summary["runs"][m][0]["param_free_edges"] for m in ("single", "bilevel1")}
        assert row["contrast"] == edges["bilevel1"] - edges["single"]
    table = (tmp_path / "sweep.md").read_text()
    assert "`the command`" in table and table.count("\n| 1 | 0.03 |") == 1
    assert json.loads((tmp_path / "sweep.json").read_text()) == rows


@pytest.mark.parametrize("axes, field", [({"bogus": [1]}, "bogus"), ({"N": 1}, "axes"), ({"N": []}, "axes")])
def test_bad_sweep_axes_name_the_problem(axes, field):
    with pytest.raises(ValueError, match=field):
        sweep_settings(axes, "digits")
