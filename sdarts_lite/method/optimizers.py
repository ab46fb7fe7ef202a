"""The ways to learn alpha, side by side, and their registry.  Single-DARTS and DARTS differ in two
things, which batch alpha learns from and whether w and alpha step together or in turn; the two
other corners of that 2x2 take them apart:

                          together (one point)          in turn (alpha, then w)
    same batch B          single (Single-DARTS)         alternating
    held-out batch        split_joint                   bilevel (DARTS)

single   (Single-DARTS):  one batch B, one loss L_B(w, alpha), one backward;
                          w <- SGD(grad_w L_B),  alpha <- Adam(grad_alpha L_B).
alternating:              alpha <- Adam(grad_alpha L_B(w, alpha)), then w <- SGD(grad_w L_B(w, alpha'))
                          on the same batch B.
split_joint:              grad_alpha L_val(w, alpha) on a validation batch and grad_w L_train(w, alpha)
                          on a training batch, both at the same (w, alpha), applied together.
bilevel  (DARTS):         alpha <- Adam(grad_alpha L_val(w*, alpha)) on a validation batch, then
                          w <- SGD(grad_w L_train) on a training batch.
    order 1: w* = w (the gradient at the current weights, "DARTS-V1").
    order 2: w* = w' = w - xi * grad_w L_train(w, alpha) (one unrolled step, "DARTS-V2"), so
             grad_alpha L_val(w', alpha) - xi * grad^2_{alpha,w} L_train(w, alpha) . grad_w' L_val(w', alpha)
             with the Hessian-vector product taken by central finite differences (DARTS eq. 7-8).

Their hyperparameters are one ``Hyperparameters``, the defaults the NAS-Bench-201 DARTS recipe.
Each optimizer the kit names (``OPTIMIZERS``: single, alternating, split_joint, bilevel1, bilevel2) is
one ``OptimizerSpec`` declared beside its class: its place in the 2x2, its order, its label and
colour.  A new one is its class and one ``register_optimizer`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from ..base.guards import one_of
from ..data.batches import Batch
from .hyperparameters import RECIPE, Hyperparameters

if TYPE_CHECKING:  # for annotations only: the optimizers build no model
    from .supernet import Supernet

DATA = ("same", "held-out")  # which batch alpha learns from: w's own, or a held-out one
SCHEDULES = ("together", "in turn")  # w and alpha step at one point, or alpha first, then w


@dataclass
class StepResult:
    """Loss and correct count of the batch that updated w; the loss alpha descended and the norm
    of its gradient (the diagnostics of how much signal alpha gets)."""

    loss: float
    correct: int
    count: int
    alpha_loss: float
    alpha_grad_norm: float


def set_grads(params: list[nn.Parameter], grads) -> None:
    for p, g in zip(params, grads):
        p.grad = g


class Optimizer:
    """SGD for the weights w, Adam for alpha, a cosine schedule for w's learning rate.  The loss and its
    gradients, the clipping and the step's record are methods, so that k seeds trained as one
    (``run/together.py``) keep each seed's own.  ``order``: of alpha's gradient, one of ``orders``."""

    orders = (1,)  # the orders of alpha's gradient the step implements

    def __init__(self, model: Supernet, epochs: int, hyper: Hyperparameters = RECIPE, order: int = 1):
        self.order = one_of("order", order, self.orders)
        self.model = model
        self.weights = model.weight_parameters()
        self.alphas = model.arch_parameters()
        self.grad_clip = hyper.grad_clip
        self.w_opt = torch.optim.SGD(self.weights, lr=hyper.w_lr, momentum=hyper.momentum,
                                     nesterov=hyper.nesterov, weight_decay=hyper.w_weight_decay)
        self.a_opt = torch.optim.Adam(self.alphas, lr=hyper.arch_lr, betas=hyper.arch_betas,
                                      weight_decay=hyper.arch_weight_decay)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.w_opt, epochs, eta_min=hyper.w_lr_min)

    @property
    def w_lr(self) -> float:
        return self.w_opt.param_groups[0]["lr"]

    def loss_and_grads(self, batch: Batch, params: list[nn.Parameter]):
        """The model's mean cross-entropy on ``batch``, its logits, and its gradients with respect to
        ``params``."""
        x, y = batch
        logits = self.model(x)
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, params)
        return loss.detach(), logits.detach(), grads

    def clip(self) -> None:
        """w's gradient scaled down to norm ``grad_clip`` where it is longer."""
        nn.utils.clip_grad_norm_(self.weights, self.grad_clip)

    def result(self, loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor, alpha_loss: torch.Tensor,
               alpha_grads) -> StepResult:
        """The step's record (``StepResult``)."""
        norm = torch.sqrt(sum((g * g).sum() for g in alpha_grads))
        return StepResult(float(loss), int((logits.argmax(1) == y).sum()), len(y), float(alpha_loss),
                          float(norm))

    def update_weights(self, grads) -> None:
        set_grads(self.weights, grads)
        self.clip()
        self.w_opt.step()

    def update_alphas(self, grads) -> None:
        set_grads(self.alphas, grads)
        self.a_opt.step()

    def end_epoch(self) -> None:
        self.schedule.step()

    def state_dict(self) -> dict:
        return {"w": self.w_opt.state_dict(), "alpha": self.a_opt.state_dict(),
                "schedule": self.schedule.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.w_opt.load_state_dict(state["w"])
        self.a_opt.load_state_dict(state["alpha"])
        self.schedule.load_state_dict(state["schedule"])


class SingleLevel(Optimizer):
    """Single-DARTS: w and alpha descend the same loss of the same batch, together."""

    def step(self, batch: Batch) -> StepResult:
        loss, logits, grads = self.loss_and_grads(batch, self.weights + self.alphas)
        alpha_grads = grads[len(self.weights):]
        self.update_weights(grads[:len(self.weights)])
        self.update_alphas(alpha_grads)
        return self.result(loss, logits, batch[1], loss, alpha_grads)


class Alternating(Optimizer):
    """The same batch, in turn: alpha steps on B, then w on B at the new alpha."""

    def step(self, batch: Batch) -> StepResult:
        alpha_loss, _, alpha_grads = self.loss_and_grads(batch, self.alphas)
        self.update_alphas(alpha_grads)
        loss, logits, w_grads = self.loss_and_grads(batch, self.weights)
        self.update_weights(w_grads)
        return self.result(loss, logits, batch[1], alpha_loss, alpha_grads)


class SplitJoint(Optimizer):
    """Held-out data, together: alpha's gradient from a validation batch and w's from a training
    batch, both at the same (w, alpha), applied together."""

    def step(self, w_batch: Batch, alpha_batch: Batch) -> StepResult:
        alpha_loss, _, alpha_grads = self.loss_and_grads(alpha_batch, self.alphas)
        loss, logits, w_grads = self.loss_and_grads(w_batch, self.weights)
        self.update_weights(w_grads)
        self.update_alphas(alpha_grads)
        return self.result(loss, logits, w_batch[1], alpha_loss, alpha_grads)


class BiLevel(Optimizer):
    """DARTS: alpha on a validation batch, then w on a training batch; alpha's gradient of order 1
    (at the current w) or 2 (at w after one virtual step)."""

    orders = (1, 2)

    def step(self, w_batch: Batch, alpha_batch: Batch) -> StepResult:
        if self.order == 1:
            alpha_loss, _, alpha_grads = self.loss_and_grads(alpha_batch, self.alphas)
        else:
            alpha_loss, alpha_grads = self.unrolled_alpha_grads(w_batch, alpha_batch)
        self.update_alphas(alpha_grads)
        loss, logits, w_grads = self.loss_and_grads(w_batch, self.weights)
        self.update_weights(w_grads)
        return self.result(loss, logits, w_batch[1], alpha_loss, alpha_grads)

    def virtual_step(self, train_grads) -> list[torch.Tensor]:
        """DARTS' approximation of w's next step (its ``_compute_unrolled_model``): the gradient
        plus weight decay plus momentum times the buffer; plain momentum, no Nesterov, no clipping."""
        group = self.w_opt.param_groups[0]
        steps = []
        for p, g in zip(self.weights, train_grads):
            d = g + group["weight_decay"] * p
            buf = self.w_opt.state.get(p, {}).get("momentum_buffer")
            steps.append(d if buf is None else d + group["momentum"] * buf)
        return steps

    @torch.no_grad()
    def _shift(self, deltas, scale: float) -> None:
        for p, d in zip(self.weights, deltas):
            p.add_(d, alpha=scale)

    def unrolled_alpha_grads(self, w_batch: Batch,
                             alpha_batch: Batch) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """DARTS eq. 7-8: L_val(w', alpha) and its alpha gradient grad_alpha L_val(w', alpha) - xi *
        Hessian-vector product, with w' = w - xi * step and the product by central finite
        differences around w."""
        xi = self.w_lr
        backup = [p.detach().clone() for p in self.weights]
        _, _, train_grads = self.loss_and_grads(w_batch, self.weights)
        self._shift(self.virtual_step(train_grads), -xi)  # w' = w - xi * step
        alpha_loss, _, grads = self.loss_and_grads(alpha_batch, self.weights + self.alphas)
        v, dalpha = grads[:len(self.weights)], grads[len(self.weights):]
        with torch.no_grad():
            for p, b in zip(self.weights, backup):
                p.copy_(b)
        eps = 0.01 / torch.sqrt(sum((g * g).sum() for g in v)).item()
        self._shift(v, eps)  # w + eps v
        _, _, plus = self.loss_and_grads(w_batch, self.alphas)
        self._shift(v, -2 * eps)  # w - eps v
        _, _, minus = self.loss_and_grads(w_batch, self.alphas)
        with torch.no_grad():
            for p, b in zip(self.weights, backup):
                p.copy_(b)
        return alpha_loss, [da - xi * (gp - gm) / (2 * eps) for da, gp, gm in zip(dalpha, plus, minus)]


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer as the kit names it: in configs, studies, folders, figures and widgets."""

    name: str                  # as configs and run folders name it
    cls: type[Optimizer]       # its step
    data: str                  # the batch alpha learns from (DATA): "same" as w's, or "held-out"
    schedule: str              # SCHEDULES: w and alpha step "together" or "in turn" (alpha first)
    label: str                 # its readable name in figures and widgets
    colour: str                # its colour in every figure (blues and purples: no operation uses them)
    order: int = 1             # of alpha's gradient (cls.orders): 2 unrolls w one step (DARTS-V2)

    def __post_init__(self) -> None:
        one_of("data", self.data, DATA)
        one_of("schedule", self.schedule, SCHEDULES)
        one_of("order", self.order, self.cls.orders)

    @property
    def uses_split(self) -> bool:
        """Whether it takes a training and a validation batch (the search set split in two), else one."""
        return self.data == "held-out"


OPTIMIZERS: dict[str, OptimizerSpec] = {}


def register_optimizer(spec: OptimizerSpec) -> OptimizerSpec:
    """Add ``spec`` to ``OPTIMIZERS`` under its name (a name taken is refused)."""
    if spec.name in OPTIMIZERS:
        raise ValueError(f"optimizer: {spec.name!r} is already registered")
    OPTIMIZERS[spec.name] = spec
    return spec


def get_optimizer(name: str) -> OptimizerSpec:
    """The registered optimizer ``name``, or a ValueError naming those there are."""
    found = OPTIMIZERS.get(name) if isinstance(name, str) else None  # a checked config's name: found
    return found or OPTIMIZERS[one_of("optimizer", name, OPTIMIZERS)]


register_optimizer(OptimizerSpec("single", SingleLevel, "same", "together", "single-level (Single-DARTS)",
                                 "#1565c0"))
register_optimizer(OptimizerSpec("alternating", Alternating, "same", "in turn",
                                 "same batch, in turn (alternating)", "#00838f"))
register_optimizer(OptimizerSpec("split_joint", SplitJoint, "held-out", "together",
                                 "held-out batch, together (split_joint)", "#5d4037"))
register_optimizer(OptimizerSpec("bilevel1", BiLevel, "held-out", "in turn", "bi-level, 1st order (DARTS-V1)",
                                 "#6a1b9a"))
register_optimizer(OptimizerSpec("bilevel2", BiLevel, "held-out", "in turn", "bi-level, 2nd order (DARTS-V2)",
                                 "#c2185b", order=2))


def make_optimizer(name: str, model: Supernet, epochs: int, hyper: Hyperparameters = RECIPE,
                   mixin: type | None = None) -> Optimizer:
    """The registered optimizer ``name`` (``OPTIMIZERS``) on ``model``, with ``hyper``; ``mixin``, a
    class put before its own (``run/together.py``'s ``SeedsTogether``: k seeds as one)."""
    spec = get_optimizer(name)
    cls = spec.cls if mixin is None else type(f"{spec.cls.__name__}{mixin.__name__}", (mixin, spec.cls), {})
    return cls(model, epochs, hyper, spec.order)
