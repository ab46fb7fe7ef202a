"""Train a derived cell from scratch and report its test accuracy (the evaluation stage).

The discrete network of a genotype (its space's ``network``) is trained on the whole search set
and tested on the held-out split, with the standard recipe: SGD with momentum 0.9, learning rate
cosine-annealed to 0, gradient norm clipped to 5, and the space's ``recipe`` (NAS-Bench-201:
learning rate 0.1, Nesterov, weight decay 5e-4; DARTS: 0.025, 3e-4).  Where a space has them
(``extras``: DARTS), an auxiliary head (loss weight 0.4) and drop path (its probability raised
linearly from 0 over the epochs) are options; cutout is one for every space.  The defaults are a
CPU size for 8x8 digits; the papers train C=16, N=5 (NAS-Bench-201) and C=36, 20 cells (DARTS) for 200 / 600
epochs on CIFAR-10.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..base.device import check_device
from ..base.files import write_atomically
from ..base.guards import (
    non_negative_int,
    non_negative_number,
    positive_int,
    positive_number,
    probability,
    seed_value,
)
from ..base.seeding import seed_everything
from ..data.batches import Batches
from ..data.images import ImageData, check_batch_size, load_dataset
from ..method.spaces import parse_genotype, space_of
from ..run.held_out import evaluate


@dataclass
class TrainEpoch:
    """One epoch: the main head's loss and accuracy on the training batches, then the test split."""

    epoch: int
    lr: float
    drop_path_prob: float
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    seconds: float  # since the start of training


@dataclass
class TrainResult:
    """What a training run leaves: the final test numbers, the settings and every epoch."""

    space: str
    genotype: str
    dataset: str
    params: int  # trainable parameters, the auxiliary head excluded (as DARTS counts them)
    test_acc: float
    test_loss: float
    seconds: float
    settings: dict = field(default_factory=dict)
    epochs: list[TrainEpoch] = field(default_factory=list)

    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write ``result.json`` in ``out_dir`` atomically (a temporary file, then a rename); return
        its path."""
        path = Path(out_dir) / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda tmp: tmp.write_text(json.dumps(asdict(self), indent=1)))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> TrainResult:
        """Read a ``result.json`` written by ``save``."""
        d = json.loads(Path(path).read_text())
        return cls(**{**d, "epochs": [TrainEpoch(**e) for e in d["epochs"]]})


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters outside the auxiliary head (DARTS' ``count_parameters_in_MB``)."""
    return sum(p.numel() for name, p in model.named_parameters()
               if p.requires_grad and not name.startswith("auxiliary_head"))


