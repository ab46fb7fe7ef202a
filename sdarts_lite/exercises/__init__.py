"""Exercises: the student's functions and answers, checked against the kit's own.

Each notebook ends with exercises of three kinds: predict, then run; implement (write a function,
and its check runs it beside the kit's on seeded random inputs, as the tests check the kit against
its references); interpret a figure or table.  Every check prints one report and never raises:

    sl.exercises.check_mixed_op(mixed_op)
    [ok] Exercise 01.1, the mixed operation: passed.

A blank stub or an answer left None is "not done yet"; otherwise the report names the first input
where yours differs, with both values.  ``EXERCISES`` holds them all by id; ``Exercise.evaluate``
returns the report instead of printing it.  Solutions: ``notebooks/solutions/``.
"""

from .checking import EXERCISES, FAILED, NOT_DONE, PASSED, Exercise, Report
from .implement import (
    check_chance_param_free_edges,
    check_darts_derivation,
    check_dead_nodes,
    check_derive,
    check_early_stop,
    check_first_order_step,
    check_mixed_op,
    check_one_ahead,
    check_param_free_share,
    check_permutation_test,
    check_sigmoid_weights,
    check_single_level_step,
    check_softmax_weights,
    check_top_eigenvalue,
)
from .questions import (
    check_better_held_out,
    check_cells_below_80,
    check_darts_cell_count,
    check_largest_factor,
    check_more_than_luck,
    check_same_cell,
    check_seeds_all_param_free,
    check_split_joint,
)

EXERCISES = dict(sorted(EXERCISES.items(), key=lambda item: tuple(map(int, item[0].split(".")))))

__all__ = [
    "EXERCISES", "Exercise", "Report", "PASSED", "NOT_DONE", "FAILED",
    "check_mixed_op", "check_softmax_weights", "check_sigmoid_weights", "check_one_ahead",
    "check_single_level_step", "check_first_order_step", "check_better_held_out",
    "check_param_free_share", "check_chance_param_free_edges", "check_seeds_all_param_free",
    "check_derive", "check_dead_nodes", "check_same_cell", "check_cells_below_80",
    "check_darts_derivation", "check_darts_cell_count", "check_permutation_test", "check_more_than_luck",
    "check_top_eigenvalue", "check_early_stop", "check_split_joint", "check_largest_factor",
]
