"""Why collapse happens: how sharply the held-out loss curves in alpha.

Zela et al. (ICLR 2020, "Understanding and Robustifying Differentiable Architecture Search") found
that the dominant eigenvalue lambda_max of the Hessian of the validation loss in alpha,

    H = d^2 L_valid(w, alpha) / d alpha^2        (the weights w held fixed),

grows as DARTS degrades: alpha settles into a sharp valley, and the cell discretised from it (one
operation per edge, far from the valley's floor) does badly.  Their DARTS-ES stops a search at the
first epoch i with lambda_max(i - k) / lambda_max(i) < 0.75, k = 5, and keeps the alphas of epoch
i - k (``early_stop_epoch``).

lambda_max alone needs few Hessian-vector products: Lanczos (``lanczos_top``) in a Krylov space of a
few vectors, each measurement started from the last one's eigenvector, takes 4 to 7 where the
exact Hessian takes one per alpha.  A search measures it every epoch, and the top direction moves
little between epochs, so by default (``method="power"``) only the first measurement runs Lanczos;
every later one is ONE step of power iteration continued across the search (``power_step``):

    lambda_max ~ v . H v,     v <- H v / |H v|        (v: the last measurement's eigenvector)

one Hessian-vector product, not Lanczos's 4 to 7.  (Central differences of alpha's gradient would
cost two gradients and no double backward, but the loss has a kink at every ReLU: measured on a
fashion supernet they missed v . H v by 3% to over 100%, in float64 too.)  Power iteration climbs
to the eigenvalue largest in MAGNITUDE, which may be a negative one; so a step is
kept only while v stays an eigenvector of H to within ``GUARD`` (|H v - (v.Hv) v| <= GUARD v.Hv),
and otherwise Lanczos runs again from H v.  Its error against the exact value over whole searches:
``assets/sharpness-power.md``.  NAS-Bench-201's alpha is one 6 x 5 matrix, so its 30 x 30 H can
also be had whole (``spectrum=True``): row r is the gradient of the r-th component of alpha's
gradient, several rows at once; it is the oracle of the tests.

Both run on one fixed held-out sample (``held_out_sample``: the search's ``sharpness_size`` images,
512 for ``fashion``: smaller samples are noisier than the growth DARTS-ES looks for, README), in
training mode (BN normalises with the batch's statistics, as in the loss the optimizers descend),
and leave the model as they found it: BN running statistics are put back and no gradient is
accumulated, so a search measured is the search unmeasured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from scipy.sparse.linalg import LinearOperator, eigsh
from torch import nn

from ..base.guards import one_of
from ..data.batches import Batch, Batches
from ..data.images import ImageData

EXACT_ALPHAS = 64     # up to this many alphas the exact Hessian can be asked for; more: Lanczos only
KRYLOV = 3           # Lanczos vectors: the fewest products, warm-started, of 2 to 8 (README)
TOL = 1e-2           # ARPACK stops when the Ritz residual is within 1% of the value: lambda_max is then
                     # within 1% of the exact one (measured: within 3e-4), in 4-7 products, not 5-14 at 1e-4
ROWS_AT_ONCE = 10    # Hessian rows per batched backward pass (memory grows with it)
GUARD = 0.2          # a power step's residual, relative to its value, beyond which Lanczos runs again
METHODS = ("power", "lanczos")  # after the first measurement: one power step, or Lanczos to TOL
ES_WINDOW, ES_RATIO = 5, 0.75  # DARTS-ES: k epochs, and the ratio that stops


def loss_gradient(model: nn.Module, batches: list[Batch]) -> torch.Tensor:
    """The flat gradient in alpha of the mean loss over ``batches``, kept differentiable."""
    alphas = model.arch_parameters()
    total = sum(len(y) for _, y in batches)
    loss = sum(F.cross_entropy(model(x), y, reduction="sum") for x, y in batches) / total
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, alphas, create_graph=True)])


def power_step(hvp: Callable[[torch.Tensor], torch.Tensor],
               v: torch.Tensor) -> tuple[float, torch.Tensor, float]:
    """One step of power iteration from the unit vector ``v``: (v . H v, H v / |H v|, the residual
    |H v - (v . H v) v|), with one product ``hvp(v)`` = H v."""
    hv = hvp(v).double()
    value = float(v @ hv)
    return value, hv / hv.norm(), float((hv - value * v).norm())


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


def held_out_sample(data: ImageData, size: int, batch_size: int) -> list[Batch]:
    """The first ``size`` held-out images (all, if fewer), normalised, in near-equal batches of at
    least ``batch_size`` (none of a lone image, which batch norm cannot normalise in training)."""
    n = min(size, len(data.test_y))
    x, y = next(iter(Batches(data.test_x[:n], data.test_y[:n], data, n)))
    parts = max(n // batch_size, 1)
    return list(zip(x.tensor_split(parts), y.tensor_split(parts)))


def lanczos_top(hvp: Callable[[torch.Tensor], torch.Tensor], n: int, start: np.ndarray | None = None,
                tol: float = TOL, krylov: int = KRYLOV) -> tuple[float, np.ndarray, int]:
    """The largest eigenvalue of the symmetric operator ``hvp`` on R^n, its eigenvector and how many
    products it took: implicitly restarted Lanczos (ARPACK's ``eigsh``, which="LA") in a Krylov space
    of ``krylov`` vectors, started from ``start`` (the last measurement's eigenvector: the top
    direction moves little between epochs, so few products are needed)."""
    products = 0

    def matvec(v: np.ndarray) -> np.ndarray:
        nonlocal products
        products += 1
        return hvp(torch.from_numpy(np.ascontiguousarray(v).ravel())).double().numpy()

    if n <= krylov + 1:  # too small for ARPACK: the whole matrix, column by column
        values, vectors = np.linalg.eigh(np.stack([matvec(e) for e in np.eye(n)], axis=1))
        return float(values[-1]), vectors[:, -1], products
    op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    values, vectors = eigsh(op, k=1, which="LA", v0=start, tol=tol, ncv=min(krylov, n - 1))
    return float(values[0]), vectors[:, 0], products


class Sharpness:
    """lambda_max of the held-out loss's Hessian in alpha, on the same fixed batches at every call:
    with ``spectrum`` (and up to ``EXACT_ALPHAS`` alphas) from the exact Hessian with every
    eigenvalue; else by Lanczos at the first call, and at each later call one power step
    (``method="power"``) or Lanczos again (``"lanczos"``), started from the last call's eigenvector."""

    def __init__(self, batches: Iterable[Batch], device: torch.device | str = "cpu", spectrum: bool = False,
                 method: str = "power"):
        self.batches = [(x.to(device), y.to(device)) for x, y in batches]
        self.spectrum = spectrum
        self.method = one_of("method", method, METHODS)
        self.vector: np.ndarray | None = None  # the last top eigenvector: the next call's start
        self.products = 0                      # Hessian-vector products the last call took

    def __call__(self, model: nn.Module) -> tuple[float, list[float] | None]:
        """(lambda_max, the eigenvalues in ascending order, or None when Lanczos was used)."""
        buffers = [b.clone() for b in model.buffers()]
        was_training = model.training
        model.train()
        try:
            n = sum(a.numel() for a in model.arch_parameters())
            if self.spectrum and n <= EXACT_ALPHAS:
                eigenvalues = torch.linalg.eigvalsh(exact_hessian(model, self.batches).double().cpu())
                self.products = n
                return float(eigenvalues[-1]), eigenvalues.tolist()
            gradient = loss_gradient(model, self.batches)
            hvp = lambda v: hessian_vector_products(model, gradient, v.to(gradient)).detach().cpu()  # noqa: E731
            extra, start = 0, self.vector
            if self.method == "power" and self.vector is not None:
                value, vector, residual = power_step(hvp, torch.from_numpy(self.vector))
                self.vector, self.products = vector.numpy(), 1
                if 0 < value and residual <= GUARD * value:
                    return value, None
                extra, start = 1, self.vector
            start = start if start is not None else np.random.default_rng(0).standard_normal(n)
            value, self.vector, products = lanczos_top(hvp, n, start=start)
            self.products = products + extra
            return value, None
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
