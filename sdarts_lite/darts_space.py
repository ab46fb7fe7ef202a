"""The DARTS CNN search space (quark0/darts ``genotypes.py``, ``model_search.py``, ``model.py``).

A cell has two input nodes (0: the cell before last, 1: the last cell) and four intermediate
nodes 2..5; node j sums an operation on every earlier node, so there are 14 edges, listed in
``DARTS_EDGES`` (and in every alpha matrix) in DARTS' order.  The cell's output concatenates
nodes 2..5.  Normal cells keep the resolution; reduction cells halve it (their edges leaving
nodes 0 and 1 have stride 2) and double the channels.  Normal and reduction cells have their
own architecture parameters, ``alphas_normal`` and ``alphas_reduce`` (14 x 8 each):

    x_j = sum_{i<j} sum_o softmax(alpha_{(i,j)})_o * o(x_i)                 (DARTS eq. 1-2)

Derivation keeps, for every intermediate node, its two strongest incoming edges, an edge's
strength being its largest softmax weight over the operations other than ``none``, and puts on
each the strongest operation other than ``none``.  A genotype is written as DARTS writes it:
``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], ...)``
with two ``(op, input)`` pairs per intermediate node, the nodes in order.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .checks import positive_int
from .darts_ops import PRIMITIVES, FactorizedReduce, darts_op, search_op
from .genotypes import PARAM_FREE_OPS
from .ops import Identity, ReLUConvBN
from .relaxation import check_activation, mixing_weights

STEPS = 4  # intermediate nodes
NODES = range(2, 2 + STEPS)  # their numbers
DARTS_EDGES = tuple((i, j) for j in NODES for i in range(j))  # (from, to)
FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")


@dataclass(frozen=True)
class DartsGenotype:
    """A discrete DARTS cell pair: ``normal[2k]``, ``normal[2k+1]`` are the two ``(op, input)``
    edges into node ``k + 2``; ``*_concat`` are the nodes concatenated into the cell's output."""

    normal: tuple[tuple[str, int], ...]
    normal_concat: tuple[int, ...]
    reduce: tuple[tuple[str, int], ...]
    reduce_concat: tuple[int, ...]

    def __post_init__(self) -> None:
        for cell in ("normal", "reduce"):
            object.__setattr__(self, cell, check_edges(cell, getattr(self, cell)))
            concat = f"{cell}_concat"
            object.__setattr__(self, concat, check_concat(concat, getattr(self, concat)))

    @classmethod
    def parse(cls, text: str | DartsGenotype) -> DartsGenotype:
        """Read DARTS' printed form (``[2, 3, 4, 5]`` or ``range(2, 6)`` for the concat lists)
        without evaluating it (a genotype passes through); raise ``ValueError`` naming the bad part."""
        if isinstance(text, cls):
            return text
        if not isinstance(text, str):
            raise ValueError(f"genotype must be a string, got {type(text).__name__}")
        try:
            call = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as err:
            raise ValueError(f"malformed genotype text: {err.msg} (column {err.offset})") from None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "Genotype"):
            raise ValueError("malformed genotype text: expected Genotype(normal=[...], normal_concat=[...], "
                             "reduce=[...], reduce_concat=[...])")
        if call.args:
            raise ValueError("malformed genotype text: give the fields by name, e.g. normal=[...]")
        values = {}
        for kw in call.keywords:
            if kw.arg not in FIELDS:
                raise ValueError(f"unknown genotype field {kw.arg!r}; expected: {', '.join(FIELDS)}")
            values[kw.arg] = literal(kw.arg, kw.value)
        missing = [f for f in FIELDS if f not in values]
        if missing:
            raise ValueError(f"genotype lacks field(s) {', '.join(missing)}")
        return cls(**values)

    @property
    def num_edges(self) -> int:
        """Edges of both cells: two per intermediate node, 16 for DARTS' cells."""
        return len(self.normal) + len(self.reduce)

    def num_param_free(self) -> int:
        """Edges of both cells carrying a parameter-free operation (none, pools, skip_connect)."""
        return sum(op in PARAM_FREE_OPS for op, _ in self.normal + self.reduce)

    def __str__(self) -> str:
        """The str() of DARTS' ``Genotype`` namedtuple holding lists."""
        return "Genotype(" + ", ".join(f"{f}={list(getattr(self, f))!r}" for f in FIELDS) + ")"


