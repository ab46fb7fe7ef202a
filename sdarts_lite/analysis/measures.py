"""What a study reports: per run, the measures of its last epoch and derived cell; per group of
runs (an optimizer under a budget), their spread over seeds; and each group against bi-level,
with a permutation test's p-value.  Plain dicts, written to ``summary.json``.
"""

from __future__ import annotations

from ..method.sharpness import early_stop_epoch
from ..run.config import SearchConfig
from ..run.history import History
from .stats import STATISTICS, permutation_test, spread


def measures(history: History, lookup=None) -> dict:
    """What a run contributes to the study: its derived cell and the last epoch's measures; where
    lambda_max was measured, its last value and the cell DARTS-ES would have kept (``es_*``: the
    final cell when the rule never fired)."""
    last = history.epochs[-1]
    record = {
        "seed": history.config["seed"],
        "genotype": history.genotype,
        "exclude_none": SearchConfig.from_dict(history.config).exclude_none(),  # the rule it was derived by
        "param_free_edges": history.param_free_edges()[-1],
        "live_param_ops": history.live_param_ops()[-1],
        "edges": history.num_edges(),
        "param_free_share": history.param_free_share()[-1],
        "share_above_uniform": history.param_free_share()[-1] - history.uniform_share(),
        "decisiveness": history.decisiveness()[-1],
        "valid_acc": last.valid_acc,
        "train_loss": last.train_loss,
        "alpha_loss": last.alpha_loss,
        "alpha_grad_norm": last.alpha_grad_norm,
        "seconds": last.seconds,
        "param_free_share_per_epoch": history.param_free_share(),
        "param_free_edges_per_epoch": history.param_free_edges(),
        "live_param_ops_per_epoch": history.live_param_ops(),
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
