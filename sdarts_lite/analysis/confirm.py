"""Does the lesson hold on fresh seeds, and how sure is it?  A study's runs read against targets
fixed before the runs were made (issue 34), each measure with a 95% bootstrap interval over seeds
and a permutation p, and a learner's odds: in how many seeds single-level's cell scores higher.

The differences are paired by seed (the two optimizers of one seed share its data order and
initial weights); their interval resamples the seeds' differences, their p is the permutation
test's of the two groups (``stats.permutation_test``).
"""

from __future__ import annotations

import torch

from ..method.spaces import get_space, live_param_ops, parse_genotype
from .measures import LABELS
from .stats import bootstrap_interval, permutation_test

SINGLE, BILEVEL = "single-steps", "bilevel1"
MEASURES = ("param_free_edges", "live_param_ops", "param_free_share", "share_above_uniform", "decisiveness",
            "cifar10")
# (what, group or "difference", measure, relation, bound, the interval must exclude 0), fixed before the
# confirmation runs; a difference is single-level minus bi-level.
TARGETS = (
    ("bi-level parameter-free edges", BILEVEL, "param_free_edges", ">=", 4.5, False),
    ("single-level parameter-free edges", SINGLE, "param_free_edges", "<=", 1.5, False),
    ("single-level live parameterised operations", SINGLE, "live_param_ops", ">=", 3.0, False),
    ("parameter-free share, single-level minus bi-level", "difference", "param_free_share", "<=", -0.25,
     False),
    ("NAS-Bench-201 CIFAR-10 mean gap, single-level minus bi-level", "difference", "cifar10", ">=", 10.0,
     True),
)


def paired(summary: dict, measure: str, single: str = SINGLE,
           bilevel: str = BILEVEL) -> tuple[list[float], list[float]]:
    """``measure`` of the two groups' runs, in seed order, paired by seed (every seed in both)."""
    runs = [{r["seed"]: r[measure] for r in summary["runs"][key]} for key in (single, bilevel)]
    if runs[0].keys() != runs[1].keys():
        raise ValueError(f"{single} and {bilevel} ran different seeds: they cannot be paired")
    seeds = sorted(runs[0])
    return [runs[0][s] for s in seeds], [runs[1][s] for s in seeds]


def estimate(values: list[float]) -> dict:
    """The mean over seeds and its 95% percentile-bootstrap interval."""
    low, high = bootstrap_interval(values)
    return {"mean": sum(values) / len(values), "low": low, "high": high}


def confirm(summary: dict) -> dict:
    """Per measure (those the runs hold): each group's mean and interval, the paired difference
    with its interval and p; every target met or missed; the odds of the accuracy contrast."""
    runs = summary["runs"]
    rows = {}
    for m in (m for m in MEASURES if all(m in r for key in (SINGLE, BILEVEL) for r in runs[key])):
        single, bilevel = paired(summary, m)
        rows[m] = {SINGLE: estimate(single), BILEVEL: estimate(bilevel),
                   "difference": {**estimate([s - b for s, b in zip(single, bilevel)]),
                                  "p": permutation_test(bilevel, single)}}
    targets = []
    for name, where, m, relation, bound, exclude_zero in TARGETS:
        if m not in rows:
            continue
        value = rows[m][where]
        met = value["mean"] >= bound if relation == ">=" else value["mean"] <= bound
        if exclude_zero:
            met = met and (value["low"] > 0 or value["high"] < 0)
        targets.append({"target": name, "group": where, "measure": m, "relation": relation, "bound": bound,
                        "exclude_zero": exclude_zero, **value, "met": met})
    out = {"seeds": sorted(r["seed"] for r in runs[SINGLE]), "measures": rows, "targets": targets}
    if "cifar10" in rows:
        single, bilevel = paired(summary, "cifar10")
        out["odds"] = {"higher": sum(s > b for s, b in zip(single, bilevel)),
                       "equal": sum(s == b for s, b in zip(single, bilevel)), "seeds": len(single)}
    return out


def interval(v: dict, digits: int, sign: str = "") -> str:
    """An ``estimate`` as ``mean [low, high]`` (``sign="+"``: signed, for a difference)."""
    return f"{v['mean']:{sign}.{digits}f} [{v['low']:{sign}.{digits}f}, {v['high']:{sign}.{digits}f}]"


def confirm_table(result: dict) -> str:
    """``confirm``'s result as Markdown: the targets, then every measure."""
    seeds = result["seeds"]
    lines = [f"Seeds: {len(seeds)} per optimizer ({seeds[0]}-{seeds[-1]}); means over seeds with 95% "
             "bootstrap intervals.", "",
             "| target | value [95% interval] | bound | met |", "|---|---|---|---|"]
    for t in result["targets"]:
        bound = f"{t['relation']} {t['bound']:g}" + (", interval excluding 0" if t["exclude_zero"] else "")
        value = interval(t, 2, "+" if t["group"] == "difference" else "")
        lines.append(f"| {t['target']} | {value} | {bound} | {'met' if t['met'] else 'missed'} |")
    lines += ["", f"| measure | {SINGLE} | {BILEVEL} | difference (single - bi-level) | p |",
              "|---|---|---|---|---|"]
    for m, row in result["measures"].items():
        digits = 1 if m == "cifar10" else 2 if m in ("param_free_edges", "live_param_ops") else 3
        lines.append(f"| {LABELS[m]} | {interval(row[SINGLE], digits)} | {interval(row[BILEVEL], digits)} | "
                     f"{interval(row['difference'], digits, '+')} | {row['difference']['p']:.2g} |")
    if "odds" in result:
        o = result["odds"]
        lines += ["", f"Single-level's cell scores higher than bi-level's in {o['higher']} of {o['seeds']} "
                      f"seeds ({o['equal']} equal)."]
    return "\n".join(lines) + "\n"


RULES = {"with `none`": False, "without `none`": True}  # derive_genotype's exclude_none


def both_rules(groups: dict[str, list[dict]], space: str = "nb201") -> dict:
    """Each group's final cells (``{group: runs}``, as a study's ``summary["runs"]``) derived again
    from their recorded mixing weights under both rules (``none`` may win an edge, or not): per group
    and rule, the parameter-free edges and the live parameterised operations, each an ``estimate``
    over seeds.  A reanalysis, with no new search."""
    derive = get_space(space).derive
    out = {}
    for group, records in groups.items():
        out[group] = {}
        for rule, exclude_none in RULES.items():
            cells = [derive(torch.tensor(r["weights"], dtype=torch.float64), exclude_none) for r in records]
            edges = [parse_genotype(c).num_param_free() for c in cells]
            out[group][rule] = {"param_free_edges": estimate(edges),
                                "live_param_ops": estimate([live_param_ops(c) for c in cells])}
    return out


def both_rules_table(result: dict) -> str:
    """``both_rules`` as Markdown: a row per group and rule."""
    lines = [f"| group | rule | {LABELS['param_free_edges']} | {LABELS['live_param_ops']} |",
             "|---|---|---|---|"]
    for group, rules in result.items():
        lines += [f"| {group} | {rule} | {interval(row['param_free_edges'], 2)} | "
                  f"{interval(row['live_param_ops'], 2)} |" for rule, row in rules.items()]
    return "\n".join(lines) + "\n"
