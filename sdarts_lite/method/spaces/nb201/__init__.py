"""NAS-Bench-201: one 4-node cell repeated in three stages, 6 edges x 5 operations."""

from ..space import SearchSpace
from .genotypes import EDGES, NB201_OPS, PARAM_FREE, NB201Genotype, derive_genotype


def supernet(C, N, num_classes, in_channels, image_size, activation, fused):
    from .supernet import NB201Supernet

    return NB201Supernet(C, N, num_classes, in_channels, image_size, activation, fused)


def network(genotype, C, depth, num_classes, in_channels, image_size, auxiliary=False):
    from .network import NB201Network

    return NB201Network(genotype, C, depth, num_classes, in_channels, image_size)


def check(N: int, image_size: int) -> None:
    from .network import check_image_size

    check_image_size(image_size)


NB201 = SearchSpace(
    name="nb201", ops=NB201_OPS, param_free=PARAM_FREE, edges=EDGES, genotype=NB201Genotype,
    recognises=lambda text: text.startswith("|"), depth="cells per stage", check=check,
    colours={"none": "#9e9e9e", "skip_connect": "#e53935", "avg_pool_3x3": "#fb8c00",
             "nor_conv_1x1": "#81c784", "nor_conv_3x3": "#2e7d32"},  # pictures/palette.py
    supernet=supernet, network=network,
    recipe=dict(lr=0.1, nesterov=True, weight_decay=5e-4, depth=1), derive=derive_genotype,
)
