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
    return REGISTRY[one_of("space", name, REGISTRY)]


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
