"""The DARTS operations stacked over the E edges that leave one node, for the fused search cell
(``supernet.FusedSearchCell``): each module holds the E edges' tensors one after the other (edge
k's C channels at k*C), under the state-dict keys of the plain op (``ops.py``), and takes
r = ReLU(x) (the pools: x) and the edges' mixing weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .ops import FactorizedReduce

DENSE_MAX = 64  # pointwise convs on up to this many channels run dense (block-diagonal): faster in oneDNN


def batch_norm(y: torch.Tensor, bn: nn.BatchNorm2d, scale: torch.Tensor | None = None) -> torch.Tensor:
    """``bn(y)`` (no affine) times ``scale`` per channel: the mixing weights folded into the BN."""
    if bn.training:
        bn.num_batches_tracked.add_(1)  # unused (momentum 0.1), counted as ``bn(y)`` counts
    return F.batch_norm(y, bn.running_mean, bn.running_var, scale, None, bn.training, bn.momentum, bn.eps)


def depthwise_all_edges(r: torch.Tensor, conv: nn.Conv2d, E: int, phases: bool = False) -> torch.Tensor:
    """Every edge's depthwise conv on the same C channels: E kernels per channel (x_i is not copied
    E times), output channels ordered (channel, edge).  ``phases``: r is ``space_to_batch``'d and
    the conv, of dilation 2 and stride 1, runs undilated on it."""
    C, k = r.shape[1], conv.kernel_size
    weight = conv.weight.reshape(E, C, 1, *k).transpose(0, 1).reshape(C * E, 1, *k)
    if phases:
        return F.conv2d(r, weight, None, 1, k[0] // 2, 1, groups=C)
    return F.conv2d(r, weight, None, conv.stride, conv.padding, conv.dilation, groups=C)


def pointwise(x: torch.Tensor, conv: nn.Conv2d, E: int, channel_major: bool = False) -> torch.Tensor:
    """The E edges' 1x1 convs on x, whose channels are ordered (edge, channel), or (channel, edge)
    with ``channel_major``; output (edge, channel).  Up to DENSE_MAX channels one dense conv with
    a block-diagonal weight, above a conv grouped by edge."""
    out, c_in = conv.weight.shape[0] // E, conv.weight.shape[1]
    if E * c_in > DENSE_MAX:
        if channel_major:  # to (edge, channel): a copy, in the channels-last layout
            N, _, H, W = x.shape
            x = x.permute(0, 2, 3, 1).unflatten(3, (c_in, E)).transpose(3, 4).reshape(N, H, W, E * c_in)
            x = x.permute(0, 3, 1, 2)
        return F.conv2d(x, conv.weight, groups=E)
    w = conv.weight.reshape(E, out, c_in)
    eye = torch.eye(E, dtype=w.dtype, device=w.device)
    dense = (w[:, :, :, None] * eye[:, None, None, :] if channel_major  # [(e, d), (c, e')]
             else w[:, :, None, :] * eye[:, None, :, None])             # [(e, d), (e', c)]
    return F.conv2d(x, dense.reshape(E * out, c_in * E, 1, 1))


def space_to_batch(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (4N, C, H/2, W/2): the four pixel phases (even/odd row and column) of every
    image as images of their own, channels-last.  A dilation-2 conv is an ordinary conv on each."""
    N, C, H, W = x.shape
    y = x.permute(0, 2, 3, 1).reshape(N, H // 2, 2, W // 2, 2, C).permute(0, 2, 4, 1, 3, 5)
    return y.reshape(4 * N, H // 2, W // 2, C).permute(0, 3, 1, 2)


def batch_to_space(y: torch.Tensor) -> torch.Tensor:
    """The inverse of ``space_to_batch``."""
    N4, C, h, w = y.shape
    x = y.permute(0, 2, 3, 1).reshape(N4 // 4, 2, 2, h, w, C).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(N4 // 4, 2 * h, 2 * w, C).permute(0, 3, 1, 2)


class StackedSepConv(nn.Sequential):
    """sep_conv_kxk of the E edges: SepConv's layers with E x the channels, grouped by edge."""

    def __init__(self, C: int, E: int, kernel: int, stride: int):
        EC, pad = E * C, kernel // 2
        super().__init__(nn.ReLU(), nn.Conv2d(EC, EC, kernel, stride, pad, groups=EC, bias=False),
                         nn.Conv2d(EC, EC, 1, groups=E, bias=False), nn.BatchNorm2d(EC, affine=False),
                         nn.ReLU(), nn.Conv2d(EC, EC, kernel, 1, pad, groups=EC, bias=False),
                         nn.Conv2d(EC, EC, 1, groups=E, bias=False), nn.BatchNorm2d(EC, affine=False))
        self.E = E

    def forward(self, r: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        y = pointwise(depthwise_all_edges(r, self[1], self.E), self[2], self.E, channel_major=True)
        y = F.relu(batch_norm(y, self[3]))
        return batch_norm(pointwise(self[5](y), self[6], self.E), self[7], scale)


class StackedDilConv(nn.Sequential):
    """dil_conv_kxk of the E edges: DilConv's layers with E x the channels, grouped by edge."""

    def __init__(self, C: int, E: int, kernel: int, stride: int):
        EC = E * C
        super().__init__(nn.ReLU(), nn.Conv2d(EC, EC, kernel, stride, kernel - 1, 2, groups=EC, bias=False),
                         nn.Conv2d(EC, EC, 1, groups=E, bias=False), nn.BatchNorm2d(EC, affine=False))
        self.E = E

    def forward(self, r: torch.Tensor, scale: torch.Tensor, phases: bool = False) -> torch.Tensor:
        """``phases``: r is ``space_to_batch``'d (stride 1 only) and the depthwise conv undilated."""
        y = pointwise(depthwise_all_edges(r, self[1], self.E, phases), self[2], self.E, channel_major=True)
        return batch_norm(y, self[3], scale)


def factorized_reduce(r: torch.Tensor, fr: FactorizedReduce | StackedFactorizedReduce,
                      scale: torch.Tensor | None = None, E: int = 1) -> torch.Tensor:
    """FactorizedReduce (of E edges) on r = ReLU(x): conv_1 (1x1, stride 2) reads the top-left pixel
    of each 2x2 block, conv_2 (on x[:, :, 1:, 1:]) the bottom-right one, so the two are ONE 2x2
    stride-2 conv, each edge's output channels [conv_1's | conv_2's] as FactorizedReduce
    concatenates them (and r is not sliced, whose gradient would come back in the NCHW layout)."""
    if r.shape[-1] % 2 or r.shape[-2] % 2:
        raise ValueError(f"FactorizedReduce needs an even height and width, got {tuple(r.shape[-2:])} "
                         "(choose an image size divisible by 4)")
    half, c_in = fr.conv_1.weight.shape[0] // E, fr.conv_1.weight.shape[1]
    w1, w2 = (conv.weight.reshape(E, half, c_in, 1, 1) for conv in (fr.conv_1, fr.conv_2))
    kernel = torch.cat([F.pad(w1, (0, 1, 0, 1)), F.pad(w2, (1, 0, 1, 0))], dim=1)  # at (0, 0), (1, 1)
    return batch_norm(F.conv2d(r, kernel.reshape(2 * E * half, c_in, 2, 2), stride=2), fr.bn, scale)


class StackedFactorizedReduce(nn.Module):
    """skip_connect on the E stride-2 edges leaving an input node of a reduction cell."""

    def __init__(self, C: int, E: int):
        super().__init__()
        self.E = E
        self.conv_1 = nn.Conv2d(E * C, E * C // 2, 1, stride=2, groups=E, bias=False)
        self.conv_2 = nn.Conv2d(E * C, E * C // 2, 1, stride=2, groups=E, bias=False)
        self.bn = nn.BatchNorm2d(E * C, affine=False)

    def forward(self, r: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        return factorized_reduce(r, self, scale, self.E)


class StackedPoolBN(nn.Sequential):
    """A pool and its BN (``search_op``'s) for the E edges: one pool, one set of batch statistics,
    E sets of running statistics."""

    def __init__(self, pool: nn.Module, C: int, E: int):
        super().__init__(pool, nn.BatchNorm2d(E * C, affine=False))
        self.E = E

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> tuple:
        """(z, scale, shift): edge k's term is ``z * scale[k] + shift[k]`` (shift None: 0)."""
        pooled, bn, E, C = self[0](x), self[1], self.E, x.shape[1]
        if not bn.training:  # the running statistics: one affine map per edge
            scale = w[:, None] * torch.rsqrt(bn.running_var.view(E, C) + bn.eps)
            return pooled, scale[..., None, None], (-bn.running_mean.view(E, C) * scale)[..., None, None]
        mean, var = pooled.new_zeros(C), pooled.new_ones(C)  # momentum 1: the batch's statistics
        z = F.batch_norm(pooled, mean, var, None, None, True, 1.0, bn.eps)
        bn.num_batches_tracked.add_(1)
        with torch.no_grad():
            for running, batch in ((bn.running_mean, mean), (bn.running_var, var)):
                running.view(E, C).mul_(1 - bn.momentum).add_(bn.momentum * batch)
        return z, w.view(E, 1, 1, 1), None


def stacked_ops(C: int, E: int, stride: int) -> nn.ModuleDict:
    """The stacked operations of one source node by name; ``none`` and the stride-1 skip_connect
    (the identity) have none."""
    ops = {"max_pool_3x3": StackedPoolBN(nn.MaxPool2d(3, stride, 1), C, E),
           "avg_pool_3x3": StackedPoolBN(nn.AvgPool2d(3, stride, 1, count_include_pad=False), C, E)}
    if stride == 2:
        ops["skip_connect"] = StackedFactorizedReduce(C, E)
    for k in (3, 5):
        ops[f"sep_conv_{k}x{k}"] = StackedSepConv(C, E, k, stride)
        ops[f"dil_conv_{k}x{k}"] = StackedDilConv(C, E, k, stride)
    return nn.ModuleDict(ops)
