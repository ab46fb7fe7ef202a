"""The continuous relaxation: how an edge's row of alphas becomes the mixing weights of its ops.

softmax (DARTS)          w_o = exp(alpha_o) / sum_o' exp(alpha_o')   the ops compete for one unit
sigmoid (arXiv 2012.11337)  w_o = 1 / (1 + exp(-alpha_o))            each op's weight is its own

The authors' earlier single-level paper replaces the softmax by the non-competitive sigmoid: an
operation can then grow without taking weight from the others.  Both are monotonic in alpha, so
the per-edge argmax, and with it the derived cell of NAS-Bench-201, is the same function of alpha.

One difference matters when reading the weights: ``none`` outputs zero whatever its weight.  Under
the softmax its alpha still learns, through the normalisation that couples it to the others; under
the sigmoid nothing couples it, so its alpha gets no gradient and its weight stays where it started
(0.5).  ``inert_ops`` names it, and the derived cell and every measure of the weights leave it out.
"""

from __future__ import annotations

from functools import partial

import torch

from ..base.guards import one_of

RELAX = {"softmax": partial(torch.softmax, dim=-1), "sigmoid": torch.sigmoid}  # alpha -> mixing weights
ACTIVATIONS = tuple(RELAX)


def check_activation(activation: str) -> str:
    """``activation`` if it is one of ``ACTIVATIONS``; else ValueError naming them."""
    return one_of("activation", activation, ACTIVATIONS)


def inert_ops(activation: str) -> tuple[str, ...]:
    """The operations whose weight the loss cannot move under ``activation`` (see above)."""
    return ("none",) if check_activation(activation) == "sigmoid" else ()


def mixing_weights(alphas: torch.Tensor, activation: str = "softmax") -> torch.Tensor:
    """Per row of ``alphas`` (one row per edge), the weights of the operations.  A supernet checks
    its activation once, when made, and relaxes by ``RELAX`` at every forward."""
    return RELAX[check_activation(activation)](alphas)
