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
from .stats import permutation_test
from .study import histories, study, summary_lines
from .sweep import TARGETS, sweep, target_rows
from .supernet import NB201Supernet
from .train import TrainResult, train_from_scratch
from .viz import (
    alpha_figure,
    benchmark_figure,
    cell_graph,
    collapse_figure,
    compare_figure,
    diagnostics_figure,
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
    "History", "EpochRecord", "StepRecord", "study", "histories", "summary_lines", "sweep",
    "TARGETS", "target_rows", "permutation_test",
    # evaluating derived cells
    "train_from_scratch", "TrainResult", "load_benchmark", "NB201Benchmark", "CellResult",
    # plots and drawings
    "alpha_figure", "benchmark_figure", "compare_figure", "collapse_figure", "diagnostics_figure",
    "study_figure",
    "cell_graph", "darts_cell_graph", "show_cell", "write_report",
]
