"""Seeds trained together (``run/together.py``) against each seed's own one-seed ``search``: the
same first steps up to float32 rounding, for every optimizer it covers and both spaces; a study
killed with SIGKILL and rerun ends identical; finished seeds are reused; an epoch's commit
interrupted at any point is finished or undone."""

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sdarts_lite import get_optimizer, make_config, make_optimizer, search, supernet
from sdarts_lite.experiments.study import study
from sdarts_lite.run.together import SeedsTogether, StackedSupernet, commit_marker, recover, search_together

ROOT = Path(__file__).resolve().parents[2]
# A few steps: digits, 6 single-level steps or 3 bi-level pairs of 64 images in the one epoch.
FEW = dict(C=4, N=1, epochs=1, search_size=384, test_size=128)


def final_state(out: Path) -> dict:
    return torch.load(out / "checkpoint.pt", weights_only=False)["model"]


FLOAT32, FLOAT64 = (torch.float32, 1, 1e-5), (torch.float64, 3, 1e-10)


@pytest.mark.parametrize("space, mode, dtype, steps, tolerance", [
    *[("nb201", m, *precision) for m in ("single", "alternating", "split_joint", "bilevel1")
      for precision in (FLOAT32, FLOAT64)],
    ("darts", "single", *FLOAT32), ("darts", "bilevel1", *FLOAT32)])  # (darts in float64: a minute)
def test_each_seeds_first_steps_equal_its_own_steps(space, mode, dtype, steps, tolerance):
    """Three seeds' supernets stacked, and each alone, take the same steps on the same batches: in
    float32 the first step, to float32's rounding; in float64 three, to float64's (in float32 Adam's
    second step already divides by the root of squared gradients near its epsilon, where rounding
    can turn a step around)."""
    hyper = make_config("fashion").hyper  # alpha's learning rate high (0.1), so alpha moves
    size, batch = (12, 16) if space == "nb201" else (8, 8)
    models = []
    for seed in (3, 4, 5):
        torch.manual_seed(seed)
        C, N = (4, 1) if space == "nb201" else (2, 3)
        models.append(supernet(space, C, N, 10, 1, size).to(dtype))
    alone = [copy.deepcopy(m) for m in models]
    stacked = StackedSupernet(models)
    together = make_optimizer(mode, stacked, 10, hyper, mixin=SeedsTogether)
    each = [make_optimizer(mode, m, 10, hyper) for m in alone]
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        batches = [(torch.randn(3, batch, 1, size, size, generator=g, dtype=dtype),
                    torch.randint(0, 10, (3, batch), generator=g))
                   for _ in range(2 if get_optimizer(mode).uses_split else 1)]
        results = together.step(*batches)
        for i, (opt, model) in enumerate(zip(each, alone)):
            expected = opt.step(*[(x[i], y[i]) for x, y in batches])
            assert results[i].loss == pytest.approx(expected.loss, rel=10 * tolerance)
            assert results[i].alpha_grad_norm == pytest.approx(expected.alpha_grad_norm, rel=10 * tolerance)
            assert results[i].correct == expected.correct
            for name, tensor in model.state_dict().items():
                torch.testing.assert_close(stacked.seed_state(i)[name], tensor, rtol=tolerance,
                                           atol=tolerance, msg=name)
    assert not torch.equal(stacked.params["stem.0.weight"][0], stacked.params["stem.0.weight"][1])


@pytest.mark.parametrize("mode", ["single", "bilevel1"])
def test_a_search_together_writes_what_each_seed_s_own_search_writes(tmp_path, mode):
    """An epoch of three seeds together against each seed's own search: the same batches, records
    and checkpoint; the arithmetic is the last test's, so here float32's rounding, grown over the epoch's
    six steps by Adam, is let be up to a percent."""
    configs = [make_config("digits", optimizer=mode, seed=seed, **FEW) for seed in (3, 4, 5)]
    together = search_together(configs, [tmp_path / f"t{c.seed}" for c in configs], progress=False)
    for config, mine in zip(configs, together):
        alone = search(config, out=tmp_path / f"a{config.seed}", progress=False)
        got, expected = mine.epochs[0], alone.epochs[0]
        torch.testing.assert_close(torch.tensor(got.mixing), torch.tensor(expected.mixing), rtol=0, atol=1e-3)
        for name in ("train_loss", "valid_loss", "alpha_loss", "alpha_grad_norm", "w_lr"):
            assert getattr(got, name) == pytest.approx(getattr(expected, name), rel=1e-2), name
        assert mine.steps_per_epoch == alone.steps_per_epoch and mine.config == alone.config
        a, b = final_state(tmp_path / f"t{config.seed}"), final_state(tmp_path / f"a{config.seed}")
        assert a.keys() == b.keys()
        for key in a:
            torch.testing.assert_close(a[key].float(), b[key].float(), rtol=2e-2, atol=2e-2, msg=key)
        assert (tmp_path / f"t{config.seed}" / "history.json").is_file()


