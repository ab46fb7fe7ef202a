"""Nothing lost: a search killed with SIGKILL and resumed ends exactly where an uninterrupted
one does; an interrupted checkpoint write leaves the previous checkpoint loadable."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sdarts_lite import History, make_config, make_optimizer, search, supernet
from sdarts_lite.checkpoint import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["search", "--mode", "bilevel", "--epochs", "4", "--C", "4", "--N", "1", "--seed", "11",
        "--log-every", "3", "--quiet"]


def cli(out, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sdarts_lite", *ARGS, "--out", str(out), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def without_times(history: dict) -> dict:
    for record in history["epochs"]:
        record.pop("seconds")
    return history


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


def test_resume_in_process_continues_to_the_same_end(tmp_path):
    small = dict(mode="single", C=4, N=1, seed=2, progress=False)
    whole = search(epochs=3, **small)
    first = search(epochs=3, out=tmp_path, callback=lambda h: len(h.epochs) == 1, **small)
    assert first.stopped and len(first.epochs) == 1
    rest = search(epochs=3, out=tmp_path, resume=True, **small)
    assert [r.alphas for r in rest.epochs] == [r.alphas for r in whole.epochs]
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
        save_checkpoint(path, config, model, opt, torch.Generator(), History(config={"space": "nb201"}))
    monkeypatch.undo()
    assert (tmp_path / "checkpoint.pt.tmp").exists()
    restored = History(config={"space": "nb201"})
    model2 = supernet("nb201", 4, 1, 10, 1)
    load_checkpoint(path, config, model2, make_optimizer("single", model2, 2), torch.Generator(), restored)
    assert len(restored.epochs) == 1
    assert torch.equal(model2.alphas, before["model"]["alphas"])
