"""DARTS CNN genotypes (quark0/darts ``genotypes.py``, and the derivation of its
``model_search.py``): the primitives, the edges, the published cells, and a cell pair in DARTS'
printed form, parsed, formatted and derived from alpha.  No model code here.

A cell has two input nodes (0: the cell before last, 1: the last cell) and four intermediate
nodes 2..5; node j sums an operation on every earlier node, so there are 14 edges, listed in
``DARTS_EDGES`` (and in every alpha matrix) in DARTS' order.  The cell's output concatenates
nodes 2..5.  Normal and reduction cells have their own architecture parameters (14 x 8 each).

Derivation keeps, for every intermediate node, its two strongest incoming edges, an edge's
strength being its largest mixing weight over the operations other than ``none``, and puts on
each the strongest operation other than ``none``.  A genotype is written as DARTS writes it:
``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], ...)``
with two ``(op, input)`` pairs per intermediate node, the nodes in order.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import torch

from ...mixing import mixing_weights

PRIMITIVES = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
              "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
PARAM_FREE = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect")  # the operations without weights
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
        return sum(op in PARAM_FREE for op, _ in self.normal + self.reduce)

    def diagram(self) -> dict[str, dict[str, list]]:
        """What a drawing shows, per cell, as DARTS' ``visualize.py`` draws it: ``nodes`` as (id,
        label, shape), the inputs c_{k-2} and c_{k-1}, intermediate nodes 0-3 and their concatenation
        c_{k}; ``edges`` as (from, to, operation), None for the concatenation's plain links."""
        cells = {}
        for cell in ("normal", "reduce"):
            edges, concat = getattr(self, cell), getattr(self, f"{cell}_concat")
            ids = ["in0", "in1", *map(str, range(STEPS))]
            nodes = [("in0", "c_{k-2}", "box"), ("in1", "c_{k-1}", "box"),
                     *((str(n), str(n), "circle") for n in range(STEPS)), ("out", "c_{k}", "box")]
            links = [(ids[i], ids[k // 2 + 2], op) for k, (op, i) in enumerate(edges)]
            links += [(ids[n], "out", None) for n in concat]
            cells[f"{cell} cell"] = {"nodes": nodes, "edges": links}
        return cells

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


def derive_cell(weights: torch.Tensor, exclude_none: bool = True) -> list[tuple[str, int]]:
    """DARTS' derivation of one cell from its 14 x 8 mixing weights: per node the two edges with
    the largest weight (ties: the lower input first), each with that operation; ``none`` excluded
    unless ``exclude_none=False``."""
    w = torch.as_tensor(weights, dtype=torch.float64).clone()
    if w.shape != (len(DARTS_EDGES), len(PRIMITIVES)):
        raise ValueError(f"weights must be {len(DARTS_EDGES)}x{len(PRIMITIVES)}, got {tuple(w.shape)}")
    if exclude_none:
        w[:, PRIMITIVES.index("none")] = float("-inf")
    gene = []
    for j in NODES:
        incoming = [(e, i) for e, (i, to) in enumerate(DARTS_EDGES) if to == j]
        strongest = sorted(incoming, key=lambda ei: -w[ei[0]].max().item())[:2]  # a stable sort
        gene += [(PRIMITIVES[int(w[e].argmax())], i) for e, i in strongest]
    return gene


def derive_darts_genotype(alphas_normal: torch.Tensor, alphas_reduce: torch.Tensor,
                          activation: str = "softmax", exclude_none: bool = True) -> DartsGenotype:
    """The genotype of a pair of alpha matrices (softmax, or sigmoid, per edge; ``derive_cell``)."""
    normal, reduce = (derive_cell(mixing_weights(torch.as_tensor(a).detach().double(), activation),
                                  exclude_none) for a in (alphas_normal, alphas_reduce))
    concat = list(NODES)
    return DartsGenotype(normal, concat, reduce, concat)
