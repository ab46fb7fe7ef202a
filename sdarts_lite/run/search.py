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
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..base.device import check_device
from ..base.guards import one_of
from ..base.seeding import seed_everything
from ..data.batches import Batch, Batches
from ..data.images import ImageData, get_dataset, read_dataset
from ..method.optimizers import Optimizer, StepResult, get_optimizer, make_optimizer
from ..method.sharpness import ES_RATIO, Sharpness, early_stop_epoch, held_out_sample
from ..method.spaces import get_space
from ..method.supernet import Supernet, supernet
from .checkpoint import resume_from, save_checkpoint
from .config import SearchConfig, build, make_config
from .held_out import evaluate
from .history import EpochRecord, History, StepRecord


def search(config: SearchConfig | None = None, *, preset: str | None = "digits",
           data: ImageData | None = None, out: str | os.PathLike | None = None,
           resume: bool = False, device: str | torch.device | None = None, progress: bool = True,
           callback: Callable[[History], bool | None] | None = None, compile: bool = False,
           **overrides) -> History:
    """Run one architecture search and return its History.

    ``config`` (or ``preset`` plus keyword overrides such as ``optimizer="bilevel1", epochs=10``)
    says what to search; ``out`` is a folder for ``history.json`` and ``checkpoint.pt``;
    ``resume`` continues from that checkpoint (or starts afresh when none was written yet).
    ``callback(history)`` is called after every recorded step and epoch; returning True stops
    the search (the history says ``stopped``).  ``compile=True`` runs the optimizer's steps through
    ``torch.compile`` (a long first step, then faster ones; evaluation and lambda_max stay eager,
    since compiled graphs refuse the double backward a Hessian needs); the search is the same up
    to float rounding.
    """
    if config is None or overrides:  # a config given whole was checked when made
        config = make_config(preset, **overrides) if config is None else build(overrides, base=config)
    one_of("compile", compile, (True, False))
    device = check_device(device)
    data = data or search_data(config)
    seed_everything(config.seed)
    model = supernet(config.space, config.C, config.N, data.num_classes, data.in_channels, data.image_size,
                     config.activation).to(device)
    opt = make_optimizer(config.optimizer, torch.compile(model) if compile else model, config.epochs,
                         config.hyper)
    gen = torch.Generator().manual_seed(config.seed)
    streams = search_streams(data, config, gen)
    test = Batches(data.test_x, data.test_y, data, 256)
    history = new_history(config)
    out = Path(out) if out is not None else None
    if resume:
        resume_from(out, config, model, opt, gen, history)
    sharpness = Sharpness(held_out_sample(data, config.sharpness_size, config.batch_size), device,
                          spectrum=config.sharpness_spectrum, method=config.sharpness_method)
    steps = history.steps_per_epoch = min(len(stream) for stream in streams)
    bar = tqdm(total=config.epochs * steps, initial=len(history.epochs) * steps, disable=not progress,
               desc=config.optimizer, unit="step",
               leave=True)
    started = time.perf_counter() - (history.epochs[-1].seconds if history.epochs else 0.0)
    try:
        for epoch in range(len(history.epochs), config.epochs if history.early_stop is None else 0):
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
            measured = config.sharpness_every and (epoch + 1) % config.sharpness_every == 0
            record_epoch(history, epoch, results, alphas_before, evaluate(model, test, device),
                         sharpness(model) if measured else (None, None), started, model, opt, gen, config,
                         out)
            last = history.epochs[-1]
            bar.set_postfix(loss=f"{last.train_loss:.3f}", valid=f"{last.valid_acc:.1f}%")
            if config.early_stop and stop_early(history):
                if out is not None:
                    history.save(out / "history.json")
                    save_checkpoint(out / "checkpoint.pt", config, model, opt, gen, history)
                break
            if callback and callback(history):
                history.stopped = epoch + 1 < config.epochs
                break
    finally:
        bar.close()
    if history.early_stop is None:
        history.genotype = str(model.genotype(config.exclude_none()))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        history.save(out / "history.json")
    return history


