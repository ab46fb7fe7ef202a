"""The genotypes of either search space, by the space's name, without building a model: what plain
data (histories, plots, the CLI) needs to read a cell.  Each space's own ``genotypes.py`` holds its
operations, edges, Genotype class and derivation.
"""

from __future__ import annotations

from .checks import one_of
from .spaces.darts.genotypes import DARTS_EDGES, PRIMITIVES, DartsGenotype
from .spaces.darts.genotypes import PARAM_FREE as DARTS_PARAM_FREE
from .spaces.nb201.genotypes import EDGES, NB201_OPS, NB201Genotype
from .spaces.nb201.genotypes import PARAM_FREE as NB201_PARAM_FREE

SPACES = ("nb201", "darts")
PARAM_FREE_OPS = tuple(dict.fromkeys(NB201_PARAM_FREE + DARTS_PARAM_FREE))  # of either space
Genotype = NB201Genotype | DartsGenotype


def check_space(space: str) -> str:
    return one_of("space", space, SPACES)


def parse_genotype(genotype: Genotype | str) -> Genotype:
    """A genotype of either space; strings in DARTS' form start with ``Genotype(``."""
    if not isinstance(genotype, str):
        return genotype
    text = genotype.strip()
    return DartsGenotype.parse(text) if text.startswith("Genotype(") else NB201Genotype.parse(text)


def ops_and_edges(space: str) -> tuple[tuple[str, ...], list[tuple[int, int]]]:
    """The operation names and the alpha rows' edges (darts: normal rows, then reduce rows)."""
    check_space(space)
    if space == "nb201":
        return NB201_OPS, list(EDGES)
    return PRIMITIVES, list(DARTS_EDGES) * 2
