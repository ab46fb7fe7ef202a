"""The two search spaces, each behind one name: ``nb201`` (NAS-Bench-201: one 4-node cell,
6 edges x 5 operations) and ``darts`` (the DARTS CNN space: normal and reduction cells, 14 edges
x 8 operations each).  Searches, histories and the CLI reach a space only through here.
"""

from __future__ import annotations

from torch import nn

from .checks import one_of
from .darts_ops import PRIMITIVES
from .darts_space import DARTS_EDGES, DartsGenotype, DartsSupernet
from .genotypes import EDGES, NB201_OPS, NB201Genotype
from .supernet import NB201Supernet

SPACES = ("nb201", "darts")
Genotype = NB201Genotype | DartsGenotype


def check_space(space: str) -> None:
    one_of("space", space, SPACES)


def supernet(space: str = "nb201", C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3,
             input_size: int | None = None, activation: str = "softmax") -> nn.Module:
    """The supernet of a search space.  ``N``: cells per stage (nb201) or cells in all (darts);
    ``activation``: softmax (DARTS) or sigmoid relaxation of alpha (``relaxation.py``)."""
    check_space(space)
    if space == "nb201":
        return NB201Supernet(C, N, num_classes, in_channels, input_size, activation)
    return DartsSupernet(C, layers=N, num_classes=num_classes, in_channels=in_channels,
                         activation=activation)


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
