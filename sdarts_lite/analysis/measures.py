"""What a study reports: a record's cells read through its space (the parameter-free edges and
share, the operations that reach the output, the cells derived again under another rule); per run,
the measures of its last epoch and derived cell; per group of runs (an optimizer under a budget),
their spread over seeds; and each group against bi-level, with a permutation test's p-value.
Plain dicts, written to ``summary.json``.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..method.sharpness import early_stop_epoch
from ..method.spaces import SearchSpace, get_space, live_param_ops, param_free_ops, parse_genotype
from ..run.config import SearchConfig
from ..run.history import History
from .stats import STATISTICS, permutation_test, spread


def space_of_record(history: History) -> SearchSpace:
    """The space a record's config names (``config["space"]``)."""
    if "space" not in history.config:
        raise ValueError("History: config['space'] must say which space the record's cells are of")
    return get_space(history.config["space"])


def share_of_param_free(shares: list[list[float]], ops: list[str]) -> float:
    """The mean over edges (rows of ``shares``, one column per operation of ``ops``, each row
    summing to 1) of the share of the edge's weight on parameter-free operations."""
    cols = [k for k, op in enumerate(ops) if op in param_free_ops()]
    return sum(sum(row[c] for c in cols) for row in shares) / len(shares)


def param_free_share(history: History) -> list[float]:
    """Per epoch, the mean over edges of the share of the edge's weight on parameter-free
    operations (none, skip_connect, pools)."""
    return [share_of_param_free(history.shares(r.mixing), history.learned_ops) for r in history.epochs]


def uniform_share(history: History) -> float:
    """The parameter-free share of uniform alpha, the mark each relaxation's share starts at: 3/5
    under the softmax on NAS-Bench-201, 2/4 under the sigmoid (``none`` not learned)."""
    learned = history.learned_ops
    return share_of_param_free([[1 / len(learned)] * len(learned)], learned)


def num_edges(history: History) -> int:
    """Edges of the derived cell(s): 6 for NAS-Bench-201, 16 for DARTS' normal and reduction cells."""
    return parse_genotype(history.genotype).num_edges


def param_free_edges(history: History) -> list[int]:
    """Per epoch, how many edges of the derived cell carry a parameter-free operation."""
    return [parse_genotype(r.genotype).num_param_free() for r in history.epochs]


def reaching_output(history: History) -> list[int]:
    """Per epoch, the derived cell's operations with parameters that reach its output
    (``spaces.live_param_ops``): what the edge count hides when ``none`` cuts a node off."""
    return [live_param_ops(r.genotype) for r in history.epochs]


def derived_again(history: History, exclude_none: bool) -> History:
    """The record with every epoch's cell derived again from its mixing weights under another rule
    (``none`` kept from winning an edge or not): a reanalysis, with no new search."""
    derive = space_of_record(history).derive
    if derive is None:
        raise ValueError(f"History: the {history.config['space']} space cannot derive a cell from a record")
    epochs = [replace(r, genotype=str(derive(torch.tensor(r.mixing, dtype=torch.float64), exclude_none)))
              for r in history.epochs]
    stop = history.early_stop
    kept = stop["kept_epoch"] if stop else -1
    config = {**history.config, "derivation": "without_none" if exclude_none else "with_none"}
    return replace(history, config=config, epochs=epochs, genotype=epochs[kept].genotype if epochs else "",
                   early_stop=stop and {**stop, "genotype": epochs[kept].genotype})


def measures(history: History, lookup=None) -> dict:
    """What a run contributes to the study: its derived cell and the last epoch's measures; where
    lambda_max was measured, its last value and the cell DARTS-ES would have kept (``es_*``: the
    final cell when the rule never fired)."""
    last = history.epochs[-1]
    record = {
        "seed": history.config["seed"],
        "genotype": history.genotype,
        "exclude_none": SearchConfig.from_dict(history.config).exclude_none(),  # the rule it was derived by
        "param_free_edges": param_free_edges(history)[-1],
        "live_param_ops": reaching_output(history)[-1],
        "edges": num_edges(history),
        "param_free_share": param_free_share(history)[-1],
        "share_above_uniform": param_free_share(history)[-1] - uniform_share(history),
        "decisiveness": history.decisiveness()[-1],
        "valid_acc": last.valid_acc,
        "train_loss": last.train_loss,
        "alpha_loss": last.alpha_loss,
        "alpha_grad_norm": last.alpha_grad_norm,
        "seconds": last.seconds,
        "param_free_share_per_epoch": param_free_share(history),
        "param_free_edges_per_epoch": param_free_edges(history),
        "live_param_ops_per_epoch": reaching_output(history),
        "weights": last.mixing,  # the last mixing weights: the cell derived again under another rule
    }
    lambdas = [r.lambda_max for r in history.epochs]
    if any(lam is not None for lam in lambdas):  # the held-out sharpness, and what DARTS-ES keeps
        record["lambda_max"] = history.lambda_max()[1][-1]
        record["lambda_max_per_epoch"] = lambdas  # None where not measured
        stop = early_stop_epoch(lambdas)
        record["es_epoch"] = stop[0] if stop else None
        record["es_genotype"] = history.epochs[stop[1]].genotype if stop else history.genotype
    if lookup is not None and lookup.holds(history.genotype):  # a NAS-Bench-201 table holds its cells only
        record["cifar10"] = lookup.query(history.genotype).accuracy["cifar10"]
        if "es_genotype" in record:
            record["cifar10_es"] = lookup.query(record["es_genotype"]).accuracy["cifar10"]
    return record


