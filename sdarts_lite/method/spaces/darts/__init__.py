"""The DARTS CNN space: normal and reduction cells, 14 edges x 8 operations each."""

from ..space import SearchSpace
from .genotypes import DARTS_EDGES, NODES, PARAM_FREE, PRIMITIVES, DartsGenotype, derive_cell


def derive(weights, exclude_none: bool = True) -> DartsGenotype:
    """The genotype of the 28 x 8 mixing weights a history records: the normal cell's 14 rows, then
    the reduction cell's (``derive_cell`` each)."""
    normal, reduce = derive_cell(weights[:len(DARTS_EDGES)], exclude_none), \
        derive_cell(weights[len(DARTS_EDGES):], exclude_none)
    return DartsGenotype(normal, list(NODES), reduce, list(NODES))


def supernet(C, N, num_classes, in_channels, image_size, activation, fused):
    from .supernet import DartsSupernet

    return DartsSupernet(C, N, num_classes, in_channels, activation=activation, fused=fused,
                         image_size=image_size)


def network(genotype, C, depth, num_classes, in_channels, image_size, auxiliary=False):
    from .network import DartsNetwork

    return DartsNetwork(genotype, C, depth, num_classes, in_channels, auxiliary, image_size=image_size)


def check(N: int, image_size: int) -> None:
    from .network import check_image_size
    from .supernet import check_normal_cell

    check_normal_cell(N)
    check_image_size(image_size)


DARTS = SearchSpace(
    name="darts", ops=PRIMITIVES, param_free=PARAM_FREE, edges=DARTS_EDGES * 2, genotype=DartsGenotype,
    recognises=lambda text: text.startswith("Genotype("), depth="cells in all, at least 3", check=check,
    colours={"none": "#9e9e9e", "max_pool_3x3": "#ffb74d", "avg_pool_3x3": "#fb8c00",
             "skip_connect": "#e53935", "sep_conv_3x3": "#81c784", "sep_conv_5x5": "#2e7d32",
             "dil_conv_3x3": "#aed581", "dil_conv_5x5": "#558b2f"},  # pictures/palette.py
    supernet=supernet, network=network,
    recipe=dict(lr=0.025, nesterov=False, weight_decay=3e-4, depth=5), extras=True, derives_none=False,
    derive=derive,
)
