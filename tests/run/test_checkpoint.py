"""Nothing lost: a search, or a study of parallel searches, killed with SIGKILL and run again ends
exactly where an uninterrupted one does; an interrupted checkpoint write leaves the previous
checkpoint loadable."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sdarts_lite import make_config, make_optimizer, search, supernet
from sdarts_lite.run.checkpoint import load_checkpoint, save_checkpoint
from sdarts_lite.run.search import new_history

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["search", "--optimizer", "bilevel1", "--epochs", "4", "--C", "4", "--N", "1", "--seed", "11",
        "--log-every", "3", "--quiet"]


def cli(out, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sdarts_lite", *ARGS, "--out", str(out), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def without_times(record):
    """A history or summary (plain JSON) without its wall-clock ``seconds``."""
    if isinstance(record, dict):
        return {k: without_times(v) for k, v in record.items() if k != "seconds"}
    return [without_times(v) for v in record] if isinstance(record, list) else record


def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path):
    whole = cli(tmp_path / "whole")
    assert whole.wait(timeout=300) == 0, whole.stderr.read()

    killed = cli(tmp_path / "killed")
    history = tmp_path / "killed" / "history.json"
    deadline = time.time() + 240
    while not (history.exists() and len(json.loads(history.read_text())["epochs"]) >= 2):
        assert killed.poll() is None and time.time() < deadline, "the search ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.3)  # into the third epoch
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    assert len(json.loads(history.read_text())["epochs"]) < 4

    resumed = cli(tmp_path / "killed", "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    a = without_times(json.loads((tmp_path / "whole" / "history.json").read_text()))
    b = without_times(json.loads(history.read_text()))
    assert a == b and len(a["epochs"]) == 4


STUDY = ["study", "--modes", "single,bilevel1", "--budgets", "epochs", "--seeds", "1", "--epochs", "3",
         "--C", "2", "--N", "1", "--log-every", "3", "--workers", "2", "--quiet"]
RUNS = ("single-epochs/seed0", "bilevel1/seed0")


def study_cli(out):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sdarts_lite", *STUDY, "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def epochs_in(run: Path) -> int:
    path = run / "history.json"
    return len(json.loads(path.read_text())["epochs"]) if path.exists() else 0


def proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, parent, ...); None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def workers_of(pid: int) -> list[int]:
    """The worker processes a study process started (its children running multiprocessing's spawn)."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
            and (stat := proc_stat(int(p.name))) and stat[1] == str(pid)
            and b"spawn_main" in (p / "cmdline").read_bytes()]


def saved_files(out: Path) -> dict:
    return {f"{run}/{name}": (out / run / name).read_bytes() for run in RUNS for name in
            ("history.json", "checkpoint.pt") if (out / run / name).exists()}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the workers in /proc")
def test_a_study_killed_mid_epoch_reruns_to_the_histories_and_summary_of_an_uninterrupted_one(tmp_path):
    """Issue 16: SIGKILL the study while both runs are mid-epoch in their worker processes; the
    workers die with it (no file changes after the kill), and the same command run again resumes
    each run from its last epoch to exactly the histories and summary of a study never killed."""
    whole = study_cli(tmp_path / "whole")
    assert whole.wait(timeout=600) == 0, whole.stderr.read()

    killed, out = study_cli(tmp_path / "killed"), tmp_path / "killed"
    deadline = time.time() + 300
    while not any(epochs_in(out / run) for run in RUNS):  # a run has its first checkpoint
        assert killed.poll() is None and time.time() < deadline, "the study ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.2)  # into the next epoch
    workers = workers_of(killed.pid)
    assert len(workers) == 2
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    at_kill = saved_files(out)
    deadline = time.time() + 120
    while any((stat := proc_stat(pid)) and stat[0] != "Z" for pid in workers):  # gone, or a zombie
        assert time.time() < deadline, "a worker outlived the killed study"
        time.sleep(0.05)
    assert saved_files(out) == at_kill, "a worker went on writing after the study was killed"
    assert any(epochs_in(out / run) < 3 for run in RUNS) and not (out / "summary.json").exists()

    rerun = study_cli(out)
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()
    for name in [f"{run}/history.json" for run in RUNS] + ["summary.json"]:
        a, b = (json.loads((folder / name).read_text()) for folder in (tmp_path / "whole", out))
        assert without_times(a) == without_times(b), name
    assert epochs_in(out / RUNS[0]) == epochs_in(out / RUNS[1]) == 3


def test_resume_in_process_continues_to_the_same_end(tmp_path):
    small = dict(optimizer="single", C=4, N=1, seed=2, progress=False)
    whole = search(epochs=3, **small)
    first = search(epochs=3, out=tmp_path, callback=lambda h: len(h.epochs) == 1, **small)
    assert first.stopped and len(first.epochs) == 1
    rest = search(epochs=3, out=tmp_path, resume=True, **small)
    assert [r.mixing for r in rest.epochs] == [r.mixing for r in whole.epochs]
    assert rest.genotype == whole.genotype


def test_an_interrupted_checkpoint_write_leaves_the_previous_one_loadable(tmp_path, monkeypatch):
    config = make_config("digits", C=4, N=1, epochs=2, seed=5)
    search(config, out=tmp_path, progress=False, callback=lambda h: len(h.epochs) == 1)
    path = tmp_path / "checkpoint.pt"
    before = torch.load(path, weights_only=False)

    def killed_before_rename(src, dst):
        raise KeyboardInterrupt("killed between the temporary file and the rename")

    monkeypatch.setattr(os, "replace", killed_before_rename)
    model = supernet("nb201", 4, 1, 10, 1)
    opt = make_optimizer("single", model, 2)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, config, model, opt, torch.Generator(), new_history(config))
    monkeypatch.undo()
    assert (tmp_path / "checkpoint.pt.tmp").exists()
    restored = new_history(config)
    model2 = supernet("nb201", 4, 1, 10, 1)
    load_checkpoint(path, config, model2, make_optimizer("single", model2, 2), torch.Generator(), restored)
    assert len(restored.epochs) == 1
    assert torch.equal(model2.alphas, before["model"]["alphas"])
