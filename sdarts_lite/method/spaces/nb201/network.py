"""The NAS-Bench-201 macro skeleton, and the discrete network of a genotype.

stem (3x3 conv, BN) -> N cells at C -> residual reduction -> N cells at 2C -> residual
reduction -> N cells at 4C -> BN-ReLU -> global average pool -> linear.
The supernet (``supernet.py``) and the discrete network differ only in their cells.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ....base.guards import positive_int
from ..layers import check_widths
from .genotypes import NUM_NODES, NB201Genotype
from .ops import ResNetBasicblock, nb201_op


def check_image_size(size: int) -> int:
    """The skeleton's rule on images: at least 4 pixels, for its two stride-2 reductions."""
    return positive_int("image_size", size, minimum=4)


class NB201Skeleton(nn.Module):
    """Stem, three stages of cells joined by residual reductions, classifier head."""

    def __init__(self, make_cell: Callable[[int], nn.Module], C: int, N: int, num_classes: int,
                 in_channels: int, image_size: int | None = None):
        super().__init__()
        check_widths(C, "N", N, in_channels, num_classes)
        if image_size is not None:
            check_image_size(image_size)
        self.C, self.N = C, N
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        for stage, width in enumerate((C, 2 * C, 4 * C)):
            if stage:
                layers.append(ResNetBasicblock(width // 2, width))
            layers.extend(make_cell(width) for _ in range(N))
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU())
        self.classifier = nn.Linear(4 * C, num_classes)

    def _cells(self, x: torch.Tensor, *cell_args: torch.Tensor) -> torch.Tensor:
        """The stem, then every cell and reduction (``cell_args``: what the cells take besides x)."""
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x) if isinstance(layer, ResNetBasicblock) else layer(x, *cell_args)
        return x

    def classify(self, s: torch.Tensor) -> torch.Tensor:
        """The head on the last cell's output: BN-ReLU, global average pool, linear."""
        return self.classifier(self.lastact(s).mean(dim=(2, 3)))


class Cell(nn.Module):
    """A cell with one fixed operation per edge; ``none`` edges are left out."""

    def __init__(self, genotype: NB201Genotype, C: int, affine: bool, track_running_stats: bool):
        super().__init__()
        self.genotype = genotype
        self.edge_ops = nn.ModuleDict({
            f"{i}_{j}": nb201_op(op, C, affine, track_running_stats)
            for i, j, op in genotype.edges() if op != "none"
        })

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, NUM_NODES):
            terms = [self.edge_ops[f"{i}_{j}"](nodes[i]) for i in range(j) if f"{i}_{j}" in self.edge_ops]
            nodes.append(sum(terms) if terms else torch.zeros_like(x))
        return nodes[-1]


class NB201Network(NB201Skeleton):
    """The discrete network of one NAS-Bench-201 genotype."""

    def __init__(self, genotype: NB201Genotype | str, C: int = 16, N: int = 5, num_classes: int = 10,
                 in_channels: int = 3, image_size: int | None = None,
                 affine: bool = True, track_running_stats: bool = True):
        self.genotype = genotype = NB201Genotype.parse(genotype)
        super().__init__(lambda width: Cell(genotype, width, affine, track_running_stats),
                         C, N, num_classes, in_channels, image_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self._cells(x))

    def forward_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        """The logits, and no auxiliary logits (as a DARTS network without its auxiliary head)."""
        return self.classify(self._cells(x)), None

