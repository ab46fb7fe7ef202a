"""The DARTS CNN operations (quark0/darts ``operations.py``), built by name with ``darts_op``.

Every conv op is ReLU -> conv(s) -> BN.  ``affine=False`` (the search cell) gives BNs without a
learnable scale and shift.  A stride-2 op is the first op on an edge leaving an input node of a
reduction cell; there ``skip_connect`` becomes a FactorizedReduce and ``none`` subsamples.  The same
operations stacked over the edges that leave one node, for the fused search cell, are in
``stacked.py``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import Identity, Zero
from .genotypes import PRIMITIVES


class SepConv(nn.Sequential):
    """Separable conv, applied twice: (ReLU, depthwise k x k, pointwise 1x1, BN) x 2."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, affine: bool = True):
        pad = kernel // 2
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(C_in, C_in, kernel, stride, pad, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_in, 1, bias=False),
            nn.BatchNorm2d(C_in, affine=affine),
            nn.ReLU(),
            nn.Conv2d(C_in, C_in, kernel, 1, pad, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, 1, bias=False),
            nn.BatchNorm2d(C_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """Dilated separable conv: ReLU, depthwise k x k with dilation 2, pointwise 1x1, BN."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, affine: bool = True):
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(C_in, C_in, kernel, stride, padding=kernel - 1, dilation=2, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, 1, bias=False),
            nn.BatchNorm2d(C_out, affine=affine),
        )


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing every other pixel: two stride-2 1x1 convs, one shifted
    by a pixel, concatenated, then BN.  Needs an even height and width."""

    def __init__(self, C_in: int, C_out: int, affine: bool = True):
        super().__init__()
        if C_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got {C_out}")
        self.relu = nn.ReLU()
        self.conv_1 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(C_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(f"FactorizedReduce needs an even height and width, got {tuple(x.shape[-2:])} "
                             "(choose an image size divisible by 4)")
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def darts_op(name: str, C: int, stride: int, affine: bool = True) -> nn.Module:
    """The DARTS operation ``name`` on C channels with the given stride."""
    if name == "none":
        return Zero(stride)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(C, C, affine)
    if name in ("sep_conv_3x3", "sep_conv_5x5"):
        return SepConv(C, C, int(name[-1]), stride, affine)
    if name in ("dil_conv_3x3", "dil_conv_5x5"):
        return DilConv(C, C, int(name[-1]), stride, affine)
    raise ValueError(f"unknown DARTS operation {name!r}; allowed: {', '.join(PRIMITIVES)}")


def search_op(name: str, C: int, stride: int) -> nn.Module:
    """An operation as the search cell's MixedOp holds it: BN without affine, and every pool
    followed by such a BN (so pooled outputs are on the scale of the convs' outputs)."""
    op = darts_op(name, C, stride, affine=False)
    return nn.Sequential(op, nn.BatchNorm2d(C, affine=False)) if "pool" in name else op
