"""What the optimizers are given: one frozen dataclass, its defaults the NAS-Bench-201 DARTS recipe.
``SearchConfig.hyper`` holds one; each field is a setting (a preset key, an override, a flag)."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.guards import finite, non_negative_number, one_of, positive_number


@dataclass(frozen=True)
class Hyperparameters:
    """What the optimizers are given, checked when made.  Defaults: the NAS-Bench-201 DARTS recipe."""

    w_lr: float = 0.025            # SGD learning rate of w, cosine-annealed to w_lr_min over the epochs
    w_lr_min: float = 0.001        # w's learning rate at the end of the schedule
    momentum: float = 0.9          # SGD momentum of w
    nesterov: bool = True          # Nesterov momentum (needs momentum > 0)
    w_weight_decay: float = 5e-4   # SGD weight decay of w
    grad_clip: float = 5.0         # w's gradient norm is clipped to this
    arch_lr: float = 3e-4          # Adam learning rate of alpha
    arch_betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas for alpha
    arch_weight_decay: float = 1e-3  # Adam weight decay of alpha

    def __post_init__(self) -> None:
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
        object.__setattr__(self, "arch_betas", tuple(betas))

RECIPE = Hyperparameters()  # the NAS-Bench-201 DARTS recipe, every optimizer's default
