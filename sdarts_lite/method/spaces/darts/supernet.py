"""The DARTS CNN supernet (quark0/darts ``model_search.py``): every edge a weighted mixture of the
eight operations,

    x_j = sum_{i<j} sum_o w_o(alpha_{(i,j)}) * o(x_i),     w = softmax (DARTS eq. 1-2) or sigmoid

with one alpha matrix (14 edges x 8 ops) for the normal cells, ``alphas_normal``, and one for the
reduction cells, ``alphas_reduce``.  Two cells compute that sum, as in the NAS-Bench-201 space:
``SearchCell``, the readable form (one ``MixedOp`` per edge, the equation as written, the way
DARTS' own search code writes it), and ``FusedSearchCell``, the same sum organised by source node,
which is what makes a search fast.  ``DartsSupernet(fused=...)`` picks one; the tests check that
both compute the same outputs, gradients and BN statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import EllipsisType

import torch
import torch.nn.functional as F
from torch import nn

from ...mixing import RELAX
from ..layers import MixedOp, Relaxed
from ..layers import SearchCell as PlainSearchCell
from .genotypes import DARTS_EDGES, NODES, PRIMITIVES, STEPS, DartsGenotype, derive_darts_genotype
from .network import DartsNetwork, DartsSkeleton, preprocessing, reduction_positions
from .ops import FactorizedReduce, search_op
from .stacked import batch_to_space, factorized_reduce, space_to_batch, stacked_ops

OP = {name: PRIMITIVES.index(name) for name in PRIMITIVES}
POOLS = ("max_pool_3x3", "avg_pool_3x3")


class SearchCell(PlainSearchCell):
    """A cell whose 14 edges are MixedOps of the eight operations (eq. 2); the cell's output
    concatenates the four intermediate nodes."""

    def __init__(self, C_prev_prev: int, C_prev: int, C: int, reduction: bool, reduction_prev: bool):
        pre0, pre1 = preprocessing(C_prev_prev, C_prev, C, reduction_prev, False)
        super().__init__(DARTS_EDGES, PRIMITIVES,
                         lambda i, j: MixedOp(search_op(name, C, 2 if reduction and i < 2 else 1)
                                              for name in PRIMITIVES),
                         preprocess0=pre0, preprocess1=pre1)
        self.reduction = reduction
        self.out_channels = STEPS * C

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return torch.cat(self.node_states([self.preprocess0(s0), self.preprocess1(s1)], weights)[2:], dim=1)


class FusedSearchCell(nn.Module):
    """``SearchCell``'s sum computed per source node rather than per edge, which is fast.  Node i
    feeds the E nodes after it (E = 4, 4, 3, 2, 1 for nodes 0..4), every edge applying the same
    eight operations to the same x_i with weights of its own, so the E edges are handled at once:

    - ReLU(x_i) is computed once, shared by every sep_conv, dil_conv and FactorizedReduce leaving i;
    - each operation is one module stacked over the E edges (``ops.stacked_ops``: the plain op's
      layers with E x the channels, grouped by edge).  The first depthwise conv reads the C
      channels of ReLU(x_i) with E kernels per channel, so x_i is never copied E times; the
      pointwise convs run as one dense 1x1 conv with a block-diagonal weight up to
      ``ops.DENSE_MAX`` channels (oneDNN is faster so), as a conv grouped by edge above;
    - BN without affine is per channel: one BN serves the E edges (E x C channels, each with its
      own running statistics), and the mixing weight of an op becomes its last BN's per-channel
      scale, in training (batch statistics) and evaluation (running ones) alike;
    - max_pool_3x3(x_i) and avg_pool_3x3(x_i) are computed once each, and so are their BN's batch
      statistics; every edge's BN keeps (and updates) its own running statistics;
    - ``none`` contributes zeros and is not computed; ``skip_connect`` adds w x_i on a stride-1
      edge and is a stacked FactorizedReduce on the stride-2 edges of a reduction cell;
    - an edge's terms are added to its target node in one step each: the weighted convs' sum,
      then w x_i and the two pools (``addcmul``).

    Two rewrites for oneDNN's fast kernels: a dilation-2 stride-1 conv is an ordinary conv on the
    four pixel phases of the image (``ops.space_to_batch``); a FactorizedReduce (two 1x1 stride-2
    convs, one shifted by a pixel) is one 2x2 stride-2 conv (``ops.factorized_reduce``).  The
    parameters are the plain cell's, stacked edge after edge (``edge_tensors``).
    """

    def __init__(self, C_prev_prev: int, C_prev: int, C: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.C, self.reduction, self.out_channels = C, reduction, STEPS * C
        self.preprocess0, self.preprocess1 = preprocessing(C_prev_prev, C_prev, C, reduction_prev, False)
        # targets[i]: the nodes fed by node i; edge_index[i]: their rows in the alpha matrix.
        self.targets = [[j for j in NODES if j > i] for i in range(1 + STEPS)]
        self.edge_index = [[DARTS_EDGES.index((i, j)) for j in t] for i, t in enumerate(self.targets)]
        self.strides = [2 if reduction and i < 2 else 1 for i in range(1 + STEPS)]
        self.nodes = nn.ModuleList(stacked_ops(C, len(targets), stride)
                                   for targets, stride in zip(self.targets, self.strides))

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        pre0 = self.preprocess0
        s0 = factorized_reduce(F.relu(s0), pre0) if isinstance(pre0, FactorizedReduce) else pre0(s0)
        nodes, partial = [s0, self.preprocess1(s1)], {}  # partial[j]: the edges into j summed so far
        for i, (ops, stride) in enumerate(zip(self.nodes, self.strides)):
            x, w = nodes[i], weights[self.edge_index[i]]  # w: (edges leaving i) x 8
            conv = self._weighted_convs(ops, F.relu(x), w, stride)  # edge k's C channels at k*C
            free = [ops[name](x, w[:, OP[name]]) for name in POOLS]  # (z, scale, shift) per term
            if stride == 1:  # skip_connect: the identity
                free.append((x, w[:, OP["skip_connect"], None, None, None], None))
            # (split, not slices: their gradients would come back in the NCHW layout)
            for k, (j, term) in enumerate(zip(self.targets[i], conv.split(self.C, dim=1))):
                for z, scale, shift in free:
                    term = torch.addcmul(term, z, scale[k])
                    term = term if shift is None else term + shift[k]
                partial[j] = partial[j] + term if j in partial else term
            if i >= 1:  # node i + 1 has all its inputs
                nodes.append(partial.pop(i + 1))
        return torch.cat(nodes[2:], dim=1)

    def _weighted_convs(self, ops: nn.ModuleDict, r: torch.Tensor, w: torch.Tensor,
                       stride: int) -> torch.Tensor:
        """sum_o w_o * o(r) over the ops with weights, for all edges leaving a node at once."""
        scale = {name: w[:, OP[name]].repeat_interleave(self.C) for name in ops if name not in POOLS}
        convs = [ops[name](r, scale[name]) for name in ("sep_conv_3x3", "sep_conv_5x5", "skip_connect")
                 if name in ops]
        dil = [(ops[name], scale[name]) for name in ("dil_conv_3x3", "dil_conv_5x5")]
        if stride == 1 and r.shape[-1] % 2 == r.shape[-2] % 2 == 0:
            phases = space_to_batch(r)  # dilation 2 -> undilated convs on the four pixel phases
            (op3, s3), (op5, s5) = dil
            convs.append(batch_to_space(op3(phases, s3, phases=True) + op5(phases, s5, phases=True)))
        else:
            convs += [op(r, s) for op, s in dil]
        return sum(convs[1:], convs[0])

    def edge_tensors(self, i: int, j: int, op: str) -> dict[str, tuple[torch.Tensor, slice | EllipsisType]]:
        """``op``'s parameters and BN statistics on edge i->j by the plain op's state-dict keys,
        each as the stacked tensor holding it and its rows there (a BN's step counter is shared)."""
        k, E, ops = self.targets[i].index(j), len(self.targets[i]), self.nodes[i]
        state = ops[op].state_dict(keep_vars=True) if op in ops else {}
        return {key: (t, slice(k * len(t) // E, (k + 1) * len(t) // E) if t.dim() else ...)
                for key, t in state.items()}


class DartsSupernet(Relaxed, DartsSkeleton):
    """The DARTS search network: weights w in the cells, architecture alphas of the normal and the
    reduction cells.  ``layers`` cells in all, reductions at ``reductions`` (default: DARTS').

    ``fused=True`` (the default) builds the fast per-source-node cells, fed in the channels-last
    memory layout that CPU (oneDNN) and GPU convolutions prefer; ``fused=False`` the readable
    per-edge cells.
    """

    def __init__(self, C: int = 16, layers: int = 8, num_classes: int = 10, in_channels: int = 3,
                 reductions: Sequence[int] | None = None, stem_multiplier: int = 3,
                 activation: str = "softmax", fused: bool = True, image_size: int | None = None):
        check_normal_cell(layers, reductions)
        super().__init__(FusedSearchCell if fused else SearchCell, C, layers, num_classes, in_channels,
                         reductions, stem_multiplier, image_size)
        self.fused = fused
        self.relax(len(DARTS_EDGES), len(PRIMITIVES), activation, names=("alphas_normal", "alphas_reduce"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normal, reduce = (RELAX[self.activation](a) for a in self.arch_parameters())
        if self.fused and self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, reduce if cell.reduction else normal)
        return self.classify(s1)

    def genotype(self, exclude_none: bool = True) -> DartsGenotype:
        """DARTS' derivation: per node the two strongest edges, each with its strongest operation,
        ``none`` excluded (``exclude_none=False`` lets it compete, as NAS-Bench-201's default does)."""
        return derive_darts_genotype(self.alphas_normal, self.alphas_reduce, self.activation, exclude_none)

    @torch.no_grad()
    def set_onehot(self, genotype: DartsGenotype | str) -> None:
        """Set alpha so that the mixing weights are exactly one-hot: on each of the genotype's edges
        its operation, on every other edge ``none`` (float32 too)."""
        genotype = DartsGenotype.parse(genotype)
        check_representable(genotype, onehot=True)
        for alphas, edges in ((self.alphas_normal, genotype.normal), (self.alphas_reduce, genotype.reduce)):
            alphas.fill_(-1e4)
            alphas[:, PRIMITIVES.index("none")] = 1e4
            for k, (op, i) in enumerate(edges):
                e = DARTS_EDGES.index((i, NODES[k // 2]))
                alphas[e] = -1e4
                alphas[e, PRIMITIVES.index(op)] = 1e4

    @torch.no_grad()
    def discretize(self, genotype: DartsGenotype | str) -> DartsNetwork:
        """The discrete network of ``genotype`` carrying this supernet's weights and its search-time
        BN (no affine; the running statistics too): under one-hot alpha on the same genotype both
        compute the same function, in training and in evaluation mode.  Each edge takes its op's
        tensors (of a fused cell: its rows of the stacked ones)."""
        genotype = DartsGenotype.parse(genotype)
        check_representable(genotype, onehot=False)
        net = DartsNetwork(genotype, self.C, len(self.cells), self.classifier.out_features,
                           self.stem[0].in_channels, reductions=self.reductions, affine=False,
                           stem_multiplier=self.stem_multiplier)
        net.to(self.alphas_normal.device, self.alphas_normal.dtype)
        for part in ("stem", "classifier"):
            getattr(net, part).load_state_dict(getattr(self, part).state_dict())
        for search_cell, cell in zip(self.cells, net.cells):
            cell.preprocess0.load_state_dict(search_cell.preprocess0.state_dict())
            cell.preprocess1.load_state_dict(search_cell.preprocess1.state_dict())
            edges = genotype.reduce if search_cell.reduction else genotype.normal
            for k, (op, i) in enumerate(edges):
                tensors = search_cell.edge_tensors(i, NODES[k // 2], op)
                cell.ops[k].load_state_dict({key: t[rows] for key, (t, rows) in tensors.items()})
        return net.train(self.training)


def check_normal_cell(layers: int, reductions: Sequence[int] | None = None) -> None:
    """Refuse a supernet whose every cell reduces (with DARTS' reductions: fewer than 3 cells): its
    normal cells' alphas would never get a gradient, and that is not a search."""
    positions = reduction_positions(layers, reductions)
    if len(positions) == layers:
        raise ValueError(f"N: a darts supernet (N = layers, its cells in all) needs a normal cell besides "
                         f"its reduction cells {list(positions)}, or the normal cells' alphas never get a "
                         f"gradient (with DARTS' reductions at N//3 and 2N//3: at least 3 cells), "
                         f"got {layers}")


def check_representable(genotype: DartsGenotype, onehot: bool) -> None:
    """Refuse a genotype the supernet cannot compute: one that does not concatenate all four
    intermediate nodes in order (as the search cell does) or, for one-hot alpha, one that
    feeds a node twice from the same input (alpha holds one operation per edge)."""
    for cell in ("normal", "reduce"):
        if list(getattr(genotype, f"{cell}_concat")) != list(NODES):
            raise ValueError(f"{cell}_concat: the supernet concatenates every intermediate node "
                             f"{list(NODES)}, got {list(getattr(genotype, f'{cell}_concat'))}")
        edges = getattr(genotype, cell)
        for k in range(0, len(edges), 2) if onehot else ():
            if edges[k][1] == edges[k + 1][1]:
                raise ValueError(f"{cell}: node {NODES[k // 2]} takes input {edges[k][1]} twice "
                                 f"({edges[k][0]}, {edges[k + 1][0]}); one-hot alpha holds one operation "
                                 "per edge")
