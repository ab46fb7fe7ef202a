"""sdarts-lite: single-level vs bi-level differentiable architecture search, to learn from."""

from .data import DATASETS, Batches, ImageData, load_dataset
from .genotypes import EDGES, NB201_OPS, PARAM_FREE_OPS, NB201Genotype, derive_genotype
from .history import EpochRecord, History, StepRecord
from .nb201 import NB201Network, discrete_network
from .optimizers import BiLevel, SingleLevel, make_optimizer
from .search import PRESETS, SearchConfig, default_device, evaluate, make_config, search
from .supernet import NB201Supernet, supernet
from .viz import alpha_figure, cell_graph, collapse_figure, compare_figure, show_cell, write_report

__version__ = "0.1.0"


__all__ = [
    # search space and genotypes
    "NB201_OPS", "PARAM_FREE_OPS", "EDGES", "NB201Genotype", "derive_genotype",
    # networks
    "supernet", "NB201Supernet", "discrete_network", "NB201Network",
    # optimizers
    "make_optimizer", "SingleLevel", "BiLevel",
    # data
    "load_dataset", "ImageData", "Batches", "DATASETS",
    # searching and its record
    "search", "SearchConfig", "PRESETS", "make_config", "default_device", "evaluate",
    "History", "EpochRecord", "StepRecord",
    # plots
    "alpha_figure", "compare_figure", "collapse_figure", "cell_graph", "show_cell", "write_report",
]
