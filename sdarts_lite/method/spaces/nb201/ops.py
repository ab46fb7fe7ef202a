"""The NAS-Bench-201 operations, as the benchmark's own code builds them, by name.

``nor_conv`` is ReLU -> Conv -> BN.  During search the BN has no affine parameters and no
running statistics (it always normalises with the batch's own statistics), exactly as the
reference search code does (``search_op``); a discrete network trained from scratch uses the
usual BN (``nb201_op``).
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import Identity, ReLUConvBN, Zero


class AvgPool3x3(nn.AvgPool2d):
    """3x3 average pooling that ignores padding (``avg_pool_3x3``)."""

    def __init__(self) -> None:
        super().__init__(3, stride=1, padding=1, count_include_pad=False)


def nb201_op(name: str, C: int, affine: bool = True, track_running_stats: bool = True) -> nn.Module:
    """One NAS-Bench-201 operation on C channels (``none`` is never built: it adds nothing)."""
    if name == "skip_connect":
        return Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(C, C, 1, 1, affine, track_running_stats)
    if name == "nor_conv_3x3":
        return ReLUConvBN(C, C, 3, 1, affine, track_running_stats)
    if name == "avg_pool_3x3":
        return AvgPool3x3()
    raise ValueError(f"no module for operation {name!r}")


def search_op(name: str, C: int) -> nn.Module:
    """An operation as the search cell's MixedOp holds it: BN without affine parameters and
    without running statistics, and ``none`` as zeros."""
    return Zero() if name == "none" else nb201_op(name, C, affine=False, track_running_stats=False)


class ResNetBasicblock(nn.Module):
    """The benchmark's residual reduction block between stages (stride 2, channels doubled).

    The shortcut's 2x2 average pool rounds its output size up (``ceil_mode``), as the stride-2 3x3
    convolution does, so that odd sizes reduce too (5 -> 3); on even sizes it is the benchmark's
    pool exactly (the last window is never partial)."""

    def __init__(self, C_in: int, C_out: int, affine: bool = True, track_running_stats: bool = True):
        super().__init__()
        self.conv_a = ReLUConvBN(C_in, C_out, 3, 2, affine, track_running_stats)
        self.conv_b = ReLUConvBN(C_out, C_out, 3, 1, affine, track_running_stats)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, ceil_mode=True),
            nn.Conv2d(C_in, C_out, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))
