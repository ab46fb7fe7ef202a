"""The predict and interpret exercises: the student's answer against the kit's committed studies
(``assets/``) and its declarations, read when the check runs, so an answer key cannot go stale.
"""

from __future__ import annotations

import json

from ..core.spaces import get_space
from ..experiments.factors import cell_means
from ..pictures.palette import NB201_ALL_SKIP, NB201_OPTIMUM
from .checking import ASSETS, Differs, choice, exercise, number

LEVELS = {"single-level": ("single", "singlelevel", "single-darts"),
          "bi-level": ("bilevel", "bilevel1", "darts", "bi-level (1st order)")}
YES_NO = {"yes": ("y", "true"), "no": ("n", "false")}
SINGLE, BILEVEL = "single-steps", "bilevel1"  # the lesson's two groups: single-level with bi-level's steps


def study(name: str = "study-fashion") -> dict:
    path = ASSETS / name / "summary.json"
    if not path.exists():
        raise Differs(f"this exercise reads the kit's committed study {path}, which is missing: run it "
                      "from a clone of the kit")
    return json.loads(path.read_text())


@exercise("02.3", "which optimizer keeps more weight on parameter-free operations", "predict")
def check_more_param_free(answer: str) -> str:
    """'single-level' or 'bi-level': whose alphas end with more weight on parameter-free operations."""
    summary = study()["summary"]
    share = {"single-level": summary[SINGLE]["param_free_share"]["mean"],
             "bi-level": summary[BILEVEL]["param_free_share"]["mean"]}
    right = max(share, key=share.get)
    said = f"mean share over the committed study's seeds: single-level {share['single-level']:.2f}, " \
           f"bi-level {share['bi-level']:.2f}"
    if choice(answer, LEVELS, "your answer") != right:
        raise Differs(f"{right} keeps more: {said}")
    return f"{right} it is; {said}"


@exercise("03.3", "in how many seeds bi-level keeps more parameter-free edges", "interpret")
def check_seeds_more_param_free(seeds: int) -> str:
    """Of the committed study's seeds, how many give bi-level's cell more parameter-free edges than
    single-level's (same seed)."""
    runs = study()["runs"]
    count = sum(b["param_free_edges"] > s["param_free_edges"] for s, b in zip(runs[SINGLE], runs[BILEVEL]))
    if number(seeds, "your count") != count:
        raise Differs(f"count the seeds in the printed table again: it is not {seeds}")
    return f"{count} of {len(runs[SINGLE])} seeds; notebook 07 asks whether a count like it could be luck"


@exercise("05.1", "the all-skip cell's accuracy", "predict")
def check_all_skip_accuracy(accuracy: float) -> str:
    """The NAS-Bench-201 CIFAR-10 test accuracy (%) of the cell whose six edges are all skip_connect,
    within 10 points."""
    guess = number(accuracy, "your accuracy")
    if abs(guess - NB201_ALL_SKIP) > 10:
        raise Differs(f"{guess:.1f}% is more than 10 points from the benchmark's {NB201_ALL_SKIP:.2f}%")
    return (f"the benchmark gives {NB201_ALL_SKIP:.2f}% (you said {guess:.1f}%), "
            f"{NB201_OPTIMUM - NB201_ALL_SKIP:.0f} points below the best cell: with no convolution in its "
            "cells, only the skeleton's stem and reduction blocks learn features")


@exercise("05.2", "how many derived cells score below 80%", "interpret")
def check_cells_below_80(single: int, bilevel: int) -> str:
    """Of the committed study's cells, how many of single-level's and of bi-level's score below 80%
    NAS-Bench-201 CIFAR-10 accuracy."""
    runs = study()["runs"]
    counts = {name: sum(r["cifar10"] < 80 for r in runs[group]) for name, group in
              (("single-level", SINGLE), ("bi-level", BILEVEL))}
    for name, answer in (("single-level", single), ("bi-level", bilevel)):
        if number(answer, f"your {name} count") != counts[name]:
            raise Differs(f"your {name} count, {answer}, is not what the table shows: read its "
                          "CIFAR-10 column again")
    return (f"single-level {counts['single-level']}, bi-level {counts['bi-level']} of "
            f"{len(runs[SINGLE])} seeds below 80%")


