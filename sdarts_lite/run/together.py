"""Seeds trained together: k searches that differ only in their seed, run as one vectorised search.

Ten seeds of one optimizer run the same operations on ten sets of weights.  Here each tensor of
the supernet (weights, alpha, BN statistics) is stacked over the seeds, and one forward runs all k
supernets on their own batches at once (``torch.func.vmap`` over ``functional_call``: a conv of k
seeds becomes one conv grouped by seed).  The gradient of the sum of the k seeds' mean losses is
each seed's own gradient, since no seed's loss depends on another's weights; the optimizer's step
is the one of ``optimizers.py``, with the loss, the clipping and the record taken per seed
(``SeedsTogether``).  So each seed keeps its own weights, alpha, batches, optimizer state and
history, and equals its own one-seed ``search`` up to float rounding.

Each seed's folder gets what ``search`` writes (``history.json``, ``checkpoint.pt``), so
everything downstream reads it unchanged and a one-seed search can resume it.  The k checkpoints
of an epoch are committed together: all are written beside the old ones (``checkpoint.next.pt``),
then a marker says they are complete, then they replace the old ones.  A run killed at any moment
resumes with its seeds at one epoch, the same group of seeds on the same operations as an
uninterrupted run, so it ends identical.

Not covered (``search_together`` refuses them; ``search`` runs them): second-order bi-level (its
finite-difference step size is one number for all weights), DARTS-ES (seeds would stop at
different epochs), step records (``log_every``), ``callback`` and ``compile``.
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap
from tqdm.auto import tqdm

from ..base.device import check_device
from ..base.files import write_atomically
from ..base.seeding import seed_everything
from ..data.batches import Batches
from ..method.optimizers import Optimizer, StepResult, get_optimizer, make_optimizer
from ..method.sharpness import Sharpness, held_out_sample
from ..method.supernet import Supernet, supernet
from .checkpoint import resume_from, save_checkpoint
from .config import SearchConfig, config_differences
from .history import History
from .search import check_finite, new_history, record_epoch, search_data, search_streams, step_batches


class StackedSupernet:
    """k supernets of one architecture as stacked tensors, called as one: ``net(x)`` takes k
    batches (k x B x ...) and returns k x B x classes.  The tensors keep the one-seed model's order,
    so an optimizer's state slices into one-seed states and back (``seed_state``)."""

    def __init__(self, models: list[Supernet]):
        self.k = len(models)
        self.template = copy.deepcopy(models[0]).to("meta")
        self.template.channels_last = False
        params, self.buffers = stack_module_state(models)
        self.params = {name: torch.nn.Parameter(p.detach()) for name, p in params.items()}
        self.alpha_names = models[0].alpha_names
        self._forward = vmap(self._one, in_dims=(0, 0, 0))
        self._shared = vmap(self._one, in_dims=(0, 0, None))

    def _one(self, params: dict, buffers: dict, x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.template, (params, buffers), (x,))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Seed i's logits on its own batch x[i]."""
        return self._forward(self.params, self.buffers, x)

    def on_shared(self, x: torch.Tensor) -> torch.Tensor:
        """Every seed's logits on the same batch x."""
        return self._shared(self.params, self.buffers, x)

    def train(self, mode: bool = True) -> StackedSupernet:
        self.template.train(mode)
        return self

    def arch_parameters(self) -> list[torch.nn.Parameter]:
        return [self.params[name] for name in self.alpha_names]

    def weight_parameters(self) -> list[torch.nn.Parameter]:
        return [p for name, p in self.params.items() if name not in self.alpha_names]

    def seed_state(self, i: int) -> dict[str, torch.Tensor]:
        """Seed i's tensors by the one-seed model's state-dict keys."""
        return {name: t[i].detach() for name, t in {**self.params, **self.buffers}.items()}


class SeedsTogether(Optimizer):
    """What an optimizer does per seed when its model is a ``StackedSupernet`` (a mixin put before
    the step rule: ``make_optimizer(..., mixin=SeedsTogether)``)."""

    def loss_and_grads(self, batch, params):
        """Each seed's mean loss (a vector), its logits, and the gradients of their sum: seed i's
        gradient is that of its own loss."""
        x, y = batch
        logits = self.model(x)
        losses = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(y.shape).mean(1)
        return losses.detach(), logits.detach(), torch.autograd.grad(losses.sum(), params)

    def clip(self) -> None:
        """Each seed's w gradient scaled down to norm ``grad_clip`` (``clip_grad_norm_``'s rule)."""
        grads = [p.grad for p in self.weights]
        norms = torch.sqrt(sum(g.square().flatten(1).sum(1) for g in grads))
        scale = (self.grad_clip / (norms + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))

    def result(self, loss, logits, y, alpha_loss, alpha_grads) -> list[StepResult]:
        """One ``StepResult`` per seed."""
        norms = torch.sqrt(sum(g.square().flatten(1).sum(1) for g in alpha_grads))
        correct = (logits.argmax(-1) == y).sum(1)
        return [StepResult(float(loss[i]), int(correct[i]), y.shape[1], float(alpha_loss[i]), float(norms[i]))
                for i in range(len(y))]