def search_data(config: SearchConfig) -> ImageData:
    """The images a search with ``config`` (checked when made) learns from and is measured on."""
    return read_dataset(get_dataset(config.dataset), image_size=config.image_size,
                        search_size=config.search_size, test_size=config.test_size)


def new_history(config: SearchConfig) -> History:
    """An empty record of a search with ``config`` (as JSON reads it back), naming its space's
    operations and edges."""
    space = get_space(config.space)
    return History(config=json.loads(json.dumps(config.to_dict())), ops=list(space.ops),
                   edges=[list(e) for e in space.edges])


def search_streams(data: ImageData, config: SearchConfig, generator: torch.Generator) -> list[Batches]:
    """The seeded batch streams a search draws from, one per batch of a step: bi-level's two halves
    of the search set (w's, then alpha's), or single-level's one stream over all of it (budget
    ``steps``: as many batches per epoch as bi-level takes from a half; ``half_data``: over w's
    half alone)."""
    split = get_optimizer(config.optimizer).uses_split
    shift = data.shift if config.augment is None else config.augment
    augment = dict(shift=shift, flip=data.flip and shift > 0)
    half = len(data.halves()[0][1])
    if (split or config.budget == "steps") and config.batch_size > half:
        why = "bi-level's two streams" if split else "budget 'steps' counts steps in it"
        raise ValueError(f"batch_size: {config.batch_size} exceeds the {half} images of half the search set "
                         f"({why})")
    if split:
        return [Batches(x, y, data, config.batch_size, generator, **augment) for x, y in data.halves()]
    steps = half // config.batch_size if config.budget == "steps" else None
    x, y = data.halves()[0] if config.half_data else (data.search_x, data.search_y)
    return [Batches(x, y, data, config.batch_size, generator, steps=steps, **augment)]


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
                 valid: tuple[float, float], sharpness: tuple[float | None, list[float] | None],
                 started: float, model: Supernet, opt: Optimizer, generator: torch.Generator,
                 config: SearchConfig, out: Path | None) -> None:
    """Append the epoch's record (its steps' means, the held-out ``valid`` loss and accuracy, how far
    alpha moved, the held-out ``sharpness``: lambda_max and the spectrum) to ``history``; with
    ``out``, save the checkpoint and the history there."""
    count, steps = sum(r.count for r in results), len(results)
    moved = math.sqrt(sum(float((a.detach() - b).square().sum()) for a, b in zip(opt.alphas, alphas_before)))
    history.epochs.append(EpochRecord(
        epoch=epoch, mixing=model.edge_weights().tolist(),
        train_loss=sum(r.loss * r.count for r in results) / count,
        train_acc=100.0 * sum(r.correct for r in results) / count, valid_loss=valid[0], valid_acc=valid[1],
        genotype=str(model.genotype(config.exclude_none())), seconds=time.perf_counter() - started,
        w_lr=opt.w_lr,
        alpha_loss=sum(r.alpha_loss for r in results) / steps,
        alpha_grad_norm=sum(r.alpha_grad_norm for r in results) / steps, alpha_step=moved,
        lambda_max=sharpness[0], eigenvalues=sharpness[1]))
    history.genotype = history.epochs[-1].genotype
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        save_checkpoint(out / "checkpoint.pt", config, model, opt, generator, history)
        history.save(out / "history.json")


def stop_early(history: History) -> bool:
    """DARTS-ES on the lambda_max recorded so far: whether the epoch just recorded is where it stops;
    if so, the history keeps the cell of ``ES_WINDOW`` epochs before and says why."""
    lambdas = [r.lambda_max for r in history.epochs]
    stop = early_stop_epoch(lambdas)
    if stop is None or stop[0] != len(lambdas) - 1:
        return False
    at, kept = stop
    history.genotype = history.epochs[kept].genotype
    history.early_stop = {
        "epoch": at, "kept_epoch": kept, "genotype": history.genotype,
        "reason": f"lambda_max(epoch {kept + 1}) / lambda_max(epoch {at + 1}) = "
                  f"{lambdas[kept]:.4g} / {lambdas[at]:.4g} = {lambdas[kept] / lambdas[at]:.3f} < {ES_RATIO}"}
    return True
