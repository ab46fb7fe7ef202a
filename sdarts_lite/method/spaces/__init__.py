"""The search spaces, each one folder with the same parts under the same names (after quark0/darts'
``operations.py``, ``genotypes.py``, ``model_search.py``, ``model.py``):

    __init__.py    the space declared as one ``SearchSpace`` (``space.py``)
    genotypes.py   the operations, the edges, the Genotype class: parse, format, derive (no model code)
    ops.py         the operations as modules, built by name
    supernet.py    SearchCell (readable), FusedSearchCell (fast, tested equal), the supernet (eq. 1-2)
    network.py     the macro skeleton, the discrete cell, the discrete network of a genotype

``layers.py`` holds what both build from (MixedOp, SearchCell, ReLU-Conv-BN, alpha).  ``nb201``:
NAS-Bench-201, one 4-node cell, 6 edges x 5 operations.  ``darts``: the DARTS CNN space, normal
and reduction cells, 14 edges x 8 operations each.  A new space is a folder and a line below.
"""

from __future__ import annotations

from ...base.guards import one_of
from .darts import DARTS
from .nb201 import NB201
from .space import SearchSpace

REGISTRY: dict[str, SearchSpace] = {space.name: space for space in (NB201, DARTS)}


def register(space: SearchSpace) -> SearchSpace:
    """Add a space (a third one: a folder that declares it, and this call)."""
    REGISTRY[space.name] = space
    return space


def get_space(name: str | SearchSpace) -> SearchSpace:
    """The registered space of that name, or a ValueError naming those there are."""
    if isinstance(name, SearchSpace):
        return name
    found = REGISTRY.get(name) if isinstance(name, str) else None  # a checked config's name: found
    return found or REGISTRY[one_of("space", name, REGISTRY)]  # else refused, naming those there are


def parse_genotype(genotype):
    """A genotype of any registered space, read from its text (a genotype passes through)."""
    if not isinstance(genotype, str):
        return genotype
    text = genotype.strip()
    space = next((s for s in REGISTRY.values() if s.recognises(text)), next(iter(REGISTRY.values())))
    return space.genotype.parse(text)


def space_of(genotype) -> SearchSpace:
    """The space a genotype (or its text) belongs to."""
    cls = type(parse_genotype(genotype))
    return next(s for s in REGISTRY.values() if s.genotype is cls)


def param_free_ops() -> tuple[str, ...]:
    """The parameter-free operations of every registered space."""
    return tuple(dict.fromkeys(op for s in REGISTRY.values() for op in s.param_free))


def dead_parts(part: dict) -> tuple[set[str], set[int]]:
    """The dead nodes and edges of a drawn cell (a ``diagram()`` part): a node is dead when no path
    of operations other than ``none`` joins it to both an input (a node nothing enters) and the
    output (the last node); an edge is dead when it is ``none`` or touches a dead node.  A dead
    node's operations never reach the output, whatever the edge count says."""
    nodes = [n for n, _, _ in part["nodes"]]
    edges = part["edges"]
    live = [(i, j) for i, j, op in edges if op != "none"]

    def reach(start: set[str], forward: bool) -> set[str]:
        seen, todo = set(start), list(start)
        while todo:
            n = todo.pop()
            for i, j in live:
                a, b = (i, j) if forward else (j, i)
                if a == n and b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen

    inputs = {n for n in nodes if all(j != n for _, j, _ in edges)}
    alive = reach(inputs, True) & reach({nodes[-1]}, False)
    dead = set(nodes) - alive
    return dead, {k for k, (i, j, op) in enumerate(edges) if op == "none" or i in dead or j in dead}



def live_param_ops(genotype) -> int:
    """What a cell computes with weights: the operations with parameters on edges that are not
    dead (``dead_parts``), summed over its cells.  An edge count can hide a collapse:
    ``|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|none~2|`` has
    three convolutions, but none reaches the output, so it has 0."""
    genotype = parse_genotype(genotype)
    free = space_of(genotype).param_free
    return sum(live_in(part, free) for part in genotype.diagram().values())


def live_in(part: dict, param_free: tuple[str, ...]) -> int:
    """The operations with parameters on the live edges of one drawn cell (a ``diagram()`` part)."""
    _, dead = dead_parts(part)
    return sum(op is not None and op not in param_free and e not in dead
               for e, (_, _, op) in enumerate(part["edges"]))
