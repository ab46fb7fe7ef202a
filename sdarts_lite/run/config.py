"""What decides a search: ``SearchConfig``, its named presets, and ``make_config``.

The defaults are the NAS-Bench-201 DARTS recipe; a preset is a named set of settings on top of them
(the laptop demo, the paper's CIFAR-10 scale, the DARTS space); keyword overrides go on top of
the preset.  A setting is a field of ``SearchConfig`` or of its optimizers' ``Hyperparameters``
(``hyper``), named alike everywhere (flags, presets, overrides); each is checked once, when a
config is made, naming the field.  ``None`` in a field means what its comment says, on every path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from ..base.guards import non_negative_int, one_of, positive_int, seed_value
from ..data.images import REGISTRY as DATA_REGISTRY
from ..data.images import check_batch_size, check_image_size, check_subset_size
from ..method.hyperparameters import Hyperparameters
from ..method.mixing import ACTIVATIONS
from ..method.optimizers import OPTIMIZERS, get_optimizer
from ..method.sharpness import EXACT_ALPHAS, METHODS
from ..method.spaces import REGISTRY, get_space

BUDGETS = ("epochs", "steps")
DERIVATIONS = ("auto", "with_none", "without_none")  # may `none` win an edge (SearchConfig.derivation)


@dataclass(frozen=True)
class SearchConfig:
    """Everything that decides a search, checked when made.  Defaults: the NAS-Bench-201 DARTS recipe."""

    space: str = "nb201"          # the search space (spaces/)
    optimizer: str = "single"     # how w and alpha learn (method/optimizers.py): "single" (Single-DARTS),
                                  # "bilevel1" / "bilevel2" (DARTS, 1st / 2nd order), or the corners
                                  # between: "alternating" (same batch, in turn), "split_joint" (held-out,
                                  # together)
    dataset: str = "cifar10"      # the images searched on (data/)
    image_size: int | None = None  # resize images to this side (None: the dataset's own; at least 4, at
                                   # most 4x the dataset's own; darts: a multiple of 4)
    search_size: int | None = None  # search on so many of the dataset's search images, drawn with a
                                    # fixed seed, the same for every run (None: all of them)
    test_size: int | None = None  # measure the supernet on so many held-out images, drawn likewise
                                  # (None: all of them)
    C: int = 16                   # channels of the first stage
    N: int = 5                    # cells: per stage (nb201) or in all (darts, at least 3)
    epochs: int = 50              # passes of the search
    batch_size: int = 64          # images per batch
    activation: str = "softmax"   # alpha -> mixing weights: "softmax" (DARTS) or "sigmoid"
    augment: int | None = None    # random shifts of up to so many pixels (None: the dataset's own,
                                  # CIFAR's pad-4 crop and flip; digits and shapes: none)
    half_data: bool = False       # one-batch optimizers: learn from bi-level's training half alone, so that w
                                  # sees as many images as bi-level's w (the data factor's control)
    budget: str = "epochs"        # one-batch optimizers: "epochs" (the whole search set per epoch) or "steps"
                                  # (as many steps per epoch, of as many images, as bi-level takes)
    sharpness_every: int = 1      # lambda_max of the held-out loss's Hessian in alpha every so many
                                  # epochs (0: never; sharpness.py)
    sharpness_size: int = 512     # lambda_max on the first so many held-out images (all, if fewer; at
                                  # least 2), batch_size at a time: one fixed sample, for little noise
    sharpness_spectrum: bool = False  # with lambda_max, every eigenvalue, from the exact Hessian (at most
                                      # 64 alphas: nb201's 30 products, not Lanczos's few; notebook 08)
    sharpness_method: str = "power"  # after the first measurement (Lanczos): "power", one power step from
                                     # the last eigenvector (one Hessian-vector product), or "lanczos"
                                     # again (4-7 products); error of "power": assets/sharpness-power.md
    early_stop: bool = False      # DARTS-ES: stop once lambda_max has grown too fast, keep the cell of
                                  # 5 epochs before (needs sharpness_every=1)
    derivation: str = "auto"      # whether `none` may win an edge of the derived cell: "with_none",
                                  # "without_none" (the DARTS paper's rule), or "auto": with it on nb201
                                  # under the softmax (DARTS-V1's code on the benchmark), without it under
                                  # the sigmoid and on darts.  Compare optimizers under one rule
    seed: int = 0                 # seeds the weights, alpha and the batches
    log_every: int = 0            # also record the mixing weights every so many steps (0: per epoch only)
    hyper: Hyperparameters = field(default_factory=Hyperparameters)  # the optimizers' (optimizers.py)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> SearchConfig:
        """Refuse values no search can run with, naming the field."""
        for name in ("space", "optimizer", "dataset", "activation", "budget", "early_stop",
                     "sharpness_spectrum", "sharpness_method", "derivation", "half_data"):
            one_of(name, getattr(self, name), choices(name))
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
        non_negative_int("log_every", self.log_every)
        non_negative_int("sharpness_every", self.sharpness_every)
        positive_int("sharpness_size", self.sharpness_size, minimum=2)
        space = get_space(self.space)
        if self.sharpness_spectrum and space.num_alphas > EXACT_ALPHAS:
            raise ValueError(f"sharpness_spectrum: the exact Hessian takes at most {EXACT_ALPHAS} alphas; "
                             f"{self.space} has {space.num_alphas}")
        if self.half_data and get_optimizer(self.optimizer).uses_split:
            raise ValueError(f"half_data: {self.optimizer} already learns w from one half and alpha from the "
                             "other; half_data is for one-batch optimizers (single, alternating)")
        if self.early_stop and self.sharpness_every != 1:
            raise ValueError(f"early_stop: needs lambda_max at every epoch (sharpness_every=1), got "
                             f"sharpness_every={self.sharpness_every}")
        seed_value("seed", self.seed)
        if not isinstance(self.hyper, Hyperparameters):
            raise ValueError(f"hyper: must be a Hyperparameters, got {type(self.hyper).__name__}")
        space.check(self.N, size)
        return self

    def exclude_none(self) -> bool:
        """Whether ``none`` is kept from winning an edge of the derived cell (``derivation``)."""
        if self.derivation == "auto":
            return not (get_space(self.space).derives_none and self.activation == "softmax")
        return self.derivation == "without_none"

    def to_dict(self) -> dict:
        """Plain values, as a history records the config (``from_dict`` reads them back)."""
        return asdict(self)

    def settings(self) -> dict:
        """Every setting by its name, the hyperparameters among them (what presets and flags name)."""
        values = asdict(self)
        hyper = values.pop("hyper")
        return {**values, **hyper}

    @classmethod
    def from_dict(cls, d: dict) -> SearchConfig:
        """The config of ``to_dict()`` (as JSON reads it back), of ``settings()``, or of a history
        written before a setting was renamed (``RENAMED``)."""
        return build(saved_settings(d))


def choices(name: str) -> tuple | None:
    """The values a setting allows, where it allows a fixed set."""
    return {"space": tuple(REGISTRY), "optimizer": tuple(OPTIMIZERS), "dataset": tuple(DATA_REGISTRY),
            "activation": ACTIVATIONS, "budget": BUDGETS, "early_stop": (True, False),
            "sharpness_spectrum": (True, False), "sharpness_method": METHODS, "derivation": DERIVATIONS,
            "half_data": (True, False)}.get(name)


RENAMED = {"curvature": "sharpness_every"}  # settings renamed since histories were first written (issue 23)


def saved_settings(d: dict) -> dict:
    """Every setting of a saved config by its name now: ``hyper`` unfolded, old names renamed, and
    where the config does not say, what was done before the setting existed: lambda_max as before
    issue 25 (on the first batch, with the exact spectrum wherever it could be had), cells derived
    by the ``auto`` rule and from the whole search set (issue 34), lambda_max by Lanczos at every
    measurement (issue 35), the optimizer named by a mode and an order (issue 36)."""
    flat = {**{k: v for k, v in d.items() if k != "hyper"}, **d.get("hyper", {})}
    flat = {RENAMED.get(k, k): v for k, v in flat.items()}
    if "mode" in flat:  # histories before issue 36: a mode and an order, not one optimizer's name
        mode, order = flat.pop("mode"), flat.pop("order", 1)
        flat["optimizer"] = f"{mode}{order}" if mode == "bilevel" else mode
    if "sharpness_size" not in flat:
        flat["sharpness_size"] = flat.get("batch_size", SearchConfig.batch_size)
    flat.setdefault("derivation", "auto")  # histories before issue 34: the rule then
    flat.setdefault("half_data", False)
    flat.setdefault("sharpness_method", "lanczos")  # histories before issue 35: Lanczos at every measurement
    if "sharpness_spectrum" not in flat:
        space = get_space(flat.get("space", SearchConfig.space))
        flat["sharpness_spectrum"] = space.num_alphas <= EXACT_ALPHAS
    return flat


def config_differences(saved: dict, config: SearchConfig) -> str:
    """The settings in which a saved configuration (``asdict`` of one, as JSON reads it back) differs
    from ``config``, or ''."""
    saved = saved_settings(saved)
    plain = lambda v: list(v) if isinstance(v, tuple) else v  # JSON turns tuples into lists
    return ", ".join(f"{k}={saved.get(k)!r} (now {v!r})" for k, v in config.settings().items()
                     if plain(saved.get(k)) != plain(v))


HYPER = tuple(f.name for f in fields(Hyperparameters))
SETTINGS = tuple(f.name for f in fields(SearchConfig) if f.name != "hyper") + HYPER  # every setting's name


def build(settings: dict, base: SearchConfig | None = None) -> SearchConfig:
    """``base`` (default: the recipe) with ``settings`` applied, each by its name: one new config,
    checked once."""
    check_settings(settings)
    top = {k: v for k, v in settings.items() if k not in HYPER}
    hyper = {k: v for k, v in settings.items() if k in HYPER}
    if base is None:
        return SearchConfig(**top, hyper=Hyperparameters(**hyper))
    return replace(base, **top, **({"hyper": replace(base.hyper, **hyper)} if hyper else {}))


# Presets: named starting points; any field can still be overridden.
PRESETS: dict[str, dict] = {
    # The paper's scale: NAS-Bench-201 on CIFAR-10, C=16, N=5, 50 epochs (a GPU job).
    "nb201-cifar10": dict(dataset="cifar10", C=16, N=5, epochs=50, batch_size=64),
    # The laptop demo: 8x8 digits, a narrow one-cell-per-stage supernet, seconds per epoch on
    # 2 CPU cores; alpha's learning rate raised so that alpha visibly moves in a few epochs.
    # lambda_max off: on a network this small its exact Hessian costs more than an epoch.
    "digits": dict(dataset="digits", C=8, N=1, epochs=20, batch_size=64, arch_lr=3e-3, sharpness_every=0),
    # The laptop setting of the stability study, frozen from the sweep on seeds 0-2
    # (assets/sweep-stage1.md, sweep-stage2.md):
    # alpha's learning rate at 3e-2 for 40 epochs, and single-level given bi-level's step count
    # (budget "steps").  lambda_max every 5th epoch, on 64 held-out digits (as in assets/study-laptop).
    "laptop": dict(dataset="digits", C=8, N=1, epochs=40, batch_size=64, arch_lr=3e-2, augment=0,
                   budget="steps", sharpness_every=5, sharpness_size=64),
    # The lesson: Fashion-MNIST, 6,000 search images at 12x12, the laptop supernet, alpha's learning
    # rate 1e-1 without weight decay.  Frozen from the sweep on seeds 0-2 (assets/sweep-fashion-
    # stage1.md to stage3.md), confirmed on seeds 100-109 (assets/study-fashion).  Single-level gets
    # bi-level's step count (budget "steps"); the held-out accuracy on a fixed 2,000 of the 10,000
    # test images (all of them cost a third of an epoch).  lambda_max only when asked: it about
    # doubles a search and tracks the optimizer, not collapse (notebook 08, which asks for it with
    # sharpness_every=1 on the default 512 images, as assets/study-fashion-sharpness did).
    # Cells derived without `none`, for both optimizers (DARTS' paper rule; issue 34): chosen on seeds
    # 0-9, where `none` into the output had cut single-level's convolutions off; then tested on the
    # fresh seeds 110-129 (assets/study-fashion-confirm/confirm.md).
    "fashion": dict(dataset="fashion", image_size=12, search_size=6000, test_size=2000, C=8, N=1, epochs=30,
                    batch_size=64, arch_lr=1e-1, arch_weight_decay=0.0, budget="steps", sharpness_every=0,
                    derivation="without_none"),
    # The DARTS CNN space (N = cells in all, reductions at N//3 and 2N//3; DARTS' weight decay):
    # the paper's CIFAR-10 search, and a small CPU one on digits.
    "darts-cifar10": dict(space="darts", dataset="cifar10", C=16, N=8, epochs=50, batch_size=64,
                          w_weight_decay=3e-4),
    "darts-digits": dict(space="darts", dataset="digits", C=4, N=3, epochs=4, batch_size=128,
                         arch_lr=3e-3, w_weight_decay=3e-4, sharpness_every=0),
}


def check_settings(settings: dict) -> None:
    """Refuse names that are not settings (a typo would otherwise pass silently)."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(SETTINGS))}")


def make_config(preset: str | None = "digits", **overrides) -> SearchConfig:
    """A SearchConfig from a preset (``None``: the recipe defaults) and settings by name.
    ``early_stop=True`` measures lambda_max at every epoch (``sharpness_every=1``) unless told otherwise."""
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"preset: unknown preset {preset!r}; allowed: {', '.join(PRESETS)}")
    settings = {**PRESETS.get(preset, {}), **overrides} if preset else dict(overrides)
    if settings.get("early_stop") is True and "sharpness_every" not in overrides:
        settings["sharpness_every"] = 1
    return build(settings)
