"""A sixth optimizer costs one declaration: a toy one (the same batch, in turn, but w first), its
step and its ``register_optimizer`` line written here, is built, searched, studied, offered by the
command line and the widgets and named in figures, without a line of the package changed; its
steps equal a plain hand-written w-first step."""

from __future__ import annotations

import pytest
import torch.nn.functional as F

import sdarts_lite as sl
from sdarts_lite.exercises.implement import check_step
from sdarts_lite.experiments.factors import levels
from sdarts_lite.frontends.cli import main
from sdarts_lite.frontends.widgets import SearchPanel
from sdarts_lite.method.optimizers import OPTIMIZERS
from sdarts_lite.pictures import palette


class WFirst(sl.Optimizer):
    """The same batch, in turn, w first: w steps on B, then alpha on B at the new w."""

    def step(self, batch):
        loss, logits, w_grads = self.loss_and_grads(batch, self.weights)
        self.update_weights(w_grads)
        alpha_loss, _, alpha_grads = self.loss_and_grads(batch, self.alphas)
        self.update_alphas(alpha_grads)
        return self.result(loss, logits, batch[1], alpha_loss, alpha_grads)


TOY = sl.OptimizerSpec("w_first", WFirst, data="same", schedule="in turn", label="same batch, w first (toy)",
                       colour="#283593")


@pytest.fixture
def toy_optimizer():
    sl.register_optimizer(TOY)  # the one declaration
    yield TOY
    OPTIMIZERS.pop("w_first")


def w_first_by_hand(model, w_opt, alpha_opt, batch, held_out):
    """The reference: plain autograd and the two torch optimizers, nothing of the kit's step
    (``check_step`` runs both without clipping)."""
    x, y = batch
    w_opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    for a in model.arch_parameters():
        a.grad = None
    w_opt.step()
    alpha_opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    alpha_opt.step()


def test_its_steps_equal_a_hand_written_w_first_step(toy_optimizer):
    assert "every w and alpha equals" in check_step(w_first_by_hand, "w_first", "the toy")


def test_it_is_searched_studied_and_named_as_the_others_are(toy_optimizer, tmp_path, one_thread):
    """In this process (workers=1): worker processes start afresh and know only what the package
    declares, as with a toy space."""
    summary, runs = sl.study(["w_first", "single"], seeds=1, preset="digits", budgets=["steps"], epochs=1,
                             C=2, N=1, sharpness_every=0, workers=1, out=tmp_path, progress=False)
    (h,) = runs["w_first-steps"]
    assert h.config["optimizer"] == "w_first" and h.epochs[0].alpha_step > 0
    assert h.epochs[0].mixing != runs["single-steps"][0].epochs[0].mixing  # its own step, not single's
    assert palette.label("w_first-steps") == "same batch, w first (toy)"
    assert palette.colour("w_first") == "#283593"
    assert "same batch, w first (toy)" in {t.name for t in sl.study_figure(summary).data}
    assert levels("w_first", "sigmoid") == {"data": "same", "schedule": "in turn", "relaxation": "sigmoid"}
    assert ("same batch, w first (toy)", "w_first") in SearchPanel(preset="laptop").optimizer.options


def test_the_command_line_offers_and_searches_it(toy_optimizer, tmp_path, one_thread):
    assert main(["search", "--optimizer", "w_first", "--C", "2", "--N", "1", "--epochs", "1",
                 "--sharpness-every", "0", "--quiet", "--out", str(tmp_path)]) == 0
    assert sl.History.load(tmp_path / "history.json").config["optimizer"] == "w_first"


def test_without_its_declaration_it_is_refused():
    with pytest.raises(ValueError, match="optimizer: unknown 'w_first'; allowed: single, alternating"):
        sl.make_config("digits", optimizer="w_first")


def test_a_declaration_is_checked_when_made():
    with pytest.raises(ValueError, match="data: unknown 'validation'"):
        sl.OptimizerSpec("bad", WFirst, data="validation", schedule="in turn", label="bad", colour="#000000")
    with pytest.raises(ValueError, match="order: unknown 2"):
        sl.OptimizerSpec("bad", WFirst, data="same", schedule="in turn", label="bad", colour="#000", order=2)
    with pytest.raises(ValueError, match="already registered"):
        sl.register_optimizer(sl.get_optimizer("single"))
