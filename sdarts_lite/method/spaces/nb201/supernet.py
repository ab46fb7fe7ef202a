"""The NAS-Bench-201 supernet: every edge a weighted mixture of the five operations,

    x_j = sum_{i<j} sum_o w_o(alpha_{(i,j)}) * o(x_i),     w = softmax (DARTS eq. 1-2) or sigmoid

(``mixing.py``), one alpha matrix (6 edges x 5 ops) shared by all cells.  Two cells compute
that sum: ``SearchCell``, the readable form (one ``MixedOp`` per edge, the equation as written,
the way the benchmark's own search code writes it), and ``FusedSearchCell``, the same sum
organised by source node, which is what makes a search fast.  ``NB201Supernet(fused=...)`` picks
one; the tests check that both compute the same outputs and gradients.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import MixedOp, Relaxed
from ..layers import SearchCell as PlainSearchCell
from .genotypes import EDGES, NB201_OPS, NUM_NODES, NB201Genotype, derive_genotype
from .network import NB201Network, NB201Skeleton
from .ops import search_op

CONV_OPS = ("nor_conv_1x1", "nor_conv_3x3")  # the operations with weights
SKIP, CONV1, CONV3, POOL = (NB201_OPS.index(op) for op in ("skip_connect", *CONV_OPS, "avg_pool_3x3"))


class SearchCell(PlainSearchCell):
    """A cell whose six edges are MixedOps of the five operations; its output is node 3 (eq. 2)."""

    def __init__(self, C: int):
        super().__init__(EDGES, NB201_OPS, lambda i, j: MixedOp(search_op(name, C) for name in NB201_OPS))

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return self.node_states([x], weights)[-1]


class FusedSearchCell(nn.Module):
    """``SearchCell``'s sum computed per source node rather than per edge, which is fast:

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
    """

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

    def edge_tensors(self, i: int, j: int, op: str) -> dict[str, tuple[torch.Tensor, slice]]:
        """``op``'s convolution on edge i->j under the plain op's state-dict key (ReLU-Conv-BN's
        ``1.weight``; BN has no tensors here), as the fused weight holding it and its C rows there."""
        if op not in CONV_OPS:
            return {}
        k, C = self.targets[i].index(j), self.C
        weight = (self.conv1 if op == "nor_conv_1x1" else self.conv3)[i].weight
        return {"1.weight": (weight, slice(k * C, (k + 1) * C))}


class NB201Supernet(Relaxed, NB201Skeleton):
    """The DARTS relaxation of NAS-Bench-201: weights w in the cells, one alpha matrix (6 edges x 5
    operations) shared by all cells.

    ``fused=True`` (the default) builds the fast per-source-node cells, kept in the channels-last
    memory layout that CPU (oneDNN) and GPU convolutions prefer; ``fused=False`` the readable
    per-edge cells.
    """

    def __init__(self, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3,
                 image_size: int | None = None, activation: str = "softmax", fused: bool = True):
        super().__init__(FusedSearchCell if fused else SearchCell, C, N, num_classes, in_channels, image_size)
        self.fused = fused
        self.relax(len(EDGES), len(NB201_OPS), activation)
        if fused:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused and self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.classify(self._cells(x, self.edge_weights()))

    def genotype(self, exclude_none: bool | None = None) -> NB201Genotype:
        """The derived cell: per edge the operation with the largest alpha.  Under the softmax
        ``none`` competes (its weight is a share the other operations did not take); under the
        sigmoid it does not (default ``exclude_none``): ``none``'s output is zero whatever its
        weight, so its alpha gets no gradient from the loss and only keeps its starting value while
        the others move; a cell chosen by it would say nothing the search learned."""
        if exclude_none is None:
            exclude_none = self.activation == "sigmoid"
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
        same function.  Each conv edge takes its convolution's weights (of a fused cell: its C
        output channels of the fused convolution)."""
        genotype = NB201Genotype.parse(genotype)
        stem, head = self.stem[0], self.classifier
        net = NB201Network(genotype, self.C, self.N, head.out_features, stem.in_channels,
                           affine=False, track_running_stats=False)
        net.to(self.alphas.device, self.alphas.dtype)
        own = dict(self.named_parameters())
        for name, p in net.named_parameters():
            if name in own:  # stem, reductions, classifier: the same module path in both
                p.copy_(own[name])
        for name, cell in self.search_cells():
            discrete_cell = net.get_submodule(name)
            for i, j, op in genotype.edges():
                tensors = cell.edge_tensors(i, j, op)
                if tensors:
                    discrete_cell.edge_ops[f"{i}_{j}"].load_state_dict(
                        {key: t[rows] for key, (t, rows) in tensors.items()})
        return net.train(self.training)