def literal(field: str, node: ast.expr) -> object:
    """A literal value, or the list of a literal ``range(...)`` call."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
            and not node.keywords and all(isinstance(a, ast.Constant) and type(a.value) is int
                                          for a in node.args):
        return list(range(*(a.value for a in node.args)))
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise ValueError(f"{field}: not a literal value: {ast.unparse(node)!r}") from None


def check_edges(cell: str, edges: object) -> tuple[tuple[str, int], ...]:
    if not isinstance(edges, (list, tuple)) or len(edges) != 2 * STEPS:
        got = len(edges) if isinstance(edges, (list, tuple)) else type(edges).__name__
        raise ValueError(f"{cell}: expected {2 * STEPS} edges (two per node for {STEPS} nodes), got {got}")
    out = []
    for k, edge in enumerate(edges):
        node = NODES[k // 2]
        if not (isinstance(edge, (list, tuple)) and len(edge) == 2):
            raise ValueError(f"{cell} edge {k}: expected an (op, input) pair, got {edge!r}")
        op, i = edge
        if op not in PRIMITIVES:
            raise ValueError(f"{cell} edge {k}: unknown operation {op!r}; allowed: {', '.join(PRIMITIVES)}")
        if type(i) is not int or not 0 <= i < node:
            raise ValueError(f"{cell} edge {k} {tuple(edge)!r}: input {i!r} out of range for node {node} "
                             f"(inputs 0..{node - 1})")
        out.append((op, i))
    return tuple(out)


def check_concat(field: str, concat: object) -> tuple[int, ...]:
    if not isinstance(concat, (list, tuple, range)) or not concat:
        raise ValueError(f"{field}: expected a non-empty list of node numbers, got {concat!r}")
    if any(type(n) is not int or n not in NODES for n in concat) or len(set(concat)) != len(concat):
        raise ValueError(f"{field}: expected distinct intermediate nodes from {list(NODES)}, "
                         f"got {list(concat)}")
    return tuple(concat)


DARTS_V1 = DartsGenotype.parse(  # first order, the DARTS paper's Table 1
    "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), "
    "('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], "
    "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
    "('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
    "('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])")
DARTS_V2 = DartsGenotype.parse(  # second order, the cell of the paper's 2.76% CIFAR-10 error
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
    "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
    "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
    "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


def derive_cell(weights: torch.Tensor) -> list[tuple[str, int]]:
    """DARTS' derivation of one cell from its 14 x 8 softmax weights: per node the two edges
    with the largest non-``none`` weight (ties: the lower input first), each with that op."""
    w = torch.as_tensor(weights, dtype=torch.float64).clone()
    if w.shape != (len(DARTS_EDGES), len(PRIMITIVES)):
        raise ValueError(f"weights must be {len(DARTS_EDGES)}x{len(PRIMITIVES)}, got {tuple(w.shape)}")
    w[:, PRIMITIVES.index("none")] = float("-inf")
    gene = []
    for j in NODES:
        incoming = [(e, i) for e, (i, to) in enumerate(DARTS_EDGES) if to == j]
        strongest = sorted(incoming, key=lambda ei: -w[ei[0]].max().item())[:2]  # a stable sort
        gene += [(PRIMITIVES[int(w[e].argmax())], i) for e, i in strongest]
    return gene


def derive_darts_genotype(alphas_normal: torch.Tensor, alphas_reduce: torch.Tensor,
                          activation: str = "softmax") -> DartsGenotype:
    """The genotype of a pair of alpha matrices (softmax, or sigmoid, per edge; ``derive_cell``)."""
    normal, reduce = (derive_cell(mixing_weights(torch.as_tensor(a).detach().double(), activation))
                      for a in (alphas_normal, alphas_reduce))
    concat = list(NODES)
    return DartsGenotype(normal, concat, reduce, concat)


def check_sizes(C: int, layers: int, num_classes: int, in_channels: int,
                reductions: Sequence[int] | None) -> tuple[int, ...]:
    """Refuse sizes the network cannot build, naming the field; return the reduction positions."""
    for name, value in (("C", C), ("layers", layers), ("in_channels", in_channels)):
        positive_int(name, value)
    positive_int("num_classes", num_classes, minimum=2)
    positions = (layers // 3, 2 * layers // 3) if reductions is None else tuple(reductions)
    if not positions or any(type(r) is not int or not 0 <= r < layers for r in positions):
        raise ValueError(f"reductions must be cell positions in 0..{layers - 1}, got {reductions!r}")
    return tuple(sorted(set(positions)))


class DartsSkeleton(nn.Module):
    """stem (3x3 conv to stem_multiplier * C, BN) -> ``layers`` cells, each reading the two
    previous outputs, channels doubled at each reduction -> global average pool -> linear."""

    def __init__(self, make_cell: Callable[[int, int, int, bool, bool], nn.Module], C: int, layers: int,
                 num_classes: int, in_channels: int, reductions: Sequence[int] | None,
                 stem_multiplier: int = 3):
        super().__init__()
        self.reductions = check_sizes(C, layers, num_classes, in_channels, reductions)
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


class MixedOp(nn.Module):
    """One edge of the search cell: sum_o softmax(alpha)_o * o(x) over all eight operations."""

    def __init__(self, C: int, stride: int):
        super().__init__()
        self.ops = nn.ModuleList(search_op(name, C, stride) for name in PRIMITIVES)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return sum(w * op(x) for w, op in zip(weights, self.ops))


class SearchCell(nn.Module):
    """A cell whose 14 edges are MixedOps."""

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
    """The DARTS search network; the NB201 supernet's interface, so every optimizer drives it."""

    def __init__(self, C: int = 16, layers: int = 8, num_classes: int = 10, in_channels: int = 3,
                 reductions: Sequence[int] | None = None, stem_multiplier: int = 3,
                 activation: str = "softmax"):
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
            raise ValueError(f"the auxiliary head needs 8x8 feature maps after the last reduction "
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
                 affine: bool = True, stem_multiplier: int = 3):
        self.genotype = genotype = DartsGenotype.parse(genotype)
        super().__init__(lambda *shape: Cell(genotype, *shape, affine=affine), C, layers, num_classes,
                         in_channels, reductions, stem_multiplier)
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
