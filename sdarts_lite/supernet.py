"""The NAS-Bench-201 supernet: every edge a softmax-weighted mixture of the five operations.

    x_j = sum_{i<j} sum_o softmax(alpha_{(i,j)})_o * o(x_i)                 (DARTS eq. 1-2)

(or, with ``activation="sigmoid"``, sigmoid(alpha) in place of the softmax: ``relaxation.py``).

One alpha matrix (6 edges x 5 ops) is shared by all cells.  The cell computes exactly that sum,
but organised by source node rather than by edge, which is what makes it fast:

- every edge leaving node i sees the same ReLU(x_i), so it is computed once;
- the 3x3 (and 1x1) convolutions of all edges leaving node i are one convolution with
  C x (number of edges) output channels;
- BN without affine and without running statistics is per channel, so one BN serves them all,
  and the mixing weight of each conv op becomes that BN's per-channel scale;
- avg_pool_3x3(x_i) is the same for every edge and computed once, as a 3x3 box sum (a depthwise
  convolution with a kernel of ones) divided by the number of pixels inside the image
  (``count_include_pad=False``);
- ``none`` contributes zeros and is not computed at all;
- the edge's remaining terms are added in one step each:  w_conv part + w_skip x_i + w_pool pool(x_i).

Tensors are kept in the channels-last memory layout, which the CPU (oneDNN) and GPU
convolutions prefer; it changes no number, only the order in memory.

``tests/reference_nb201.py`` keeps the plain per-edge form; the tests check both agree.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .genotypes import EDGES, NB201_OPS, NUM_NODES, NB201Genotype, derive_genotype
from .nb201 import NB201Network, NB201Skeleton
from .relaxation import check_activation, mixing_weights

SKIP, CONV1, CONV3, POOL = (NB201_OPS.index(op) for op in
                            ("skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))


class SearchCell(nn.Module):
    """A NAS-Bench-201 cell whose edges are mixtures, computed per source node."""

    def __init__(self, C: int):
        super().__init__()
        self.C = C
        # targets[i]: the nodes fed by node i; edge_index[i]: their rows in the alpha matrix.
        self.targets = [list(range(i + 1, NUM_NODES)) for i in range(NUM_NODES - 1)]
        self.edge_index = [[EDGES.index((i, j)) for j in t] for i, t in enumerate(self.targets)]
        self.conv1 = nn.ModuleList(nn.Conv2d(C, C * len(t), 1, bias=False) for t in self.targets)
        self.conv3 = nn.ModuleList(nn.Conv2d(C, C * len(t), 3, padding=1, bias=False)
                                   for t in self.targets)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        C = self.C
        ones = x.new_ones(C, 1, 3, 3)  # a 3x3 box sum per channel
        # 1 / (pixels of the 3x3 window inside the image): avg_pool's count_include_pad=False
        inside = F.conv2d(x.new_ones(1, 1, *x.shape[2:]), ones[:1], padding=1)
        nodes, partial = [x], {}
        for i, (targets, rows) in enumerate(zip(self.targets, self.edge_index)):
            h = nodes[i]
            r = F.relu(h)
            w = weights[rows]  # (edges leaving i) x ops
            # BN(conv(r)) * w_conv for all edges at once: w_conv is the BN's per-channel scale.
            conv = (F.batch_norm(self.conv1[i](r), None, None, w[:, CONV1].repeat_interleave(C),
                                 training=True)
                    + F.batch_norm(self.conv3[i](r), None, None, w[:, CONV3].repeat_interleave(C),
                                   training=True))
            pooled = F.conv2d(h, ones, padding=1, groups=C) / inside  # avg_pool_3x3(h)
            for k, (j, part) in enumerate(zip(targets, conv.split(C, dim=1))):
                term = torch.addcmul(torch.addcmul(part, w[k, SKIP], h), w[k, POOL], pooled)
                partial[j] = term if j not in partial else partial[j] + term
            nodes.append(partial[i + 1])
        return nodes[-1]


class NB201Supernet(NB201Skeleton):
    """The DARTS relaxation of NAS-Bench-201: weights w in the cells, architecture alpha."""

    def __init__(self, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3,
                 input_size: int | None = None, activation: str = "softmax"):
        super().__init__(SearchCell, C, N, num_classes, in_channels, input_size)
        self.activation = check_activation(activation)
        self.alphas = nn.Parameter(1e-3 * torch.randn(len(EDGES), len(NB201_OPS)))
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.contiguous(memory_format=torch.channels_last), self.edge_weights())

    def edge_weights(self) -> torch.Tensor:
        """softmax(alpha) (or sigmoid) per edge: the mixing weights of the five operations."""
        return mixing_weights(self.alphas, self.activation)

    def arch_parameters(self) -> list[nn.Parameter]:
        """alpha: what the architecture optimizer (Adam) updates."""
        return [self.alphas]

    def weight_parameters(self) -> list[nn.Parameter]:
        """w: everything else, what the weight optimizer (SGD) updates."""
        return [p for name, p in self.named_parameters() if name != "alphas"]

    def genotype(self, exclude_none: bool = False) -> NB201Genotype:
        """The derived cell: per edge the operation with the largest alpha."""
        return derive_genotype(self.alphas.detach(), exclude_none)

    @torch.no_grad()
    def set_onehot(self, genotype: NB201Genotype | str) -> None:
        """Set alpha so that the mixing weights are exactly one-hot on ``genotype`` (float32 too)."""
        genotype = NB201Genotype.parse(genotype)
        self.alphas.fill_(-1e4)
        for e, op in enumerate(genotype.ops):
            self.alphas[e, NB201_OPS.index(op)] = 1e4

    @torch.no_grad()
    def discretize(self, genotype: NB201Genotype | str) -> NB201Network:
        """The discrete network of ``genotype`` carrying this supernet's weights and its search-time
        BN (no affine, batch statistics): under one-hot alpha on the same genotype both compute the
        same function.  Each conv edge takes its C output channels of the fused convolution."""
        genotype = NB201Genotype.parse(genotype)
        stem, head = self.stem[0], self.classifier
        net = NB201Network(genotype, self.C, self.N, head.out_features, stem.in_channels,
                           affine=False, track_running_stats=False)
        net.to(self.alphas.device, self.alphas.dtype)
        own = dict(self.named_parameters())
        for name, p in net.named_parameters():
            if name in own:  # stem, reductions, classifier: the same module path in both
                p.copy_(own[name])
        for name, cell in self.named_modules():
            if not isinstance(cell, SearchCell):
                continue
            discrete_cell = net.get_submodule(name)
            for i, targets in enumerate(cell.targets):
                for k, (j, e) in enumerate(zip(targets, cell.edge_index[i])):
                    op, rows = genotype.ops[e], slice(k * cell.C, (k + 1) * cell.C)
                    if op in ("nor_conv_1x1", "nor_conv_3x3"):
                        fused = cell.conv1[i] if op == "nor_conv_1x1" else cell.conv3[i]
                        discrete_cell.edge_ops[f"{i}_{j}"][1].weight.copy_(fused.weight[rows])
        return net