def cutout(x: torch.Tensor, length: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero a ``length`` x ``length`` square in every image, clipped at the borders, its centre
    uniform over the image (DARTS applies it after normalisation).  The centres are drawn from
    ``generator`` as ``randint(0, H, (n, 1))`` then ``randint(0, W, (n, 1))``."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n, 1), generator=generator)
    cx = torch.randint(0, w, (n, 1), generator=generator)
    rows, cols = torch.arange(h), torch.arange(w)
    in_rows = (rows >= cy - length // 2) & (rows < cy + length // 2)  # n x h
    in_cols = (cols >= cx - length // 2) & (cols < cx + length // 2)  # n x w
    square = in_rows[:, :, None] & in_cols[:, None, :]
    return x.masked_fill(square[:, None].to(x.device), 0.0)


def train_epoch(model: nn.Module, opt: torch.optim.Optimizer, batches: Batches, device: torch.device,
                grad_clip: float, auxiliary_weight: float, cutout_length: int, generator: torch.Generator,
                bar: tqdm) -> tuple[float, float]:
    """One pass over ``batches``; the main head's mean loss and accuracy (%)."""
    model.train()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in batches:
        if cutout_length:
            x = cutout(x, cutout_length, generator)
        x, y = x.to(device), y.to(device)
        logits, aux = model.forward_aux(x)
        loss = F.cross_entropy(logits, y)
        total = loss if aux is None else loss + auxiliary_weight * F.cross_entropy(aux, y)
        opt.zero_grad(set_to_none=True)
        total.backward()
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        opt.step()
        loss_sum += loss.item() * len(y)
        correct += int((logits.argmax(1) == y).sum())
        count += len(y)
        bar.update(1)
    return loss_sum / count, 100.0 * correct / count


def train_from_scratch(genotype: object, data: ImageData | str = "digits", *,
                       epochs: int = 10, C: int = 8, depth: int | None = None, batch_size: int = 64,
                       lr: float | None = None, weight_decay: float | None = None, momentum: float = 0.9,
                       grad_clip: float = 5.0, auxiliary: bool = False, auxiliary_weight: float = 0.4,
                       drop_path_prob: float = 0.0, cutout_length: int = 0, seed: int = 0,
                       device: str | torch.device | None = None, progress: bool = True) -> TrainResult:
    """Train the network of ``genotype`` from scratch on ``data`` and test it on the held-out split.

    ``depth`` is what the space's ``depth`` says (NAS-Bench-201: cells per stage; DARTS: cells in
    all); it, ``lr`` and ``weight_decay`` default to the space's ``recipe``.  ``auxiliary`` and
    ``drop_path_prob`` need a space with ``extras`` (DARTS); ``cutout_length`` > 0 applies cutout to
    the training batches.  The same ``seed`` gives the same result on CPU.
    """
    genotype = parse_genotype(genotype)
    space = space_of(genotype)
    recipe = space.recipe
    depth = recipe["depth"] if depth is None else depth
    lr = recipe["lr"] if lr is None else lr
    weight_decay = recipe["weight_decay"] if weight_decay is None else weight_decay
    for name, value in (("epochs", epochs), ("C", C), ("depth", depth), ("batch_size", batch_size)):
        positive_int(name, value)
    for name, value in (("lr", lr), ("grad_clip", grad_clip)):
        positive_number(name, value)
    for name, value in (("momentum", momentum), ("weight_decay", weight_decay),
                        ("auxiliary_weight", auxiliary_weight)):
        non_negative_number(name, value)
    if recipe["nesterov"] and momentum == 0:
        raise ValueError(f"momentum: the {space} recipe's Nesterov momentum needs momentum > 0, got 0")
    probability("drop_path_prob", drop_path_prob)
    non_negative_int("cutout_length", cutout_length)
    seed_value("seed", seed)
    if (auxiliary or drop_path_prob) and not space.extras:
        raise ValueError(f"auxiliary and drop_path_prob: the {space} space's networks have neither (DARTS' "
                         "do); train its cell without them")
    device = check_device(device)
    data = load_dataset(data) if isinstance(data, str) else data
    check_batch_size(batch_size, data.image_size)
    if cutout_length > data.image_size:  # beyond the image's side, cutout mostly blanks whole images
        raise ValueError(f"cutout_length: at most the {data.image_size}-pixel side of {data.name}'s images, "
                         f"got {cutout_length}")
    settings = dict(epochs=epochs, C=C, depth=depth, batch_size=batch_size, lr=lr, momentum=momentum,
                    nesterov=recipe["nesterov"], weight_decay=weight_decay, grad_clip=grad_clip,
                    auxiliary=auxiliary, auxiliary_weight=auxiliary_weight, drop_path_prob=drop_path_prob,
                    cutout_length=cutout_length, seed=seed, device=str(device))

    seed_everything(seed)
    model = space.network(genotype, C, depth, data.num_classes, data.in_channels, data.image_size,
                          auxiliary).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, nesterov=recipe["nesterov"],
                          weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(seed)
    train = Batches(data.search_x, data.search_y, data, batch_size, gen, data.shift, data.flip)
    test = Batches(data.test_x, data.test_y, data, 256)
    records: list[TrainEpoch] = []
    started = time.perf_counter()
    with tqdm(total=epochs * len(train), disable=not progress, desc=f"train {space}", unit="step") as bar:
        for epoch in range(epochs):
            if drop_path_prob:
                model.drop_path_prob = drop_path_prob * epoch / epochs
            lr_now = opt.param_groups[0]["lr"]
            train_loss, train_acc = train_epoch(model, opt, train, device, grad_clip, auxiliary_weight,
                                                cutout_length, gen, bar)
            schedule.step()
            test_loss, test_acc = evaluate(model, test, device)
            records.append(TrainEpoch(epoch, lr_now, getattr(model, "drop_path_prob", 0.0), train_loss,
                                      train_acc, test_loss, test_acc, time.perf_counter() - started))
            bar.set_postfix(loss=f"{train_loss:.3f}", test=f"{test_acc:.1f}%")
    last = records[-1]
    return TrainResult(space.name, str(genotype), data.name, count_parameters(model), last.test_acc,
                       last.test_loss, last.seconds, settings, records)
