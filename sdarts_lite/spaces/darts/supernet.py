"""The DARTS CNN supernet (quark0/darts ``model_search.py``): every edge a weighted mixture of the
eight operations,

    x_j = sum_{i<j} sum_o w_o(alpha_{(i,j)}) * o(x_i),     w = softmax (DARTS eq. 1-2) or sigmoid

with one alpha matrix (14 edges x 8 ops) for the normal cells, ``alphas_normal``, and one for the
reduction cells, ``alphas_reduce``.  The readable per-edge form only (``MixedOp``, ``SearchCell``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ...relaxation import check_activation, mixing_weights
from .genotypes import DARTS_EDGES, NODES, PRIMITIVES, STEPS, DartsGenotype, derive_darts_genotype
from .network import DartsNetwork, DartsSkeleton, check_sizes, preprocessing
from .ops import search_op


class MixedOp(nn.Module):
    """One edge: sum_o w_o * o(x) over the eight operations (DARTS eq. 1)."""

    def __init__(self, C: int, stride: int):
        super().__init__()
        self.ops = nn.ModuleList(search_op(name, C, stride) for name in PRIMITIVES)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return sum(w * op(x) for w, op in zip(weights, self.ops))


class SearchCell(nn.Module):
    """A cell whose 14 edges are MixedOps: node j sums the edges from every earlier node (eq. 2);
    the cell's output concatenates the four intermediate nodes."""

    def __init__(self, C_prev_prev: int, C_prev: int, C: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.out_channels = STEPS * C
        self.preprocess0, self.preprocess1 = preprocessing(C_prev_prev, C_prev, C, reduction_prev, False)
        self.edges = nn.ModuleList(MixedOp(C, 2 if reduction and i < 2 else 1) for i, _ in DARTS_EDGES)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for j in NODES:
            states.append(sum(self.edges[e](states[i], weights[e])
                              for e, (i, to) in enumerate(DARTS_EDGES) if to == j))
        return torch.cat(states[2:], dim=1)


class DartsSupernet(DartsSkeleton):
    """The DARTS search network: weights w in the cells, architecture alphas of the normal and the
    reduction cells.  ``layers`` cells in all, reductions at ``reductions`` (default: DARTS')."""

    def __init__(self, C: int = 16, layers: int = 8, num_classes: int = 10, in_channels: int = 3,
                 reductions: Sequence[int] | None = None, stem_multiplier: int = 3,
                 activation: str = "softmax"):
        positions = check_sizes(C, layers, num_classes, in_channels, reductions)
        if len(positions) == layers:  # every cell reduces: with DARTS' reductions, fewer than 3 cells
            raise ValueError(f"layers: a darts supernet needs a normal cell besides its reduction cells "
                             f"{list(positions)}, or the normal cells' alphas never get a gradient (with "
                             f"DARTS' reductions at layers//3 and 2*layers//3: at least 3 cells), "
                             f"got {layers}")
        super().__init__(SearchCell, C, layers, num_classes, in_channels, reductions, stem_multiplier)
        self.activation = check_activation(activation)
        self.alphas_normal = nn.Parameter(1e-3 * torch.randn(len(DARTS_EDGES), len(PRIMITIVES)))
        self.alphas_reduce = nn.Parameter(1e-3 * torch.randn(len(DARTS_EDGES), len(PRIMITIVES)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normal, reduce = (mixing_weights(a, self.activation) for a in self.arch_parameters())
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, reduce if cell.reduction else normal)
        return self.classify(s1)

    def edge_weights(self) -> torch.Tensor:
        """softmax(alpha) (or sigmoid) per edge, 28 x 8: the 14 normal-cell rows, then the 14
        reduction rows."""
        return torch.cat([mixing_weights(a, self.activation) for a in self.arch_parameters()])

    def arch_parameters(self) -> list[nn.Parameter]:
        """alpha of the normal and of the reduction cell."""
        return [self.alphas_normal, self.alphas_reduce]

    def weight_parameters(self) -> list[nn.Parameter]:
        """w: everything but the two alphas."""
        return [p for name, p in self.named_parameters() if not name.startswith("alphas_")]

    def genotype(self) -> DartsGenotype:
        """DARTS' derivation: per node the two strongest edges, ``none`` excluded."""
        return derive_darts_genotype(self.alphas_normal, self.alphas_reduce, self.activation)

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
        compute the same function, in training and in evaluation mode."""
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
                mixed = search_cell.edges[DARTS_EDGES.index((i, NODES[k // 2]))]
                cell.ops[k].load_state_dict(mixed.ops[PRIMITIVES.index(op)].state_dict())
        return net.train(self.training)


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
