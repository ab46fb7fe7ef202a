"""What every supernet offers (the ``Supernet`` protocol), and the supernet of a space by its name.

Searches, optimizers and checkpoints take any ``Supernet``: an ``nn.Module`` whose forward gives
logits and which implements the methods below with these signatures.  Both spaces' supernets do.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn

from .spaces import SearchSpace, get_space


@runtime_checkable
class Supernet(Protocol):
    """A supernet: weights w and architecture parameters alpha, mixed per edge."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The logits of a batch of images."""

    def arch_parameters(self) -> list[nn.Parameter]:
        """alpha: what the architecture optimizer (Adam) updates."""

    def weight_parameters(self) -> list[nn.Parameter]:
        """w: every other parameter, what the weight optimizer (SGD) updates."""

    def edge_weights(self) -> torch.Tensor:
        """The mixing weights, one row per alpha row (edges x operations)."""

    def genotype(self, exclude_none: bool | None = None) -> object:
        """The discrete cell(s) derived from alpha; ``exclude_none``: whether ``none`` is kept from
        winning an edge (None: the space's and relaxation's rule, ``SearchConfig.derivation``)."""

    def set_onehot(self, genotype: object) -> None:
        """Set alpha so that the mixing weights are exactly one-hot on ``genotype``."""

    def discretize(self, genotype: object) -> nn.Module:
        """The discrete network of ``genotype`` carrying these weights: the same function as this
        supernet under ``set_onehot(genotype)``."""


def supernet(space: str | SearchSpace = "nb201", C: int = 16, N: int = 5, num_classes: int = 10,
             in_channels: int = 3, image_size: int | None = None, activation: str = "softmax",
             fused: bool = True) -> Supernet:
    """The supernet of a registered search space.  ``N``: what the space's ``depth`` says (nb201:
    cells per stage; darts: cells in all, at least 3); ``image_size``, when given, is checked
    against the space's reductions; ``activation``: softmax (DARTS) or sigmoid relaxation of alpha
    (``mixing.py``); ``fused``: the fast per-source-node cells, or (``False``) the readable
    per-edge MixedOps (``spaces/*/supernet.py`` say how the two compute the same sum)."""
    return get_space(space).supernet(C, N, num_classes, in_channels, image_size, activation, fused)
