"""sdarts-lite: single-level vs bi-level differentiable architecture search, to learn from.

The package in layers, each importing only from those above it in this list:

    base/         guards on input, the device, seeding, atomic files
    data/         the images: datasets and seeded batches
    method/       the paper's method, read beside it: spaces/, mixing, supernet, optimizers (their
                  registry), hyperparameters, sharpness
    run/          the machinery that runs it: config, search, together (seeds trained as one),
                  history, checkpoint, held_out
    evaluation/   derived cells judged: retraining from scratch, the NAS-Bench-201 table
    analysis/     many histories summarised: measures, statistics
    pictures/     one palette, figures, cell drawings, reports, the lesson in lines (they read
                  histories and summaries only)
    experiments/  many searches: study, its workers, sweep, the factor study
    exercises/    the notebooks' exercises: a student's functions and answers checked against the kit's
    frontends/    the command line and its flags, the notebook widgets

The build tools (the book, the README's figures, the notebooks' outputs) live outside, in ``tools/``.

This file is the public API: everything a notebook or a script needs, by one name.
"""

from . import exercises
from .analysis.indicator import sharpness_indicator
from .analysis.measures import derived_again, param_free_edges, param_free_share, summary_lines
from .analysis.stats import permutation_test
from .base.device import default_device
from .data.batches import Batches
from .data.images import DATASETS, ImageData, load_dataset
from .evaluation.nb201_table import CellResult, NB201Benchmark, canonical_form, find_table, load_benchmark
from .evaluation.retrain import TrainConfig, TrainResult, train_from_scratch
from .experiments.factors import FACTORS, factor_study
from .experiments.study import StudyResult, histories, study
from .experiments.sweep import ACCURACY_TARGETS, TARGETS, sweep, target_rows
from .method.hyperparameters import Hyperparameters
from .method.mixing import ACTIVATIONS, inert_ops, mixing_weights
from .method.optimizers import (
    OPTIMIZERS,
    Alternating,
    BiLevel,
    Optimizer,
    OptimizerSpec,
    SingleLevel,
    SplitJoint,
    get_optimizer,
    make_optimizer,
    register_optimizer,
)
from .method.sharpness import Sharpness, early_stop_epoch
from .method.spaces import (
    REGISTRY,
    SearchSpace,
    get_space,
    live_param_ops,
    param_free_ops,
    parse_genotype,
    register,
    space_of,
)
from .method.spaces.darts.genotypes import DARTS_EDGES, DARTS_V1, DARTS_V2, PRIMITIVES, DartsGenotype
from .method.spaces.darts.network import DartsNetwork
from .method.spaces.darts.supernet import DartsSupernet
from .method.spaces.nb201.genotypes import EDGES, NB201_OPS, NB201Genotype, derive_genotype
from .method.spaces.nb201.network import NB201Network
from .method.spaces.nb201.supernet import NB201Supernet
from .method.supernet import Supernet, supernet
from .pictures.cell_drawings import cell_graph, show_cell
from .pictures.figures import (
    alpha_figure,
    benchmark_figure,
    collapse_figure,
    compare_figure,
    diagnostics_figure,
    factor_figure,
    images_figure,
    lesson_figure,
    sharpness_figure,
    study_figure,
)
from .pictures.lesson import lesson_lines, seed_set_lines
from .pictures.reports import write_report
from .run.config import PRESETS, SearchConfig, make_config
from .run.held_out import evaluate
from .run.history import EpochRecord, History, StepRecord
from .run.search import search, search_data
from .run.together import search_together

__version__ = "0.1.0"

__all__ = [
    # search spaces and genotypes
    "SearchSpace", "REGISTRY", "get_space", "register", "space_of", "param_free_ops", "parse_genotype",
    "live_param_ops",
    "NB201_OPS", "EDGES", "NB201Genotype", "derive_genotype",
    "PRIMITIVES", "DARTS_EDGES", "DartsGenotype", "DARTS_V1", "DARTS_V2",
    # networks and the relaxation of alpha
    "ACTIVATIONS", "mixing_weights", "inert_ops",
    "Supernet", "supernet", "NB201Supernet", "DartsSupernet", "NB201Network", "DartsNetwork",
    # optimizers
    "make_optimizer", "OPTIMIZERS", "OptimizerSpec", "register_optimizer", "get_optimizer", "Optimizer",
    "SingleLevel", "Alternating", "SplitJoint", "BiLevel", "Hyperparameters",
    # data
    "load_dataset", "ImageData", "Batches", "DATASETS",
    # searching, its record, many searches
    "search", "search_data", "search_together", "SearchConfig", "PRESETS", "make_config", "default_device",
    "evaluate",
    "History", "EpochRecord", "StepRecord", "param_free_edges", "param_free_share", "derived_again",
    "study", "StudyResult", "histories", "summary_lines", "sweep",
    "factor_study", "FACTORS",
    "TARGETS", "ACCURACY_TARGETS", "target_rows", "permutation_test", "sharpness_indicator",
    # why collapse happens: the held-out loss's sharpness in alpha, and DARTS-ES
    "Sharpness", "early_stop_epoch",
    # evaluating derived cells
    "train_from_scratch", "TrainConfig", "TrainResult", "load_benchmark", "find_table", "NB201Benchmark",
    "CellResult", "canonical_form",
    # plots, drawings and reports
    "alpha_figure", "benchmark_figure", "compare_figure", "collapse_figure", "diagnostics_figure",
    "factor_figure", "sharpness_figure", "study_figure", "images_figure", "lesson_figure", "lesson_lines",
    "seed_set_lines", "cell_graph", "show_cell", "write_report",
    # the notebooks' exercises, checked: sl.exercises.check_*(answer)
    "exercises",
]