def stack_states(states: list[dict]) -> dict:
    """One optimizer state dict of the stacked tensors from k one-seed ones (``state_dict()``)."""
    merged = copy.deepcopy(states[0])
    for index, slots in merged["state"].items():
        for key in slots:
            if key != "step":  # Adam's step count: the same for every seed
                slots[key] = torch.stack([s["state"][index][key] for s in states])
    return merged


def seed_slice(state: dict, i: int) -> dict:
    """Seed i's optimizer state dict from a stacked one."""
    state = copy.copy(state)
    state["state"] = {index: {key: (t if key == "step" else t[i].clone()) for key, t in slots.items()}
                      for index, slots in state["state"].items()}
    return state


def check_together(configs: list[SearchConfig]) -> None:
    """Refuse seeds that differ in more than their seed, or what this engine does not cover."""
    first = configs[0]
    for config in configs[1:]:
        if replace(config, seed=first.seed) != first:
            differ = config_differences(config.to_dict(), replace(first, seed=config.seed))
            raise ValueError(f"seeds trained together differ only in their seed; seed {config.seed} also in "
                             f"{differ}")
    if len({c.seed for c in configs}) != len(configs):
        raise ValueError("seeds trained together: each seed once")
    if get_optimizer(first.optimizer).order == 2:
        raise ValueError(f"optimizer: {first.optimizer}, of second order, is not trained together (its "
                         "finite-difference step is one number for all weights); run it with search()")
    for name in ("early_stop", "log_every"):
        if getattr(first, name):
            raise ValueError(f"{name}: not covered by seeds trained together; run it with search()")


def commit_marker(outs: list[Path]) -> Path:
    """The file that says an epoch's checkpoints of these seeds are all written."""
    return outs[0].parent / f".together-{outs[0].name}-{outs[-1].name}.json"


def recover(outs: list[Path]) -> None:
    """Finish or undo an epoch's commit that a kill interrupted: with the marker, every written
    ``checkpoint.next.pt`` replaces its ``checkpoint.pt``; without it, they are dropped."""
    marker = commit_marker(outs)
    complete = marker.is_file()
    for out in outs:
        pending = out / "checkpoint.next.pt"
        if pending.exists():
            pending.replace(out / "checkpoint.pt") if complete else pending.unlink()
    marker.unlink(missing_ok=True)


def commit(outs: list[Path], saves: list, histories: list[History]) -> None:
    """Write every seed's checkpoint beside its last one, mark them complete, then put them in place,
    each with its history."""
    for out, save in zip(outs, saves):
        out.mkdir(parents=True, exist_ok=True)
        save(out / "checkpoint.next.pt")
    marker = commit_marker(outs)
    write_atomically(marker, lambda tmp: tmp.write_text(json.dumps([str(o) for o in outs])))
    for out, history in zip(outs, histories):
        (out / "checkpoint.next.pt").replace(out / "checkpoint.pt")
        history.save(out / "history.json")
    marker.unlink()


def search_together(configs: list[SearchConfig], outs: list[str | os.PathLike], resume: bool = True,
                    device: str | torch.device | None = None, progress: bool = True) -> list[History]:
    """Run the searches ``configs`` (the same but for their seeds) as one, each writing into its
    folder of ``outs`` as ``search`` does; return their histories in order.  ``resume`` continues
    each from its checkpoint (seeds at different epochs run as separate groups)."""
    if not configs or len(configs) != len(outs):
        raise ValueError("search_together: one output folder per config, at least one of each")
    check_together(configs)
    device = check_device(device)
    outs = [Path(o) for o in outs]
    recover(outs)
    data = search_data(configs[0])
    runs = [one_seed(config, out, data, device, resume) for config, out in zip(configs, outs)]
    histories: list[History | None] = [None] * len(runs)
    for done in sorted({len(run["history"].epochs) for run in runs}):
        group = [i for i, run in enumerate(runs) if len(run["history"].epochs) == done]
        for i, history in zip(group, run_group([runs[i] for i in group], data, device, progress)):
            histories[i] = history
    return histories


