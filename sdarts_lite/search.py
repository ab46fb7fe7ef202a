"""Run a search: a supernet, an optimizer, a dataset, an epoch loop that records a History.

Each epoch ends with the mixing weights (softmax, or sigmoid, of alpha), the derived cell and the
supernet's accuracy on the held-out split appended to the history; with ``out`` the history
(``history.json``) and a checkpoint (``checkpoint.pt``) are written there at every epoch end.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .checkpoint import resume_from, save_checkpoint
from .checks import non_negative_int, non_negative_number, one_of, positive_int, positive_number
from .data import DATASETS, Batches, ImageData, load_dataset
from .genotypes import check_space
from .history import EpochRecord, History, StepRecord
from .optimizers import MODES, ORDERS, Batch, Optimizer, StepResult, make_optimizer
from .relaxation import check_activation
from .runtime import default_device, evaluate, seed_everything
from .supernet import Supernet, supernet


@dataclass
class SearchConfig:
    """Everything that decides a search.  Defaults: the NAS-Bench-201 DARTS recipe."""

    space: str = "nb201"
    mode: str = "single"          # "single" (Single-DARTS) or "bilevel" (DARTS)
    order: int = 1                # bilevel only: 1 first-order, 2 second-order (unrolled)
    dataset: str = "cifar10"      # "digits", "cifar10", "cifar100"
    image_size: int | None = None  # resize images (None: keep the dataset's size)
    C: int = 16                   # channels of the first stage
    N: int = 5                    # cells per stage (nb201) or cells in all (darts)
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
# The SearchConfig fields that are the optimizers' hyperparameters (``make_optimizer``).
OPTIMIZER_FIELDS = ("w_lr", "w_lr_min", "momentum", "nesterov", "w_weight_decay", "grad_clip",
                    "arch_lr", "arch_betas", "arch_weight_decay")


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
    config = make_config(preset, **overrides) if config is None else checked(config, overrides)
    device = torch.device(device) if device is not None else default_device()
    data = data or load_dataset(config.dataset, image_size=config.image_size)
    seed_everything(config.seed)
    input_size = data.image_size if config.space == "nb201" else None  # the DARTS space is not told it
    model = supernet(config.space, config.C, config.N, data.num_classes, data.in_channels, input_size,
                     config.activation).to(device)
    opt = make_optimizer(config.mode, model, config.epochs, config.order,
                         **{name: getattr(config, name) for name in OPTIMIZER_FIELDS})
    gen = torch.Generator().manual_seed(config.seed)
    streams = search_streams(data, config, opt.uses_split, gen)
    test = Batches(data.test_x, data.test_y, data, 256)
    history = History(config=json.loads(json.dumps(asdict(config))))  # as JSON reads it back
    out = Path(out) if out is not None else None
    if resume:
        resume_from(out, config, model, opt, gen, history)
    steps = history.steps_per_epoch = min(len(stream) for stream in streams)
    bar = tqdm(total=config.epochs * steps, initial=len(history.epochs) * steps, disable=not progress,
               desc=f"{config.mode}{config.order if opt.uses_split else ''}", unit="step", leave=True)
    started = time.perf_counter() - (history.epochs[-1].seconds if history.epochs else 0.0)
    try:
        for epoch in range(len(history.epochs), config.epochs):
            results, alphas_before = [], [a.detach().clone() for a in opt.alphas]
            for step, batches in enumerate(step_batches(streams, device)):
                results.append(opt.step(*batches))
                check_finite(results[-1], opt, epoch, step, out if history.epochs else None)
                bar.update(1)
                if config.log_every and step % config.log_every == 0:
                    history.steps.append(StepRecord(epoch, step, model.edge_weights().tolist()))
                    if callback and callback(history):
                        history.stopped = True
                        break
            if history.stopped:
                break
            opt.end_epoch()
            record_epoch(history, epoch, results, alphas_before, evaluate(model, test, device), started,
                         model, opt, gen, config, out)
            last = history.epochs[-1]
            bar.set_postfix(loss=f"{last.train_loss:.3f}", valid=f"{last.valid_acc:.1f}%")
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


def checked(config: SearchConfig, overrides: dict) -> SearchConfig:
    """``config`` with ``overrides`` applied, validated."""
    check_settings(overrides)
    return replace(config, **overrides).validate()


def search_streams(data: ImageData, config: SearchConfig, split: bool,
                   generator: torch.Generator) -> list[Batches]:
    """The seeded batch streams a search draws from, one per batch of a step: bi-level's two halves
    of the search set (w's, then alpha's), or single-level's one stream over all of it (budget
    ``steps``: as many batches per epoch as bi-level takes from a half)."""
    shift = data.shift if config.augment is None else config.augment
    augment = dict(shift=shift, flip=data.flip and shift > 0)
    if split:
        return [Batches(x, y, data, config.batch_size, generator, **augment) for x, y in data.halves()]
    steps = len(data.halves()[0][1]) // config.batch_size if config.budget == "steps" else None
    return [Batches(data.search_x, data.search_y, data, config.batch_size, generator, steps=steps, **augment)]


def step_batches(streams: list[Batches], device: torch.device) -> Iterator[tuple[Batch, ...]]:
    """One epoch: per step, the batches the optimizer's step takes, one from each stream, on ``device``."""
    for batches in zip(*streams):
        yield tuple(tuple(t.to(device) for t in batch) for batch in batches)


def check_finite(result: StepResult, opt: Optimizer, epoch: int, step: int, last: Path | None) -> None:
    """Stop a search whose loss or alpha is no longer finite, naming the last good checkpoint."""
    alpha_finite = all(torch.isfinite(a).all() for a in opt.alphas)
    if not math.isfinite(result.loss) or not alpha_finite:
        raise FloatingPointError(
            f"the search diverged at epoch {epoch + 1}, step {step + 1}: loss {result.loss}, "
            f"alpha finite: {alpha_finite}. Last good "
            f"checkpoint: {last / 'checkpoint.pt' if last is not None else 'none'}. "
            "Lower the learning rates (w_lr, arch_lr).")


def record_epoch(history: History, epoch: int, results: list[StepResult], alphas_before: list[torch.Tensor],
                 valid: tuple[float, float], started: float, model: Supernet, opt: Optimizer,
                 generator: torch.Generator, config: SearchConfig, out: Path | None) -> None:
    """Append the epoch's record (its steps' means, the held-out ``valid`` loss and accuracy, how far
    alpha moved) to ``history``; with ``out``, save the checkpoint and the history there."""
    count, steps = sum(r.count for r in results), len(results)
    moved = math.sqrt(sum(float((a.detach() - b).square().sum()) for a, b in zip(opt.alphas, alphas_before)))
    history.epochs.append(EpochRecord(
        epoch=epoch, alphas=model.edge_weights().tolist(),
        train_loss=sum(r.loss * r.count for r in results) / count,
        train_acc=100.0 * sum(r.correct for r in results) / count, valid_loss=valid[0], valid_acc=valid[1],
        genotype=str(model.genotype()), seconds=time.perf_counter() - started, w_lr=opt.w_lr,
        alpha_loss=sum(r.alpha_loss for r in results) / steps,
        alpha_grad_norm=sum(r.alpha_grad_norm for r in results) / steps, alpha_step=moved))
    history.genotype = history.epochs[-1].genotype
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        save_checkpoint(out / "checkpoint.pt", config, model, opt, generator, history)
        history.save(out / "history.json")
