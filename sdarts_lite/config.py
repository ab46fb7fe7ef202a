"""What decides a search: ``SearchConfig``, its named presets, and ``make_config``.

The defaults are the NAS-Bench-201 DARTS recipe; a preset is a named set of fields on top of them
(the laptop demo, the paper's CIFAR-10 scale, the DARTS space); keyword overrides go on top of
the preset.  Every field is checked before a search starts, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .checks import (
    finite,
    non_negative_int,
    non_negative_number,
    one_of,
    positive_int,
    positive_number,
    seed_value,
)
from .data import DATASETS, check_batch_size, check_image_size, check_subset_size
from .genotypes import check_space
from .optimizers import MODES, ORDERS
from .relaxation import check_activation


@dataclass
class SearchConfig:
    """Everything that decides a search.  Defaults: the NAS-Bench-201 DARTS recipe."""

    space: str = "nb201"
    mode: str = "single"          # "single" (Single-DARTS) or "bilevel" (DARTS)
    order: int = 1                # bilevel only: 1 first-order, 2 second-order (unrolled)
    dataset: str = "cifar10"      # "digits", "shapes", "fashion", "cifar10", "cifar100"
    image_size: int | None = None  # resize images (None: keep the dataset's size; at least 4, at most
                                   # 4x the dataset's own; darts: a multiple of 4)
    search_size: int | None = None  # search on so many of the dataset's search images, drawn with a
                                    # fixed seed, the same for every run (None: all of them)
    test_size: int | None = None  # measure the supernet on so many held-out images, drawn likewise
    C: int = 16                   # channels of the first stage
    N: int = 5                    # cells per stage (nb201) or cells in all (darts, at least 3)
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
    curvature: int = 1            # lambda_max of the held-out loss's Hessian in alpha every so many
                                  # epochs (0: never; curvature.py)
    early_stop: bool = False      # DARTS-ES: stop once lambda_max has grown too fast, keep the cell of
                                  # 5 epochs before (needs curvature=1)
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
        size = check_image_size(self.dataset, self.image_size)
        check_subset_size("search_size", self.search_size, self.dataset)
        check_subset_size("test_size", self.test_size, self.dataset)
        if self.augment is not None:
            non_negative_int("augment", self.augment)
            if self.augment >= size:
                raise ValueError(f"augment: a shift must be smaller than the {size}-pixel images, "
                                 f"got {self.augment}")
        for name in ("C", "N", "epochs"):
            positive_int(name, getattr(self, name))
        check_batch_size(self.batch_size, size)
        for name in ("w_lr", "arch_lr", "grad_clip"):
            positive_number(name, getattr(self, name))
        for name in ("w_lr_min", "momentum", "w_weight_decay", "arch_weight_decay"):
            non_negative_number(name, getattr(self, name))
        one_of("nesterov", self.nesterov, (True, False))
        if self.nesterov and self.momentum == 0:
            raise ValueError("momentum: Nesterov momentum (nesterov=True) needs momentum > 0, got 0; "
                             "set nesterov=False for plain SGD")
        betas = self.arch_betas
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2
                and all(finite(b) and 0 <= b < 1 for b in betas)):
            raise ValueError(f"arch_betas: must be two numbers in [0, 1) (Adam's), got {betas!r}")
        non_negative_int("log_every", self.log_every)
        non_negative_int("curvature", self.curvature)
        one_of("early_stop", self.early_stop, (True, False))
        if self.early_stop and self.curvature != 1:
            raise ValueError(f"early_stop: needs lambda_max at every epoch (curvature=1), got curvature="
                             f"{self.curvature}")
        seed_value("seed", self.seed)
        if self.space == "darts":
            # The supernet reduces at cells N//3 and 2N//3; below 3 cells every cell is a reduction cell and
            # the normal cells' alphas never get a gradient: that is not a search.
            if self.N < 3:
                raise ValueError(f"N: the darts space needs at least 3 cells (a normal cell and the two "
                                 f"reduction cells at N//3 and 2N//3), got {self.N}")
            # Each reduction halves the image with FactorizedReduce (two stride-2 convolutions, one
            # shifted by a pixel), which needs an even size: 4 is the smallest size that halves twice.
            if size % 4:
                raise ValueError(f"image_size: the darts space halves images twice and needs a multiple of 4 "
                                 f"(4, 8, 12, ...), got {size}")
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
    # lambda_max off: on a network this small its exact Hessian costs more than an epoch.
    "digits": dict(dataset="digits", C=8, N=1, epochs=20, batch_size=64, arch_lr=3e-3, curvature=0),
    # The laptop setting of the stability study, frozen from the sweep on seeds 0-2
    # (assets/sweep-stage1.md, sweep-stage2.md):
    # alpha's learning rate at 3e-2 for 40 epochs, and single-level given bi-level's step count
    # (budget "steps").  lambda_max every 5th epoch (each costs 2-3.5 epochs here; curvature.py).
    "laptop": dict(dataset="digits", C=8, N=1, epochs=40, batch_size=64, arch_lr=3e-2, augment=0,
                   budget="steps", curvature=5),
    # The lesson: Fashion-MNIST, 6,000 search images at 12x12, the laptop supernet, alpha's learning
    # rate 1e-1 without weight decay.  Frozen from the sweep on seeds 0-2 (assets/sweep-fashion-
    # stage1.md to stage3.md), confirmed on seeds 100-109 (assets/study-fashion).  Single-level gets
    # bi-level's step count (budget "steps"); the held-out accuracy on a fixed 2,000 of the 10,000
    # test images (all of them cost a third of an epoch); lambda_max every 5th epoch.
    "fashion": dict(dataset="fashion", image_size=12, search_size=6000, test_size=2000, C=8, N=1, epochs=30,
                    batch_size=64, arch_lr=1e-1, arch_weight_decay=0.0, budget="steps", curvature=5),
    # The DARTS CNN space (N = cells in all, reductions at N//3 and 2N//3; DARTS' weight decay):
    # the paper's CIFAR-10 search, and a small CPU one on digits.
    "darts-cifar10": dict(space="darts", dataset="cifar10", C=16, N=8, epochs=50, batch_size=64,
                          w_weight_decay=3e-4),
    "darts-digits": dict(space="darts", dataset="digits", C=4, N=3, epochs=4, batch_size=128,
                         arch_lr=3e-3, w_weight_decay=3e-4, curvature=0),
}


def check_settings(settings: dict) -> None:
    """Refuse names that are not SearchConfig fields (a typo would otherwise pass silently)."""
    known = {f.name for f in fields(SearchConfig)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")


def make_config(preset: str | None = "digits", **overrides) -> SearchConfig:
    """A SearchConfig from a preset (``None``: the recipe defaults) and field overrides.
    ``early_stop=True`` measures lambda_max at every epoch (``curvature=1``) unless told otherwise."""
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"preset: unknown preset {preset!r}; allowed: {', '.join(PRESETS)}")
    check_settings(overrides)
    base = PRESETS.get(preset, {}) if preset else {}
    settings = {**base, **{k: v for k, v in overrides.items() if v is not None}}
    if settings.get("early_stop") is True and overrides.get("curvature") is None:
        settings["curvature"] = 1
    return SearchConfig(**settings).validate()
