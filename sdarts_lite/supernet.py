"""What every supernet offers (the ``Supernet`` protocol), and the supernet of a space by its name.

Searches, optimizers and checkpoints take any ``Supernet``: an ``nn.Module`` whose forward gives
logits and which implements the methods below with these signatures.  Both spaces' supernets do.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn

from .genotypes import Genotype, check_space
from .spaces.darts.supernet import DartsSupernet
from .spaces.nb201.supernet import NB201Supernet


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

    def genotype(self) -> Genotype:
        """The discrete cell(s) derived from alpha."""

    def set_onehot(self, genotype: Genotype | str) -> None:
        """Set alpha so that the mixing weights are exactly one-hot on ``genotype``."""

    def discretize(self, genotype: Genotype | str) -> nn.Module:
        """The discrete network of ``genotype`` carrying these weights: the same function as this
        supernet under ``set_onehot(genotype)``."""


def supernet(space: str = "nb201", C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3,
             input_size: int | None = None, activation: str = "softmax", fused: bool = True) -> Supernet:
    """The supernet of a search space.  ``N``: cells per stage (nb201) or cells in all (darts, at
    least 3); ``input_size``: nb201 only, checked against its two reductions (the DARTS space takes
    any size divisible by 4 and refuses the argument); ``activation``: softmax (DARTS) or sigmoid
    relaxation of alpha (``relaxation.py``); ``fused``: the fast per-source-node cells, or
    (``False``) the readable per-edge MixedOps (``spaces/*/supernet.py`` say how the two compute the
    same sum)."""
    check_space(space)
    if space == "nb201":
        return NB201Supernet(C, N, num_classes, in_channels, input_size, activation, fused=fused)
    if input_size is not None:
        raise ValueError(f"input_size: the darts space takes any image size divisible by 4 and is not "
                         f"told it; leave input_size=None (got {input_size!r})")
    return DartsSupernet(C, layers=N, num_classes=num_classes, in_channels=in_channels, activation=activation,
                         fused=fused)
