"""The predict and interpret exercises: the student's answer against the kit's committed studies
(``assets/``) and its declarations, read when the check runs, so an answer key cannot go stale.
"""

from __future__ import annotations

import json
import math
from collections import Counter

from ..evaluation.nb201_table import canonical_form
from ..experiments.factors import cell_means
from ..method.spaces import get_space
from ..method.spaces.darts.genotypes import DARTS_EDGES
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


@exercise("02.3", "whose supernet does better on held-out images", "predict")
def check_better_held_out(answer: str) -> str:
    """'single-level' or 'bi-level': whose supernet ends with the higher accuracy on the held-out test
    images, on average over the committed study's seeds."""
    summary = study()["summary"]
    accuracy = {"single-level": summary[SINGLE]["valid_acc"]["mean"],
                "bi-level": summary[BILEVEL]["valid_acc"]["mean"]}
    right = max(accuracy, key=accuracy.get)
    said = (f"mean held-out accuracy over the committed study's seeds: single-level "
            f"{accuracy['single-level']:.1f}%, bi-level {accuracy['bi-level']:.1f}%")
    if choice(answer, LEVELS, "your answer") != right:
        raise Differs(f"{right}'s: {said}")
    return (f"{right}'s; {said}. Learning alpha from held-out batches "
            + ("made" if right == "bi-level" else "did not make") + " the supernet generalise better here")


@exercise("03.3", "in how many seeds bi-level's cell is all parameter-free", "interpret")
def check_seeds_all_param_free(seeds: int) -> str:
    """Of the committed study's seeds, how many give bi-level a cell whose every edge is parameter-free."""
    runs = study()["runs"]
    count = sum(r["param_free_edges"] == r["edges"] for r in runs[BILEVEL])
    if number(seeds, "your count") != count:
        raise Differs(f"count again the rows of the printed table whose bi-level edges read 6: it is not "
                      f"{seeds}")
    most = max(r["param_free_edges"] for r in runs[SINGLE])
    return (f"{count} of {len(runs[BILEVEL])} seeds: cells with no operation that has weights, collapsed "
            f"outright; single-level's largest count is {most}")


DEAD_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|none~2|"
POOL_CELL = "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|avg_pool_3x3~0|none~1|none~2|"


@exercise("05.1", "do two cells count as one", "predict")
def check_same_cell(answer: str) -> str:
    """'yes' or 'no': does NAS-Bench-201 count ``DEAD_CELL`` (three 3x3 convolutions) and ``POOL_CELL``
    (none) as one cell, with one accuracy?"""
    same = canonical_form(DEAD_CELL) == canonical_form(POOL_CELL)
    right = "yes" if same else "no"
    if choice(answer, YES_NO, "your answer") != right:
        raise Differs(f"{right}: both cells' canonical form is {canonical_form(DEAD_CELL)!r}" if same else
                      f"{right}: their canonical forms differ")
    return (f"{right}: both reduce to {canonical_form(DEAD_CELL)!r}, one pooling of the input. Nodes 1 and "
            "2 are dead: no path without `none` leads from them to the output, so their convolutions "
            "never reach it. Counted by edges the first cell has three convolutions, in effect none")


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


def darts_cells() -> int:
    """Distinct derived DARTS cells of one type: per node, two of its inputs, each with an operation
    that may win an edge."""
    inputs = Counter(j for _, j in DARTS_EDGES)
    ops = len(get_space("darts").derivable_ops)
    return math.prod(math.comb(n, 2) * ops ** 2 for n in inputs.values())


@exercise("06.2", "how many normal cells the DARTS space holds", "predict")
def check_darts_cell_count(count: float) -> str:
    """How many distinct normal cells a DARTS search can derive, within a factor of 10."""
    exact = darts_cells()
    guess = number(count, "your count")
    if guess <= 0 or abs(math.log10(guess / exact)) > 1:
        raise Differs(f"{guess:.3g} is more than a factor of 10 from {exact:,}")
    return (f"{exact:,} (you said {guess:.3g}): per node, 2 of its 2, 3, 4 or 5 inputs, each with one of 7 "
            "operations; with the reduction cell, about 10^18 pairs, against NAS-Bench-201's 15,625 cells")


@exercise("07.2", "is the difference more than luck", "interpret")
def check_more_than_luck(fashion: str, digits: str) -> str:
    """'yes' or 'no', for Fashion-MNIST's and the digits' studies: is the difference in parameter-free
    edges of the line ``single-steps vs bilevel1`` significant at the 5% level (permutation test)?"""
    lines = []
    for name, folder, answer in (("Fashion-MNIST", "study-fashion", fashion),
                                 ("digits", "study-laptop", digits)):
        p = study(folder)["contrasts"][f"{SINGLE} vs {BILEVEL}"]["param_free_edges"]["p"]
        right = "yes" if p < 0.05 else "no"
        if choice(answer, YES_NO, f"your answer for {name}") != right:
            raise Differs(f"{name}: the `single-steps vs bilevel1` line gives p = {p:.3g}; is it below 0.05?")
        lines.append(f"{name}: {right} (p = {p:.2g})")
    return "; ".join(lines) + ". A p above 0.05 is no evidence either way, not evidence of no difference"


@exercise("09.1", "what split_joint does", "interpret")
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
    other = "single-level" if right == "bi-level" else "bi-level"
    kept, left = ("data", "schedule") if right == "bi-level" else ("schedule", "data")
    how = {"data": "alpha on held-out batches", "schedule": "w and alpha stepping together"}
    return (f"like {right}'s ({said}): split_joint has {right}'s {kept} ({how[kept]}) and {other}'s {left} "
            f"({how[left]}), so here the {kept} goes with the parameter-free edges, not the {left}")


@exercise("09.2", "which factor matters most", "interpret")
def check_largest_factor(factor: str) -> str:
    """The factor ('data', 'schedule' or 'relaxation') whose main effect on the cell's parameter-free
    edges is largest in the committed factor study."""
    path = ASSETS / "factors-fashion" / "factors.json"
    if not path.exists():
        raise Differs(f"this exercise reads the kit's committed factor study {path}, which is missing")
    main = {f: e["param_free_edges"] for f, e in json.loads(path.read_text())["main_effects"].items()}
    right = max(main, key=lambda f: abs(main[f]["effect"]))
    said = ", ".join(f"{f} {e['effect']:+.2f} (p = {e['p']:.2g})" for f, e in main.items())
    if choice(factor, {f: () for f in main}, "your factor") != right:
        raise Differs(f"compare the main effects' sizes again: {said}")
    return f"{right} (main effects on parameter-free edges: {said})"