@exercise("06.2", "how many numbers alpha holds in the DARTS space", "predict")
def check_darts_alpha_count(count: int) -> str:
    """How many alphas the DARTS CNN space learns: normal and reduction cells, 14 edges, 8 operations."""
    space = get_space("darts")
    if number(count, "your count") != space.num_alphas:
        raise Differs(f"not {count}: count the edges of both cells and the operations on each")
    return (f"{space.num_alphas} = {len(space.edges)} edges (14 of the normal cell, 14 of the reduction "
            f"cell) x {len(space.ops)} operations, against NAS-Bench-201's 30")


@exercise("07.2", "is the difference more than luck", "interpret")
def check_more_than_luck(fashion: str, digits: str) -> str:
    """'yes' or 'no', for Fashion-MNIST's and the digits' studies: is single-level's difference from
    bi-level in parameter-free edges significant at the 5% level (permutation test)?"""
    lines = []
    for name, folder, answer in (("Fashion-MNIST", "study-fashion", fashion),
                                 ("digits", "study-laptop", digits)):
        p = study(folder)["contrasts"][f"{SINGLE} vs {BILEVEL}"]["param_free_edges"]["p"]
        right = "yes" if p < 0.05 else "no"
        if choice(answer, YES_NO, f"your answer for {name}") != right:
            raise Differs(f"{name}: read its p again; is it below 0.05?")
        lines.append(f"{name}: {right} (p = {p:.2g})")
    return "; ".join(lines) + ". A p above 0.05 is no evidence either way, not evidence of no difference"


@exercise("09.1", "what split_joint does", "predict")
def check_split_joint(answer: str) -> str:
    """'single-level' or 'bi-level': split_joint steps together, like single-level, but alpha learns
    from held-out batches, like bi-level; whose number of parameter-free edges does its cell keep?"""
    path = ASSETS / "factors-fashion" / "factors.json"
    if not path.exists():
        raise Differs(f"this exercise reads the kit's committed factor study {path}, which is missing")
    means = cell_means(json.loads(path.read_text()), "param_free_edges")
    edges = {name: means[(mode, "softmax")] for name, mode in
             (("single-level", "single"), ("bi-level", "bilevel1"), ("split_joint", "split_joint"))}
    right = min(("single-level", "bi-level"), key=lambda name: abs(edges[name] - edges["split_joint"]))
    said = ", ".join(f"{name} {value:.2f}" for name, value in edges.items())
    if choice(answer, LEVELS, "your answer") != right:
        raise Differs(f"like {right}'s: parameter-free edges under the softmax, {said}")
    return f"like {right}'s ({said}): which data alpha learns from decides, not when it steps"


@exercise("09.2", "which factor matters most", "interpret")
def check_largest_factor(factor: str) -> str:
    """The factor ('data', 'schedule' or 'relaxation') whose main effect on the cell's parameter-free
    edges is largest in the committed factor study."""
    path = ASSETS / "factors-fashion" / "factors.json"
    if not path.exists():
        raise Differs(f"this exercise reads the kit's committed factor study {path}, which is missing")
    effects = {f: e["param_free_edges"]["effect"]
               for f, e in json.loads(path.read_text())["main_effects"].items()}
    right = max(effects, key=lambda f: abs(effects[f]))
    said = ", ".join(f"{f} {e:+.2f}" for f, e in effects.items())
    if choice(factor, {f: () for f in effects}, "your factor") != right:
        raise Differs(f"compare the main effects' sizes again: {said}")
    return f"{right} ({said} parameter-free edges)"
