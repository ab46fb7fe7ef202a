"""The lesson in a few lines, read from a study's ``summary.json``: single-level against
first-order bi-level on the same seeds, each measure with its 95% bootstrap interval, the
contrast's permutation p, and how often one seed of a learner's own would show it.  The README's
result and notebook 07 print these lines; nothing in them is typed by hand."""

from __future__ import annotations

import statistics

from ..analysis.stats import bootstrap_interval, permutation_test
from . import palette
from .figures import space_references


def paired(summary: dict, measure: str, single: str, bilevel: str) -> tuple[list[float], list[float]]:
    """``measure`` of the two groups' runs, in seed order, paired by seed (every seed in both)."""
    runs = [{r["seed"]: r[measure] for r in summary["runs"][key]} for key in (single, bilevel)]
    if runs[0].keys() != runs[1].keys():
        raise ValueError(f"{single} and {bilevel} ran different seeds: they cannot be paired")
    seeds = sorted(runs[0])
    return [runs[0][s] for s in seeds], [runs[1][s] for s in seeds]


def mean_ci(values: list[float], digits: int) -> str:
    low, high = bootstrap_interval(values)
    return f"{statistics.fmean(values):.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def lesson_lines(summary: dict, single: str = "single-steps", bilevel: str = "bilevel1") -> list[str]:
    """Five lines: the seeds, the parameter-free edges, the parameter-free share, the NAS-Bench-201
    accuracy and its paired gap, and the odds for one seed; means with [95% bootstrap interval]."""
    records = summary["runs"][single]
    edges = records[0]["edges"]
    uniform, chance = space_references(records)
    seeds = sorted(r["seed"] for r in records)
    s_edges, b_edges = paired(summary, "param_free_edges", single, bilevel)
    s_share, b_share = paired(summary, "param_free_share", single, bilevel)
    names = palette.label(single).split(" (")[0], palette.label(bilevel)
    lines = [
        f"- {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}) per optimizer, preset `{summary['preset']}`; "
        f"means with [95% bootstrap interval] over seeds; p: two-sided permutation test of the two groups.",
        f"- Parameter-free edges of the final cell, of {edges}: {names[1]} {mean_ci(b_edges, 1)}, "
        f"{names[0]} {mean_ci(s_edges, 1)} (chance {chance:.1f}; "
        f"p = {permutation_test(s_edges, b_edges):.2g}).",
        f"- Share of alpha's weight on parameter-free operations: {mean_ci(b_share, 2)} against "
        f"{mean_ci(s_share, 2)} (uniform alpha {uniform:.2f}; p = {permutation_test(s_share, b_share):.2g}).",
    ]
    if all("cifar10" in r for key in (single, bilevel) for r in summary["runs"][key]):
        s_acc, b_acc = paired(summary, "cifar10", single, bilevel)
        gaps = [s - b for s, b in zip(s_acc, b_acc)]
        wins = sum(g > 0 for g in gaps)
        lines += [
            f"- NAS-Bench-201 CIFAR-10 accuracy of the cells: {names[0]} {mean_ci(s_acc, 1)}%, {names[1]} "
            f"{mean_ci(b_acc, 1)}%; the gap, paired by seed, +{mean_ci(gaps, 1)} points "
            f"(p = {permutation_test(s_acc, b_acc):.2g}; optimum {palette.NB201_OPTIMUM:.2f}, "
            f"all-skip {palette.NB201_ALL_SKIP:.2f}).",
            f"- One seed of your own: {names[0]}'s cell scored higher in {wins} of {len(gaps)} seeds "
            f"(gaps from {min(gaps):+.1f} to {max(gaps):+.1f} points); these are one set of "
            f"{len(gaps)} seeds, and another set can give a smaller gap.",
        ]
    return lines