def one_seed(config: SearchConfig, out: Path, data, device, resume: bool) -> dict:
    """One seed's model, optimizer, batch streams and history, as ``search`` makes them (resumed)."""
    seed_everything(config.seed)
    model = supernet(config.space, config.C, config.N, data.num_classes, data.in_channels, data.image_size,
                     config.activation).to(device)
    opt = make_optimizer(config.optimizer, model, config.epochs, config.hyper)
    gen = torch.Generator().manual_seed(config.seed)
    streams = search_streams(data, config, gen)
    history = new_history(config)
    if resume:
        resume_from(out, config, model, opt, gen, history)
    return dict(config=config, out=out, model=model, opt=opt, gen=gen, streams=streams, history=history)


def run_group(runs: list[dict], data, device, progress: bool) -> list[History]:
    """The epochs left to seeds that have all done as many, trained together."""
    config, k = runs[0]["config"], len(runs)
    stacked = StackedSupernet([run["model"] for run in runs])
    opt = make_optimizer(config.optimizer, stacked, config.epochs, config.hyper, mixin=SeedsTogether)
    states = [run["opt"].state_dict() for run in runs]
    opt.load_state_dict({**states[0], "w": stack_states([s["w"] for s in states]),
                         "alpha": stack_states([s["alpha"] for s in states])})
    test = Batches(data.test_x, data.test_y, data, 256)
    sample = held_out_sample(data, config.sharpness_size, config.batch_size)
    meters = [Sharpness(sample, device, spectrum=config.sharpness_spectrum, method=config.sharpness_method)
              for _ in runs]
    histories = [run["history"] for run in runs]
    done = len(histories[0].epochs)
    steps = min(len(s) for s in runs[0]["streams"])
    for h in histories:
        h.steps_per_epoch = steps
    seeds = f"{config.optimizer} x{k}"
    bar = tqdm(total=config.epochs * steps, initial=done * steps, disable=not progress, desc=seeds,
               unit="step")
    started = time.perf_counter() - (histories[0].epochs[-1].seconds if done else 0.0)
    try:
        for epoch in range(done, config.epochs):
            results, before = [[] for _ in runs], [a.detach().clone() for a in opt.alphas]
            for step, per_seed in enumerate(zip(*(step_batches(run["streams"], device) for run in runs))):
                batches = tuple(tuple(torch.stack([b[n][part] for b in per_seed]) for part in (0, 1))
                                for n in range(len(per_seed[0])))
                for i, result in enumerate(opt.step(*batches)):
                    results[i].append(result)
                    check_finite(result, opt, epoch, step, runs[i]["out"] if histories[i].epochs else None)
                bar.update(1)
            opt.end_epoch()
            valid = evaluate_together(stacked, test, device)
            saves, state = [], opt.state_dict()
            for i, run in enumerate(runs):
                model, one = run["model"], run["opt"]
                model.load_state_dict(stacked.seed_state(i))
                one.load_state_dict({**state, "w": seed_slice(state["w"], i),
                                     "alpha": seed_slice(state["alpha"], i)})
                measured = config.sharpness_every and (epoch + 1) % config.sharpness_every == 0
                record_epoch(histories[i], epoch, results[i], [a[i] for a in before], valid[i],
                             meters[i](model) if measured else (None, None), started, model, one, run["gen"],
                             run["config"], None)
                saves.append(lambda path, run=run, i=i: save_checkpoint(
                    path, run["config"], run["model"], run["opt"], run["gen"], histories[i]))
            commit([run["out"] for run in runs], saves, histories)
            bar.set_postfix(loss=f"{sum(h.epochs[-1].train_loss for h in histories) / k:.3f}")
    finally:
        bar.close()
    for run, history in zip(runs, histories):
        history.genotype = str(run["model"].genotype(run["config"].exclude_none()))
        run["out"].mkdir(parents=True, exist_ok=True)
        history.save(run["out"] / "history.json")
    return histories


@torch.no_grad()
def evaluate_together(stacked: StackedSupernet, batches: Batches, device) -> list[tuple[float, float]]:
    """Each seed's mean loss and accuracy (%) over the same held-out ``batches`` (``held_out.evaluate``)."""
    stacked.train(False)
    loss, correct, count = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = stacked.on_shared(x)
        loss = loss + F.cross_entropy(logits.flatten(0, 1), y.repeat(stacked.k), reduction="none").view(
            stacked.k, -1).sum(1)
        correct = correct + (logits.argmax(-1) == y).sum(1)
        count += len(y)
    stacked.train(True)
    return [(float(loss[i]) / count, 100.0 * int(correct[i]) / count) for i in range(stacked.k)]
