"""Why collapse happens: how sharply the held-out loss curves in alpha.

Zela et al. (ICLR 2020, "Understanding and Robustifying Differentiable Architecture Search") found
that the dominant eigenvalue lambda_max of the Hessian of the validation loss in alpha,

    H = d^2 L_valid(w, alpha) / d alpha^2        (the weights w held fixed),

grows as DARTS degrades: alpha settles into a sharp valley, and the cell discretised from it (one
operation per edge, far from the valley's floor) does badly.  Their DARTS-ES stops a search at the
first epoch i with lambda_max(i - k) / lambda_max(i) < 0.75, k = 5, and keeps the alphas of epoch
i - k (``early_stop_epoch``).

NAS-Bench-201's alpha is one 6 x 5 matrix, so H (30 x 30) is computed exactly: row r is the
gradient of the r-th component of alpha's gradient (a Hessian-vector product with the r-th unit
vector, several at once), and with it the whole spectrum.  The DARTS space's 2 x 14 x 8 = 224
alphas get lambda_max by power iteration on Hessian-vector products.

Both run on fixed held-out batches in training mode (BN normalises with the batch's statistics,
as in the loss the optimizers descend), and leave the model as they found it: BN running
statistics are put back and no gradient is accumulated, so a search measured is the search
unmeasured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from ..data.batches import Batch

EXACT_LIMIT = 64     # up to this many alphas: the exact Hessian; more: power iteration
ROWS_AT_ONCE = 10    # Hessian rows per batched backward pass (memory grows with it)
ES_WINDOW, ES_RATIO = 5, 0.75  # DARTS-ES: k epochs, and the ratio that stops


def loss_gradient(model: nn.Module, batches: list[Batch]) -> torch.Tensor:
    """The flat gradient in alpha of the mean loss over ``batches``, kept differentiable."""
    alphas = model.arch_parameters()
    total = sum(len(y) for _, y in batches)
    loss = sum(F.cross_entropy(model(x), y, reduction="sum") for x, y in batches) / total
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, alphas, create_graph=True)])


def hessian_vector_products(model: nn.Module, gradient: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """H v for each row v of ``vectors``: d(gradient . v) / d alpha, in one batched backward pass."""
    batched = vectors.dim() == 2
    hv = torch.autograd.grad(gradient, model.arch_parameters(), grad_outputs=vectors, retain_graph=True,
                             is_grads_batched=batched)
    return torch.cat([h.reshape(len(vectors), -1) if batched else h.reshape(-1) for h in hv], dim=-1)


def exact_hessian(model: nn.Module, batches: list[Batch]) -> torch.Tensor:
    """H, ``ROWS_AT_ONCE`` rows at a time, made exactly symmetric (it is, up to rounding)."""
    gradient = loss_gradient(model, batches)
    eye = torch.eye(len(gradient), dtype=gradient.dtype, device=gradient.device)
    rows = [hessian_vector_products(model, gradient, block) for block in eye.split(ROWS_AT_ONCE)]
    h = torch.cat(rows).detach()
    return (h + h.T) / 2


def power_iteration(hvp: Callable[[torch.Tensor], torch.Tensor], n: int, iters: int = 50, tol: float = 1e-3,
                    generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> float:
    """The largest eigenvalue of the symmetric operator ``hvp`` on R^n.  Power iteration finds the
    eigenvalue of largest magnitude; when that one is negative, a second run on H - mu I, whose
    spectrum is shifted to be non-negative, finds the largest."""

    def dominant(op: Callable[[torch.Tensor], torch.Tensor]) -> float:
        v = torch.randn(n, generator=generator, dtype=dtype)
        v /= v.norm()
        value = 0.0
        for _ in range(iters):
            w = op(v)
            new, norm = float(v @ w), float(w.norm())
            if norm == 0.0:
                return 0.0
            v = w / norm
            if abs(new - value) <= tol * abs(new):
                return new
            value = new
        return value

    mu = dominant(hvp)
    return mu if mu >= 0 else mu + dominant(lambda v: hvp(v) - mu * v)


class Sharpness:
    """lambda_max of the held-out loss's Hessian in alpha, on the same fixed batches at every call;
    for up to ``EXACT_LIMIT`` alphas also every eigenvalue."""

    def __init__(self, batches: Iterable[Batch], device: torch.device | str = "cpu"):
        self.batches = [(x.to(device), y.to(device)) for x, y in batches]

    def __call__(self, model: nn.Module) -> tuple[float, list[float] | None]:
        """(lambda_max, the eigenvalues in ascending order, or None when power iteration was used)."""
        buffers = [b.clone() for b in model.buffers()]
        was_training = model.training
        model.train()
        try:
            n = sum(a.numel() for a in model.arch_parameters())
            if n <= EXACT_LIMIT:
                eigenvalues = torch.linalg.eigvalsh(exact_hessian(model, self.batches).double().cpu())
                return float(eigenvalues[-1]), eigenvalues.tolist()
            gradient = loss_gradient(model, self.batches)
            hvp = lambda v: hessian_vector_products(model, gradient, v.to(gradient)).detach().cpu()  # noqa: E731
            return power_iteration(hvp, n, generator=torch.Generator().manual_seed(0)), None
        finally:
            with torch.no_grad():
                for b, saved in zip(model.buffers(), buffers):
                    b.copy_(saved)
            model.train(was_training)


def early_stop_epoch(lambdas: list[float | None], k: int = ES_WINDOW,
                     ratio: float = ES_RATIO) -> tuple[int, int] | None:
    """DARTS-ES: the first epoch i with lambda(i - k) / lambda(i) < ``ratio`` (lambda_max grew by
    more than 1 / ratio within k epochs), and the epoch i - k whose alphas it keeps; None if none."""
    for i in range(k, len(lambdas)):
        now, before = lambdas[i], lambdas[i - k]
        if now is not None and before is not None and now > 0 and before / now < ratio:
            return i, i - k
    return None
