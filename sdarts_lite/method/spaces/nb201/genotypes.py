"""NAS-Bench-201 genotypes: the operations, the edges, and cells in the benchmark's string form
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``, parsed, formatted and derived from alpha.

A cell has 4 nodes; node j sums one operation applied to every earlier node i, so there are 6
edges, listed here (and in every alpha matrix) in the benchmark's order.  No model code here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
PARAM_FREE = ("none", "skip_connect", "avg_pool_3x3")  # the operations without weights
NUM_NODES = 4
EDGES = tuple((i, j) for j in range(1, NUM_NODES) for i in range(j))  # (from, to)


@dataclass(frozen=True)
class NB201Genotype:
    """A discrete cell: ``ops[e]`` is the operation on edge ``EDGES[e]``."""

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.ops) != len(EDGES):
            raise ValueError(f"a NAS-Bench-201 cell has {len(EDGES)} edges, got {len(self.ops)}")
        for e, op in enumerate(self.ops):
            if op not in NB201_OPS:
                i, j = EDGES[e]
                raise ValueError(
                    f"unknown operation {op!r} on edge {i}->{j}; allowed: {', '.join(NB201_OPS)}"
                )

    @classmethod
    def parse(cls, text: str | NB201Genotype) -> NB201Genotype:
        """Read the benchmark's string form (a genotype passes through); raise ``ValueError``
        naming the bad part."""
        if isinstance(text, cls):
            return text
        if not isinstance(text, str):
            raise ValueError(f"genotype must be a string, got {type(text).__name__}")
        nodes = text.strip().split("+")
        if len(nodes) != NUM_NODES - 1:
            raise ValueError(
                f"genotype {text!r}: expected {NUM_NODES - 1} node groups joined by '+', "
                f"got {len(nodes)}"
            )
        ops = []
        for j, group in enumerate(nodes, start=1):
            if not (group.startswith("|") and group.endswith("|") and len(group) > 2):
                raise ValueError(f"genotype {text!r}: node {j} group {group!r} must look like |op~i|")
            parts = group[1:-1].split("|")
            if len(parts) != j:
                raise ValueError(f"genotype {text!r}: node {j} needs {j} inputs, got {len(parts)}")
            for i, part in enumerate(parts):
                op, sep, src = part.partition("~")
                if not sep or src != str(i):
                    raise ValueError(
                        f"genotype {text!r}: node {j} input {part!r} must be written '{op or 'op'}~{i}'"
                    )
                if op not in NB201_OPS:
                    raise ValueError(
                        f"genotype {text!r}: unknown operation {op!r} on edge {i}->{j}; "
                        f"allowed: {', '.join(NB201_OPS)}"
                    )
                ops.append(op)
        return cls(tuple(ops))

    def __str__(self) -> str:
        groups, e = [], 0
        for j in range(1, NUM_NODES):
            groups.append("|" + "|".join(f"{self.ops[e + i]}~{i}" for i in range(j)) + "|")
            e += j
        return "+".join(groups)

    def edges(self) -> list[tuple[int, int, str]]:
        """``(from, to, op)`` for every edge."""
        return [(i, j, op) for (i, j), op in zip(EDGES, self.ops)]

    @property
    def num_edges(self) -> int:
        return len(self.ops)

    def num_param_free(self) -> int:
        """Edges carrying a parameter-free operation (none, skip_connect, avg_pool_3x3)."""
        return sum(op in PARAM_FREE for op in self.ops)

    def diagram(self) -> dict[str, dict[str, list]]:
        """What a drawing shows, per cell (one, untitled): ``nodes`` as (id, label, shape) and
        ``edges`` as (from, to, operation)."""
        labels = ["in", *map(str, range(1, NUM_NODES - 1)), "out"]
        return {"": {"nodes": [(str(n), label, "circle") for n, label in enumerate(labels)],
                     "edges": [(str(i), str(j), op) for i, j, op in self.edges()]}}


def derive_genotype(alphas: torch.Tensor, exclude_none: bool = False) -> NB201Genotype:
    """Per edge, the operation with the largest alpha (DARTS' argmax derivation).

    By default ``none`` competes like any other operation, as the benchmark's reference DARTS
    code does: ``none`` is a legal NAS-Bench-201 operation and the result is always a cell of
    the benchmark.  ``exclude_none=True`` gives the DARTS-paper rule instead.
    """
    alphas = torch.as_tensor(alphas, dtype=torch.float64)
    if alphas.shape != (len(EDGES), len(NB201_OPS)):
        raise ValueError(f"alphas must be {len(EDGES)}x{len(NB201_OPS)}, got {tuple(alphas.shape)}")
    if exclude_none:
        alphas = alphas.clone()
        alphas[:, NB201_OPS.index("none")] = float("-inf")
    return NB201Genotype(tuple(NB201_OPS[k] for k in alphas.argmax(dim=1).tolist()))
