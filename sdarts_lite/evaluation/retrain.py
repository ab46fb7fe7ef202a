"""Train a derived cell from scratch and report its test accuracy (the evaluation stage).

The discrete network of a genotype (its space's ``network``) is trained on the whole search set
and tested on the held-out split, with the standard recipe: SGD with momentum 0.9, learning rate
cosine-annealed to 0, gradient norm clipped to 5, and the space's ``recipe`` (NAS-Bench-201:
learning rate 0.1, Nesterov, weight decay 5e-4; DARTS: 0.025, 3e-4).  Where a space has them
(``extras``: DARTS), an auxiliary head (loss weight 0.4) and drop path (its probability raised
linearly from 0 over the epochs) are options; cutout is one for every space.  The settings are a
``TrainConfig``, checked when made; its defaults are a CPU size for 8x8 digits; the papers train
C=16, N=5 (NAS-Bench-201) and C=36, 20 cells (DARTS) for 200 / 600 epochs on CIFAR-10.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
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
    one_of,
    positive_int,
    positive_number,
    probability,
    seed_value,
)
from ..base.seeding import seed_everything
from ..data.batches import Batches
from ..data.images import REGISTRY as DATA_REGISTRY
from ..data.images import ImageData, check_batch_size, load_dataset
from ..method.spaces import SearchSpace, parse_genotype, space_of
from ..run.held_out import evaluate


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of training a cell from scratch, checked when made (``validate``)."""

    dataset: str = "digits"       # the images trained and tested on (data/)
    epochs: int = 10              # passes over the search set
    C: int = 8                    # channels of the first stage
    depth: int | None = None      # cells: per stage (nb201) or in all (darts) (None: the space's recipe)
    batch_size: int = 64          # images per training batch
    lr: float | None = None       # SGD's learning rate, cosine-annealed to 0 (None: the space's recipe)
    momentum: float = 0.9         # SGD's momentum (Nesterov where the space's recipe says so)
    weight_decay: float | None = None  # SGD's weight decay (None: the space's recipe)
    grad_clip: float = 5.0        # the gradient's norm is clipped to this
    auxiliary: bool = False       # DARTS' auxiliary head, its loss added to the main head's (darts only)
    auxiliary_weight: float = 0.4  # the auxiliary head's loss weight
    drop_path_prob: float = 0.0   # drop path's probability at the end, raised linearly from 0 (darts only)
    cutout_length: int = 0        # cutout: zero a square of this side in every training image (0: none)
    seed: int = 0                 # seeds the weights, the batches and cutout

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> TrainConfig:
        """Refuse values no training can run with, naming the field."""
        for name in ("dataset", "auxiliary"):
            one_of(name, getattr(self, name), self.choices(name))
        for name in ("epochs", "C", "batch_size"):
            positive_int(name, getattr(self, name))
        positive_number("grad_clip", self.grad_clip)
        for name in ("momentum", "auxiliary_weight"):
            non_negative_number(name, getattr(self, name))
        for name, check in (("depth", positive_int), ("lr", positive_number),
                            ("weight_decay", non_negative_number)):
            if getattr(self, name) is not None:  # None: the space's recipe
                check(name, getattr(self, name))
        probability("drop_path_prob", self.drop_path_prob)
        non_negative_int("cutout_length", self.cutout_length)
        seed_value("seed", self.seed)
        return self

    @staticmethod
    def choices(name: str) -> tuple | None:
        """The values a setting allows, where it allows a fixed set."""
        return {"dataset": tuple(DATA_REGISTRY), "auxiliary": (True, False)}.get(name)

    def fitted(self, space: SearchSpace, data: ImageData) -> TrainConfig:
        """This config with the space's recipe wherever it says None, refused where it does not fit
        the space or the images (naming the field)."""
        recipe = space.recipe
        if recipe["nesterov"] and self.momentum == 0:
            raise ValueError(f"momentum: the {space} recipe's Nesterov momentum needs momentum > 0, got 0")
        if (self.auxiliary or self.drop_path_prob) and not space.extras:
            raise ValueError(f"auxiliary and drop_path_prob: the {space} space's networks have neither "
                             "(DARTS' do); train its cell without them")
        check_batch_size(self.batch_size, data.image_size)
        if self.cutout_length > data.image_size:  # beyond the image's side, cutout mostly blanks whole images
            raise ValueError(f"cutout_length: at most the {data.image_size}-pixel side of {data.name}'s "
                             f"images, got {self.cutout_length}")
        defaults = {k: recipe[k] for k in ("depth", "lr", "weight_decay") if getattr(self, k) is None}
        return replace(self, **defaults)


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


def train_from_scratch(genotype: object, data: ImageData | str | None = None,
                       config: TrainConfig | None = None, *, device: str | torch.device | None = None,
                       progress: bool = True, **settings) -> TrainResult:
    """Train the network of ``genotype`` from scratch on ``data`` and test it on the held-out split.

    The settings are ``config`` (default: ``TrainConfig()``) with ``settings`` by field name on
    top (``epochs=10, C=8``); ``data`` is a dataset's name (as ``dataset=``) or its images, and
    without it the config's ``dataset`` is loaded.  The same seed gives the same result on CPU.
    """
    genotype = parse_genotype(genotype)
    space = space_of(genotype)
    named = {} if data is None else {"dataset": data if isinstance(data, str) else data.name}
    config = replace(config or TrainConfig(), **named, **settings)
    device = check_device(device)
    data = load_dataset(config.dataset) if data is None or isinstance(data, str) else data
    config = config.fitted(space, data)
    nesterov = space.recipe["nesterov"]

    seed_everything(config.seed)
    model = space.network(genotype, config.C, config.depth, data.num_classes, data.in_channels,
                          data.image_size, config.auxiliary).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, nesterov=nesterov,
                          weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.epochs)
    gen = torch.Generator().manual_seed(config.seed)
    train = Batches(data.search_x, data.search_y, data, config.batch_size, gen, data.shift, data.flip)
    test = Batches(data.test_x, data.test_y, data, 256)
    records: list[TrainEpoch] = []
    started = time.perf_counter()
    with tqdm(total=config.epochs * len(train), disable=not progress, desc=f"train {space}",
              unit="step") as bar:
        for epoch in range(config.epochs):
            if config.drop_path_prob:
                model.drop_path_prob = config.drop_path_prob * epoch / config.epochs
            lr_now = opt.param_groups[0]["lr"]
            train_loss, train_acc = train_epoch(model, opt, train, device, config.grad_clip,
                                                config.auxiliary_weight, config.cutout_length, gen, bar)
            schedule.step()
            test_loss, test_acc = evaluate(model, test, device)
            records.append(TrainEpoch(epoch, lr_now, getattr(model, "drop_path_prob", 0.0), train_loss,
                                      train_acc, test_loss, test_acc, time.perf_counter() - started))
            bar.set_postfix(loss=f"{train_loss:.3f}", test=f"{test_acc:.1f}%")
    last = records[-1]
    return TrainResult(space.name, str(genotype), data.name, count_parameters(model), last.test_acc,
                       last.test_loss, last.seconds, {**asdict(config), "nesterov": nesterov,
                                                      "device": str(device)}, records)