MEASURES = ("param_free_edges", "live_param_ops", "param_free_share", "share_above_uniform", "decisiveness",
            "valid_acc", "train_loss", "alpha_loss", "alpha_grad_norm", "lambda_max", "seconds", "cifar10",
            "cifar10_es")
LABELS = {"param_free_edges": "parameter-free edges of the derived cell",
          "live_param_ops": "operations with parameters that reach the output",
          "param_free_share": "share of weight on parameter-free ops",
          "share_above_uniform": "parameter-free share minus uniform alpha's",
          "decisiveness": "decisiveness (mean largest weight per edge)",
          "valid_acc": "held-out accuracy of the supernet (%)",
          "cifar10": "NAS-Bench-201 CIFAR-10 accuracy of the derived cell (%)",
          "train_loss": "training loss (last epoch)",
          "alpha_loss": "loss alpha learned from (last epoch)",
          "alpha_grad_norm": "alpha's gradient norm (last epoch)",
          "lambda_max": "lambda_max of the held-out loss's Hessian in alpha (last measured)",
          "cifar10_es": "NAS-Bench-201 CIFAR-10 accuracy of the cell DARTS-ES keeps (%)",
          "seconds": "seconds per run"}  # what each measure is, in tables and plots


def summarise(runs: dict[str, list[dict]]) -> dict:
    """Per run group: mean, spread and median over seeds of each measure."""
    out = {}
    for key, records in runs.items():
        out[key] = {m: spread([r[m] for r in records]) for m in MEASURES if records and m in records[0]}
        out[key]["seeds"] = len(records)
    return out


def contrasts(runs: dict[str, list[dict]], reference: str) -> dict:
    """Each other group against ``reference`` (bi-level): the difference in mean parameter-free
    edges and, when looked up, in median NAS-Bench-201 CIFAR-10 accuracy, each with its
    two-sided permutation p-value (``stats.permutation_test``)."""
    out = {}
    for key, records in runs.items():
        if key == reference:
            continue
        ref = runs[reference]
        tests = {"param_free_edges": ("mean", [r["param_free_edges"] for r in records],
                                      [r["param_free_edges"] for r in ref])}
        if records and "cifar10" in records[0]:
            tests["cifar10"] = ("median", [r["cifar10"] for r in records], [r["cifar10"] for r in ref])
        out[f"{key} vs {reference}"] = {
            name: {"statistic": stat, "difference": float(STATISTICS[stat](mine) - STATISTICS[stat](theirs)),
                   "p": permutation_test(theirs, mine, stat)}
            for name, (stat, mine, theirs) in tests.items()}
    return out


def summary_lines(summary: dict) -> list[str]:
    """One line per run group of a study's ``summary.json``: parameter-free edges (mean, spread,
    per seed), parameter-free weight and, when looked up, the median and mean NAS-Bench-201
    CIFAR-10 accuracy; then each contrast with bi-level and its p-value."""
    lines = []
    for key, stats in summary["summary"].items():
        edges = stats["param_free_edges"]
        per_seed = " ".join(str(r["param_free_edges"]) for r in summary["runs"][key])
        line = (f"{key:>13}: parameter-free edges {edges['mean']:.2f} ± {edges['std']:.2f} "
                f"of {summary['runs'][key][0]['edges']} "
                f"(seeds: {per_seed}), weight {stats['param_free_share']['mean']:.3f}")
        if "decisiveness" in stats:
            line += f", decisiveness {stats['decisiveness']['mean']:.3f}"
        if "cifar10" in stats:
            line += (f", NAS-Bench-201 CIFAR-10 median {stats['cifar10']['median']:.2f}%"
                     f" (mean {stats['cifar10']['mean']:.2f}%)")
        if "lambda_max" in stats:
            line += f", lambda_max {stats['lambda_max']['mean']:.3g} ± {stats['lambda_max']['std']:.2g}"
        if "cifar10_es" in stats:
            line += f" (DARTS-ES cells: median {stats['cifar10_es']['median']:.2f}%)"
        lines.append(line)
    for name, tests in summary.get("contrasts", {}).items():
        lines.append(f"{name}: " + "; ".join(
            f"{t['statistic']} {measure} {t['difference']:+.2f} (p = {t['p']:.3g})"
            for measure, t in tests.items()))
    return lines
