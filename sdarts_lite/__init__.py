"""sdarts-lite: single-level vs bi-level differentiable architecture search, to learn from."""

from .darts_ops import PRIMITIVES
from .darts_space import DARTS_EDGES, DARTS_V1, DARTS_V2, DartsGenotype, DartsNetwork, DartsSupernet
from .data import DATASETS, Batches, ImageData, load_dataset
from .genotypes import EDGES, NB201_OPS, PARAM_FREE_OPS, NB201Genotype, derive_genotype
from .history import EpochRecord, History, StepRecord
from .lookup import CellResult, NB201Benchmark, load_benchmark
from .nb201 import NB201Network, discrete_network
from .optimizers import BiLevel, SingleLevel, make_optimizer
from .relaxation import ACTIVATIONS, mixing_weights
from .search import PRESETS, SearchConfig, default_device, evaluate, make_config, search
from .spaces import SPACES, parse_genotype, supernet
from .study import study, summary_lines, sweep
from .supernet import NB201Supernet
from .train import TrainResult, train_from_scratch
from .viz import (
    alpha_figure,
    benchmark_figure,
    cell_graph,
    collapse_figure,
    compare_figure,
    darts_cell_graph,
    show_cell,
    study_figure,
    write_report,
)

__version__ = "0.1.0"

__all__ = [
    # search spaces and genotypes
    "SPACES", "NB201_OPS", "PARAM_FREE_OPS", "EDGES", "NB201Genotype", "derive_genotype",
    "PRIMITIVES", "DARTS_EDGES", "DartsGenotype", "DARTS_V1", "DARTS_V2", "parse_genotype",
    # networks and the relaxation of alpha
    "ACTIVATIONS", "mixing_weights",
    "supernet", "NB201Supernet", "DartsSupernet", "discrete_network", "NB201Network", "DartsNetwork",
    # optimizers
    "make_optimizer", "SingleLevel", "BiLevel",
    # data
    "load_dataset", "ImageData", "Batches", "DATASETS",
    # searching, its record, many searches
    "search", "SearchConfig", "PRESETS", "make_config", "default_device", "evaluate",
    "History", "EpochRecord", "StepRecord", "study", "summary_lines", "sweep",
    # evaluating derived cells
    "train_from_scratch", "TrainResult", "load_benchmark", "NB201Benchmark", "CellResult",
    # plots and drawings
    "alpha_figure", "benchmark_figure", "compare_figure", "collapse_figure", "study_figure",
    "cell_graph", "darts_cell_graph", "show_cell", "write_report",
]