def test_what_seeds_trained_together_do_not_cover_is_refused(tmp_path):
    base = dict(preset="digits", **FEW)
    cases = [([make_config(**base, seed=0), make_config(**{**base, "C": 2}, seed=1)], "C=2"),
             ([make_config(**base, seed=0, optimizer="bilevel2")], "second order"),
             ([make_config(**base, seed=0, early_stop=True)], "early_stop"),
             ([make_config(**base, seed=0), make_config(**base, seed=0)], "each seed once")]
    for configs, match in cases:
        with pytest.raises(ValueError, match=match):
            search_together(configs, [tmp_path / str(i) for i in range(len(configs))], progress=False)


def test_an_interrupted_commit_is_finished_with_its_marker_and_undone_without(tmp_path):
    outs = [tmp_path / "g" / f"seed{s}" for s in (0, 1)]
    for out in outs:
        out.mkdir(parents=True)
        (out / "checkpoint.pt").write_text("epoch 1")
    (outs[0] / "checkpoint.next.pt").write_text("epoch 2")  # killed while writing the second
    recover(outs)
    assert [(o / "checkpoint.pt").read_text() for o in outs] == ["epoch 1", "epoch 1"]
    assert not (outs[0] / "checkpoint.next.pt").exists()
    (outs[1] / "checkpoint.next.pt").write_text("epoch 2")  # all written and marked, one put in place
    (outs[0] / "checkpoint.pt").write_text("epoch 2")
    commit_marker(outs).write_text("[]")
    recover(outs)
    assert [(o / "checkpoint.pt").read_text() for o in outs] == ["epoch 2", "epoch 2"]
    assert not commit_marker(outs).exists()


STUDY = ["study", "--modes", "single,bilevel1", "--budgets", "epochs", "--seeds", "2", "--epochs", "3",
         "--C", "2", "--N", "1", "--together", "2", "--quiet"]
RUNS = [f"{group}/seed{s}" for group in ("single-epochs", "bilevel1") for s in range(2)]


def study_cli(out):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sdarts_lite", *STUDY, "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def without_times(record):
    if isinstance(record, dict):
        return {k: without_times(v) for k, v in record.items() if k != "seconds"}
    return [without_times(v) for v in record] if isinstance(record, list) else record


def epochs_in(run: Path) -> int:
    try:
        return len(json.loads((run / "history.json").read_text())["epochs"])
    except (OSError, ValueError):
        return 0


def test_a_study_of_seeds_trained_together_killed_and_rerun_ends_identical(tmp_path):
    whole = study_cli(tmp_path / "whole")
    assert whole.wait(timeout=600) == 0, whole.stderr.read()
    killed, out = study_cli(tmp_path / "killed"), tmp_path / "killed"
    deadline = time.time() + 300
    while not epochs_in(out / RUNS[0]) >= 2:
        assert killed.poll() is None and time.time() < deadline, "the study ended before it could be killed"
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL and not (out / "summary.json").exists()
    rerun = study_cli(out)
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()
    for name in [f"{run}/history.json" for run in RUNS] + ["summary.json"]:
        a, b = (json.loads((folder / name).read_text()) for folder in (tmp_path / "whole", out))
        assert without_times(a) == without_times(b), name
    assert not list(out.rglob("checkpoint.next.pt")) and not list(out.rglob(".together-*"))


def test_finished_seeds_are_reused_and_the_same_chunks_train_together_on_a_rerun(tmp_path):
    settings = dict(preset="digits", budgets=["epochs"], C=2, N=1, epochs=1, together=2, progress=False)
    first, _ = study(["single"], seeds=2, out=tmp_path, **settings)
    runs = [tmp_path / "single-epochs" / f"seed{s}" for s in range(3)]
    stamps = [(r / "history.json").stat().st_mtime_ns for r in runs[:2]]
    more, _ = study(["single"], seeds=3, out=tmp_path, **settings)
    assert [(r / "history.json").stat().st_mtime_ns for r in runs[:2]] == stamps  # not searched again
    assert more["runs"]["single-epochs"][:2] == first["runs"]["single-epochs"]
    alone = search(make_config("digits", C=2, N=1, epochs=1, seed=2), progress=False)
    assert more["runs"]["single-epochs"][2]["seed"] == 2 and epochs_in(runs[2]) == len(alone.epochs)
