"""sdarts-lite: single-level vs bi-level differentiable architecture search, to learn from."""

from .config import PRESETS, SearchConfig, make_config
from .curvature import Curvature, early_stop_epoch
from .data import DATASETS, Batches, ImageData, load_dataset
from .drawing import cell_graph, darts_cell_graph, show_cell
from .genotypes import PARAM_FREE_OPS, SPACES, parse_genotype
from .history import EpochRecord, History, StepRecord
from .lookup import CellResult, NB201Benchmark, load_benchmark
from .optimizers import BiLevel, SingleLevel, make_optimizer
from .relaxation import ACTIVATIONS, mixing_weights
from .reports import write_report
from .runtime import default_device, evaluate
from .search import search, search_data
from .spaces.darts.genotypes import DARTS_EDGES, DARTS_V1, DARTS_V2, PRIMITIVES, DartsGenotype
from .spaces.darts.network import DartsNetwork
from .spaces.darts.supernet import DartsSupernet
from .spaces.nb201.genotypes import EDGES, NB201_OPS, NB201Genotype, derive_genotype
from .spaces.nb201.network import NB201Network
from .spaces.nb201.supernet import NB201Supernet
from .stats import permutation_test
from .study import StudyResult, histories, study
from .summary import summary_lines
from .supernet import Supernet, supernet
from .sweep import ACCURACY_TARGETS, TARGETS, sweep, target_rows
from .train import TrainResult, train_from_scratch
from .viz import (
    alpha_figure,
    benchmark_figure,
    collapse_figure,
    compare_figure,
    curvature_figure,
    diagnostics_figure,
    images_figure,
    study_figure,
)

__version__ = "0.1.0"

__all__ = [
    # search spaces and genotypes
    "SPACES", "NB201_OPS", "PARAM_FREE_OPS", "EDGES", "NB201Genotype", "derive_genotype",
    "PRIMITIVES", "DARTS_EDGES", "DartsGenotype", "DARTS_V1", "DARTS_V2", "parse_genotype",
    # networks and the relaxation of alpha
    "ACTIVATIONS", "mixing_weights",
    "Supernet", "supernet", "NB201Supernet", "DartsSupernet", "NB201Network", "DartsNetwork",
    # optimizers
    "make_optimizer", "SingleLevel", "BiLevel",
    # data
    "load_dataset", "ImageData", "Batches", "DATASETS",
    # searching, its record, many searches
    "search", "search_data", "SearchConfig", "PRESETS", "make_config", "default_device", "evaluate",
    "History", "EpochRecord", "StepRecord", "study", "StudyResult", "histories", "summary_lines", "sweep",
    "TARGETS", "ACCURACY_TARGETS", "target_rows", "permutation_test",
    # why collapse happens: the held-out loss's sharpness in alpha, and DARTS-ES
    "Curvature", "early_stop_epoch",
    # evaluating derived cells
    "train_from_scratch", "TrainResult", "load_benchmark", "NB201Benchmark", "CellResult",
    # plots, drawings and reports
    "alpha_figure", "benchmark_figure", "compare_figure", "collapse_figure", "diagnostics_figure",
    "curvature_figure", "study_figure", "images_figure",
    "cell_graph", "darts_cell_graph", "show_cell", "write_report",
]
