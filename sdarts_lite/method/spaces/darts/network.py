"""The DARTS CNN macro skeleton, and the discrete network of a genotype (quark0/darts ``model.py``).

stem (3x3 conv to stem_multiplier * C, BN) -> ``layers`` cells, each reading the outputs of the
two cells before it, channels doubled at each reduction (at ``layers // 3`` and ``2 * layers // 3``)
-> global average pool -> linear.  Normal cells keep the resolution; reduction cells halve it
(their edges leaving nodes 0 and 1 have stride 2).  The supernet (``supernet.py``) and the
discrete network differ only in their cells.  The discrete network also has DARTS' training
extras: drop path and an auxiliary head.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..layers import Identity, ReLUConvBN, check_widths
from .genotypes import STEPS, DartsGenotype
from .ops import FactorizedReduce, darts_op, search_op


def reduction_positions(layers: int, reductions: Sequence[int] | None = None) -> tuple[int, ...]:
    """Where the reduction cells are (default: DARTS', at ``layers // 3`` and ``2 * layers // 3``)."""
    positions = (layers // 3, 2 * layers // 3) if reductions is None else tuple(reductions)
    if not positions or any(type(r) is not int or not 0 <= r < layers for r in positions):
        raise ValueError(f"reductions must be cell positions in 0..{layers - 1}, got {reductions!r}")
    return tuple(sorted(set(positions)))


def check_image_size(size: int, halvings: int = 2) -> int:
    """Refuse an image size that a reduction cannot halve: each reduction halves the image with
    FactorizedReduce (two stride-2 convolutions, one shifted by a pixel), which needs an even size;
    with DARTS' two reductions, a multiple of 4 (4, 8, 12, ...)."""
    factor = 2 ** halvings
    if size % factor:
        raise ValueError(f"image_size: the darts network halves images {halvings} time(s) and needs a "
                         f"multiple of {factor}, got {size}")
    return size


class DartsSkeleton(nn.Module):
    """stem (3x3 conv to stem_multiplier * C, BN) -> ``layers`` cells, each reading the two
    previous outputs, channels doubled at each reduction -> global average pool -> linear."""

    def __init__(self, make_cell: Callable[[int, int, int, bool, bool], nn.Module], C: int, layers: int,
                 num_classes: int, in_channels: int, reductions: Sequence[int] | None,
                 stem_multiplier: int = 3, image_size: int | None = None):
        super().__init__()
        check_widths(C, "layers", layers, in_channels, num_classes)
        self.reductions = reduction_positions(layers, reductions)
        if image_size is not None:
            check_image_size(image_size, len(self.reductions))
        self.C, self.stem_multiplier = C, stem_multiplier
        C_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C_curr, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(C_curr))
        C_prev_prev, C_prev, C_curr = C_curr, C_curr, C
        cells, reduction_prev = [], False
        for i in range(layers):
            reduction = i in self.reductions
            C_curr *= 2 if reduction else 1
            cells.append(make_cell(C_prev_prev, C_prev, C_curr, reduction, reduction_prev))
            C_prev_prev, C_prev, reduction_prev = C_prev, cells[-1].out_channels, reduction
        self.cells = nn.ModuleList(cells)
        self.classifier = nn.Linear(C_prev, num_classes)

    def classify(self, s: torch.Tensor) -> torch.Tensor:
        return self.classifier(s.mean(dim=(2, 3)))


def preprocessing(C_prev_prev: int, C_prev: int, C: int, reduction_prev: bool,
                  affine: bool) -> tuple[nn.Module, nn.Module]:
    """Bring both cell inputs to C channels and the same resolution (a FactorizedReduce for the
    cell before last when the last cell was a reduction)."""
    pre0 = (FactorizedReduce(C_prev_prev, C, affine) if reduction_prev
            else ReLUConvBN(C_prev_prev, C, 1, 1, affine))
    return pre0, ReLUConvBN(C_prev, C, 1, 1, affine)


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero each sample's path with probability ``drop_prob``, scaling the rest by 1/(1 - p)."""
    keep = 1.0 - drop_prob
    mask = torch.bernoulli(torch.full((x.shape[0], 1, 1, 1), keep, dtype=x.dtype, device=x.device))
    return x * mask / keep


class Cell(nn.Module):
    """A discrete cell: two chosen (op, input) edges per node.  ``affine=False`` builds every op
    as the search cell holds it, so a one-hot supernet computes the same function."""

    def __init__(self, genotype: DartsGenotype, C_prev_prev: int, C_prev: int, C: int, reduction: bool,
                 reduction_prev: bool, affine: bool = True):
        super().__init__()
        edges = genotype.reduce if reduction else genotype.normal
        self.concat = genotype.reduce_concat if reduction else genotype.normal_concat
        self.out_channels = len(self.concat) * C
        self.inputs = [i for _, i in edges]
        self.preprocess0, self.preprocess1 = preprocessing(C_prev_prev, C_prev, C, reduction_prev, affine)
        make = darts_op if affine else search_op
        self.ops = nn.ModuleList(make(name, C, 2 if reduction and i < 2 else 1) for name, i in edges)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float = 0.0) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(STEPS):
            node = 0
            for op, i in zip(self.ops[2 * k:2 * k + 2], self.inputs[2 * k:2 * k + 2]):
                h = op(states[i])
                if self.training and drop_prob > 0 and not isinstance(op, Identity):
                    h = drop_path(h, drop_prob)
                node = node + h
            states.append(node)
        return torch.cat([states[j] for j in self.concat], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """DARTS' auxiliary classifier after the last reduction; built for 8x8 feature maps there
    (32x32 images), so it refuses smaller ones (8x8 digits leave 2x2: train without it)."""

    def __init__(self, C: int, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(),
            nn.AvgPool2d(5, stride=3, count_include_pad=False),  # 8x8 -> 2x2
            nn.Conv2d(C, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (8 <= min(x.shape[-2:]) and max(x.shape[-2:]) <= 10):
            raise ValueError(f"auxiliary: the auxiliary head needs 8x8 feature maps after the last reduction "
                             f"(32x32 images), got {tuple(x.shape[-2:])}: use auxiliary=False")
        return self.classifier(self.features(x).flatten(1))


class DartsNetwork(DartsSkeleton):
    """The discrete network of a DARTS genotype (DARTS' NetworkCIFAR; defaults: the paper's
    CIFAR-10 evaluation network, 36 channels, 20 cells).

    ``model(x)`` returns the logits; ``model.forward_aux(x)`` returns ``(logits, aux_logits)``,
    ``aux_logits`` being None unless the network has an auxiliary head and is training.  The
    trainer sets ``drop_path_prob``.
    """

    def __init__(self, genotype: DartsGenotype | str, C: int = 36, layers: int = 20, num_classes: int = 10,
                 in_channels: int = 3, auxiliary: bool = False, reductions: Sequence[int] | None = None,
                 affine: bool = True, stem_multiplier: int = 3, image_size: int | None = None):
        self.genotype = genotype = DartsGenotype.parse(genotype)
        super().__init__(lambda *shape: Cell(genotype, *shape, affine=affine), C, layers, num_classes,
                         in_channels, reductions, stem_multiplier, image_size)
        self.aux_position = self.reductions[-1]  # DARTS: 2 * layers // 3
        self.auxiliary_head = (AuxiliaryHeadCIFAR(self.cells[self.aux_position].out_channels, num_classes)
                               if auxiliary else None)
        self.drop_path_prob = 0.0

    def forward_aux(self, x: torch.Tensor, aux: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        aux = aux and self.auxiliary_head is not None and self.training
        aux_logits = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if aux and i == self.aux_position:
                aux_logits = self.auxiliary_head(s1)
        return self.classify(s1), aux_logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_aux(x, aux=False)[0]
