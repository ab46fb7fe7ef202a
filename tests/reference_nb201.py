"""A plain, per-edge NAS-Bench-201 supernet written the way the benchmark's reference search
code (xautodl's ``SearchCell`` / ``TinyNetworkDarts``) writes it: one ``MixedOp`` per edge, every
operation applied separately, ``none`` multiplying its input by zero.

It is the independent oracle for ``sdarts_lite.supernet``; ``copy_weights`` maps the fused
convolutions of the fast supernet onto the per-edge ones.
"""

from __future__ import annotations

import torch
from torch import nn

from sdarts_lite.genotypes import EDGES, NB201_OPS, NUM_NODES, derive_genotype
from sdarts_lite.nb201 import NB201Skeleton
from sdarts_lite.ops import AvgPool3x3, Identity, ReLUConvBN


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class MixedOp(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.ops = nn.ModuleList([
            Zero(), Identity(),
            ReLUConvBN(C, C, 1, 1, affine=False, track_running_stats=False),
            ReLUConvBN(C, C, 3, 1, affine=False, track_running_stats=False),
            AvgPool3x3(),
        ])
        assert len(self.ops) == len(NB201_OPS)

    def forward(self, x, weights):
        return sum(w * op(x) for w, op in zip(weights, self.ops))


class PlainSearchCell(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.edges = nn.ModuleList(MixedOp(C) for _ in EDGES)

    def forward(self, x, weights):
        nodes = [x]
        for j in range(1, NUM_NODES):
            nodes.append(sum(self.edges[EDGES.index((i, j))](nodes[i], weights[EDGES.index((i, j))])
                             for i in range(j)))
        return nodes[-1]


class PlainSupernet(NB201Skeleton):
    """The per-edge supernet, with the fast one's API (so that it can stand in for it in a search)."""

    def __init__(self, C=16, N=5, num_classes=10, in_channels=3, input_size=None, activation="softmax"):
        super().__init__(PlainSearchCell, C, N, num_classes, in_channels, input_size)
        self.alphas = nn.Parameter(1e-3 * torch.randn(len(EDGES), len(NB201_OPS)))
        self.activation = activation

    def forward(self, x):
        return self.head(x, self.edge_weights())

    def edge_weights(self):
        if self.activation == "sigmoid":
            return torch.sigmoid(self.alphas)
        return torch.softmax(self.alphas, dim=-1)

    def arch_parameters(self):
        return [self.alphas]

    def weight_parameters(self):
        return [p for name, p in self.named_parameters() if name != "alphas"]

    def genotype(self, exclude_none=False):
        return derive_genotype(self.alphas.detach(), exclude_none)


def copy_weights(fast, plain) -> None:
    """Give ``plain`` the same parameters as the fast supernet ``fast``."""
    with torch.no_grad():
        plain.alphas.copy_(fast.alphas)
        for name, module in fast.named_modules():
            if type(module).__name__ != "SearchCell":
                continue
            target = plain.get_submodule(name)
            for i, targets in enumerate(module.targets):
                for k, j in enumerate(targets):
                    mixed = target.edges[EDGES.index((i, j))]
                    rows = slice(k * module.C, (k + 1) * module.C)
                    mixed.ops[2][1].weight.copy_(module.conv1[i].weight[rows])
                    mixed.ops[3][1].weight.copy_(module.conv3[i].weight[rows])
        shared = dict(plain.named_parameters())
        for name, p in fast.named_parameters():
            if ".conv1." not in name and ".conv3." not in name and name != "alphas":
                shared[name].copy_(p)


def xautodl_nb201(C=16, N=5, num_classes=10):
    """xautodl's NAS-Bench-201 DARTS supernet (``TinyNetworkDarts``), the code behind the
    benchmark's own DARTS results; its forward returns ``(features, logits)``.  Needs
    ``pip install --no-deps xautodl``."""
    from xautodl.models import get_cell_based_tiny_net, get_search_spaces

    return get_cell_based_tiny_net(dict(
        name="DARTS-V1", C=C, N=N, max_nodes=NUM_NODES, num_classes=num_classes,
        space=get_search_spaces("cell", "nas-bench-201"), affine=False, track_running_stats=False))


def xautodl_edge_conv(xnet, cell: str, i: int, j: int, op: str):
    """The convolution of operation ``op`` on edge i->j of cell ``cell`` (e.g. ``"cells.0"``)."""
    return xnet.get_submodule(cell).edges[f"{j}<-{i}"][NB201_OPS.index(op)].op[1]


def copy_weights_to_xautodl(fast, xnet) -> None:
    """Give xautodl's ``TinyNetworkDarts`` the parameters of the fast supernet ``fast``.

    xautodl's search convolutions carry a bias (BN without affine cancels it); it is set to zero.
    """
    with torch.no_grad():
        xnet.arch_parameters.copy_(fast.alphas)
        for name, module in fast.named_modules():
            if type(module).__name__ != "SearchCell":
                continue
            for i, targets in enumerate(module.targets):
                for k, j in enumerate(targets):
                    rows = slice(k * module.C, (k + 1) * module.C)
                    for op, conv in (("nor_conv_1x1", module.conv1[i]), ("nor_conv_3x3", module.conv3[i])):
                        target = xautodl_edge_conv(xnet, name, i, j, op)
                        target.weight.copy_(conv.weight[rows])
                        target.bias.zero_()
        shared = dict(xnet.named_parameters())
        for name, p in fast.named_parameters():
            if ".conv1." not in name and ".conv3." not in name and name != "alphas":
                shared[xautodl_name(name)].copy_(p)


def xautodl_name(name: str) -> str:
    """The xautodl name of a skeleton parameter (its ReLUConvBN keeps the layers in ``.op``)."""
    return name.replace("conv_a.", "conv_a.op.").replace("conv_b.", "conv_b.op.")
