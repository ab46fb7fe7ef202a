"""Run a search: a supernet, an optimizer, a dataset, an epoch loop that records a History.

Each epoch ends with the softmax alphas, the derived cell and the supernet's accuracy on the
held-out split appended to the history; with ``out`` the history (``history.json``) and a
checkpoint (``checkpoint.pt``) are written there at every epoch end.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .checks import non_negative_int, non_negative_number, one_of, positive_int, positive_number
from .data import DATASETS, Batches, ImageData, load_dataset
from .history import EpochRecord, History, StepRecord
from .optimizers import MODES, ORDERS, make_optimizer
from .relaxation import check_activation
from .spaces import check_space, ops_and_edges, supernet


@dataclass
class SearchConfig:
    """Everything that decides a search.  Defaults: the NAS-Bench-201 DARTS recipe."""

    space: str = "nb201"
    mode: str = "single"          # "single" (Single-DARTS) or "bilevel" (DARTS)
    order: int = 1                # bilevel only: 1 first-order, 2 second-order (unrolled)
    dataset: str = "cifar10"      # "digits", "cifar10", "cifar100"
    image_size: int | None = None  # resize images (None: keep the dataset's size)
    C: int = 16                   # channels of the first stage
    N: int = 5                    # cells per stage
    epochs: int = 50
    batch_size: int = 64
    w_lr: float = 0.025           # SGD, cosine-annealed to w_lr_min
    w_lr_min: float = 0.001
    momentum: float = 0.9
    nesterov: bool = True
    w_weight_decay: float = 5e-4
    grad_clip: float = 5.0
    arch_lr: float = 3e-4         # Adam on alpha
    arch_betas: tuple[float, float] = (0.5, 0.999)
    arch_weight_decay: float = 1e-3
    activation: str = "softmax"   # alpha -> mixing weights: "softmax" (DARTS) or "sigmoid"
    augment: int | None = None    # random shifts of up to so many pixels (None: the dataset's own,
                                  # CIFAR's pad-4 crop and flip; digits and shapes: none)
    budget: str = "epochs"        # single-level: "epochs" (the whole search set per epoch) or "steps"
                                  # (as many steps per epoch, of as many images, as bi-level takes)
    seed: int = 0
    log_every: int = 0            # also record alphas every k steps (0: per epoch only)

    def validate(self) -> SearchConfig:
        """Refuse values no search can run with, naming the field."""
        check_space(self.space)
        check_activation(self.activation)
        one_of("mode", self.mode, MODES)
        one_of("order", self.order, ORDERS)
        one_of("dataset", self.dataset, DATASETS)
        one_of("budget", self.budget, BUDGETS)
        if self.augment is not None:
            non_negative_int("augment", self.augment)
        if self.image_size is not None:
            positive_int("image_size", self.image_size, minimum=4)
        for name in ("C", "N", "epochs", "batch_size"):
            positive_int(name, getattr(self, name))
        for name in ("w_lr", "arch_lr", "grad_clip"):
            positive_number(name, getattr(self, name))
        for name in ("w_lr_min", "momentum", "w_weight_decay", "arch_weight_decay"):
            non_negative_number(name, getattr(self, name))
        non_negative_int("log_every", self.log_every)
        non_negative_int("seed", self.seed)
        return self


BUDGETS = ("epochs", "steps")


# Presets: named starting points; any field can still be overridden.
PRESETS: dict[str, dict] = {
    # The paper's scale: NAS-Bench-201 on CIFAR-10, C=16, N=5, 50 epochs (a GPU job).
    "nb201-cifar10": dict(dataset="cifar10", C=16, N=5, epochs=50, batch_size=64),
    # The laptop demo: 8x8 digits, a narrow one-cell-per-stage supernet, seconds per epoch on
    # 2 CPU cores; alpha's learning rate raised so that alpha visibly moves in a few epochs.
    "digits": dict(dataset="digits", C=8, N=1, epochs=20, batch_size=64, arch_lr=3e-3),
    # The stability study's setting: the demo with alpha's learning rate at 1e-3, where the sweep
    # (assets/sweep.md) found bi-level's drift to parameter-free operations clearest.
    "digits-study": dict(dataset="digits", C=8, N=1, epochs=20, batch_size=64, arch_lr=1e-3),
    # The DARTS CNN space (N = cells in all, reductions at N//3 and 2N//3; DARTS' weight decay):
    # the paper's CIFAR-10 search, and a small CPU one on digits.
    "darts-cifar10": dict(space="darts", dataset="cifar10", C=16, N=8, epochs=50, batch_size=64,
                          w_weight_decay=3e-4),
    "darts-digits": dict(space="darts", dataset="digits", C=4, N=3, epochs=4, batch_size=128,
                         arch_lr=3e-3, w_weight_decay=3e-4),
}


def check_settings(settings: dict) -> None:
    """Refuse names that are not SearchConfig fields (a typo would otherwise pass silently)."""
    known = {f.name for f in fields(SearchConfig)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")


def make_config(preset: str | None = "digits", **overrides) -> SearchConfig:
    """A SearchConfig from a preset (``None``: the recipe defaults) and field overrides."""
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"preset: unknown preset {preset!r}; allowed: {', '.join(PRESETS)}")
    check_settings(overrides)
    base = PRESETS.get(preset, {}) if preset else {}
    return SearchConfig(**{**base, **{k: v for k, v in overrides.items() if v is not None}}).validate()


def default_device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def evaluate(model: torch.nn.Module, batches: Batches, device: torch.device) -> tuple[float, float]:
    """Mean loss and accuracy (%) of ``model`` over ``batches``."""
    model.eval()
    loss, correct, count = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss += float(F.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
        count += len(y)
    model.train()
    return loss / count, 100.0 * correct / count


def search(config: SearchConfig | None = None, *, preset: str | None = "digits",
           data: ImageData | None = None, out: str | os.PathLike | None = None,
           resume: bool = False, device: str | torch.device | None = None, progress: bool = True,
           callback: Callable[[History], bool | None] | None = None, **overrides) -> History:
    """Run one architecture search and return its History.

    ``config`` (or ``preset`` plus keyword overrides such as ``mode="bilevel", epochs=10``)
    says what to search; ``out`` is a folder for ``history.json`` and ``checkpoint.pt``;
    ``resume`` continues from that checkpoint (or starts afresh when none was written yet).
    ``callback(history)`` is called after every recorded step and epoch; returning True stops
    the search (the history says ``stopped``).
    """
    if config is None:
        config = make_config(preset, **overrides)
    else:
        check_settings(overrides)
        config = replace(config, **overrides).validate()
    device = torch.device(device) if device is not None else default_device()
    data = data or load_dataset(config.dataset, image_size=config.image_size)
    seed_everything(config.seed)
    model = supernet(config.space, config.C, config.N, data.num_classes, data.in_channels,
                     data.image_size, config.activation).to(device)
    hyper = {f.name: getattr(config, f.name) for f in fields(SearchConfig)
             if f.name in ("w_lr", "w_lr_min", "momentum", "nesterov", "w_weight_decay", "grad_clip",
                           "arch_lr", "arch_betas", "arch_weight_decay")}
    opt = make_optimizer(config.mode, model, config.epochs, config.order, **hyper)
    gen = torch.Generator().manual_seed(config.seed)
    shift = data.shift if config.augment is None else config.augment
    augment = dict(shift=shift, flip=data.flip and shift > 0)
    if opt.uses_split:
        (wx, wy), (ax, ay) = data.halves()
        w_stream = Batches(wx, wy, data, config.batch_size, gen, **augment)
        a_stream = Batches(ax, ay, data, config.batch_size, gen, **augment)
    else:  # budget "steps": as many batches as bi-level takes from its halves
        steps = len(data.halves()[0][1]) // config.batch_size if config.budget == "steps" else None
        w_stream = a_stream = Batches(data.search_x, data.search_y, data, config.batch_size, gen,
                                      steps=steps, **augment)
    test = Batches(data.test_x, data.test_y, data, 256)
    ops, edges = ops_and_edges(config.space)
    history = History(config=json.loads(json.dumps(asdict(config))),  # as JSON reads it back
                      ops=list(ops), edges=[list(e) for e in edges])
    out = Path(out) if out is not None else None
    if resume and out is None:
        raise ValueError("resume: needs out=, the folder that holds checkpoint.pt")
    if resume and (out / "checkpoint.pt").exists():  # nothing saved yet: start from the beginning
        load_checkpoint(out / "checkpoint.pt", config, model, opt, gen, history)
    steps_per_epoch = history.steps_per_epoch = min(len(w_stream), len(a_stream))
    bar = tqdm(total=config.epochs * steps_per_epoch, initial=len(history.epochs) * steps_per_epoch,
               disable=not progress, desc=f"{config.mode}{config.order if opt.uses_split else ''}",
               unit="step", leave=True)
    started = time.perf_counter() - (history.epochs[-1].seconds if history.epochs else 0.0)
    try:
        for epoch in range(len(history.epochs), config.epochs):
            loss_sum, correct, count, alpha_loss, alpha_grad = 0.0, 0, 0, 0.0, 0.0
            alphas_before = [a.detach().clone() for a in opt.alphas]
            pairs = zip(w_stream, a_stream) if opt.uses_split else ((b, b) for b in w_stream)
            for step, (w_batch, a_batch) in enumerate(pairs):
                w_batch = tuple(t.to(device) for t in w_batch)
                a_batch = w_batch if not opt.uses_split else tuple(t.to(device) for t in a_batch)
                res = opt.step(w_batch, a_batch)
                if not math.isfinite(res.loss) or not all(torch.isfinite(a).all() for a in opt.alphas):
                    last = out / "checkpoint.pt" if out is not None and history.epochs else None
                    raise FloatingPointError(
                        f"the search diverged at epoch {epoch + 1}, step {step + 1}: loss {res.loss}, "
                        f"alpha finite: {all(torch.isfinite(a).all() for a in opt.alphas)}. Last good "
                        f"checkpoint: {last or 'none'}. Lower the learning rates (w_lr, arch_lr).")
                loss_sum += res.loss * res.count
                correct, count = correct + res.correct, count + res.count
                alpha_loss, alpha_grad = alpha_loss + res.alpha_loss, alpha_grad + res.alpha_grad_norm
                bar.update(1)
                if config.log_every and step % config.log_every == 0:
                    history.steps.append(StepRecord(epoch, step, model.edge_weights().tolist()))
                    if callback and callback(history):
                        history.stopped = True
                        break
            if history.stopped:
                break
            opt.end_epoch()
            valid_loss, valid_acc = evaluate(model, test, device)
            steps = step + 1
            moved = math.sqrt(sum(float((a.detach() - b).square().sum()) for a, b in zip(opt.alphas, alphas_before)))
            history.epochs.append(EpochRecord(
                epoch=epoch, alphas=model.edge_weights().tolist(), train_loss=loss_sum / count,
                train_acc=100.0 * correct / count, valid_loss=valid_loss, valid_acc=valid_acc,
                genotype=str(model.genotype()), seconds=time.perf_counter() - started, w_lr=opt.w_lr,
                alpha_loss=alpha_loss / steps, alpha_grad_norm=alpha_grad / steps, alpha_step=moved))
            history.genotype = history.epochs[-1].genotype
            bar.set_postfix(loss=f"{loss_sum / count:.3f}", valid=f"{valid_acc:.1f}%")
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                save_checkpoint(out / "checkpoint.pt", config, model, opt, gen, history)
                history.save(out / "history.json")
            if callback and callback(history):
                history.stopped = epoch + 1 < config.epochs
                break
    finally:
        bar.close()
    history.genotype = str(model.genotype())
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        history.save(out / "history.json")
    return history
