"""What makes Single-DARTS stable?  A full factorial of the three things it changes relative to DARTS:

    data        same batch for w and alpha, or a held-out batch for alpha
    schedule    w and alpha step together (one point), or in turn (alpha, then w)
    relaxation  softmax (competitive) or sigmoid

The four optimizers are the 2x2 of data and schedule (``optimizers.py``); each runs under both
relaxations, on the same seeds: 8 cells.  One-batch optimizers take bi-level's step count
(budget ``steps``), so that all four see as many images per epoch.

The analysis, fixed before any run: for each factor and measure, the main effect, the mean over the
runs at its second level minus the mean at its first (each side pools the other two factors' four
cells), with a two-sided permutation p-value; for each pair of factors, the interaction, half the
difference between the effect of the first at the second's two levels (the mean over the runs
whose two signs agree minus the mean over those where they differ), tested by permuting the
runs' interaction signs (sign of the first times sign of the second).  In a balanced design that
contrast is orthogonal to the main effects; the permutation treats the runs as exchangeable under
no interaction, which main effects make conservative, not liberal.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

from ..analysis.measures import LABELS
from ..analysis.stats import EXACT_LIMIT, bootstrap_difference, permutation_test
from ..method.mixing import ACTIVATIONS
from ..method.optimizers import DATA, SCHEDULES, get_optimizer
from .study import relaxation_folder, study

CORNERS = ("single", "alternating", "split_joint", "bilevel1")  # the 2x2's optimizers, one per cell
FACTORS = {"data": DATA, "schedule": SCHEDULES, "relaxation": ACTIVATIONS}
MEASURES = ("param_free_edges", "live_param_ops", "param_free_share", "share_above_uniform", "decisiveness",
            "cifar10")
DIGITS = {"param_free_edges": 2, "live_param_ops": 2, "param_free_share": 3, "share_above_uniform": 3,
          "decisiveness": 3, "cifar10": 1}  # in the tables
DERIVATION = "without_none"  # one rule for both relaxations: under the sigmoid `none` never learns


def levels(optimizer: str, relaxation: str) -> dict[str, str]:
    """The level of each factor in the cell of ``optimizer`` under ``relaxation``."""
    spec = get_optimizer(optimizer)
    return {"data": spec.data, "schedule": spec.schedule, "relaxation": relaxation}


def sign(factor: str, level: str) -> int:
    """-1 at a factor's first level, +1 at its second."""
    return 1 if FACTORS[factor].index(level) else -1


def main_effects(records: list[dict], measures=MEASURES) -> dict:
    """Per factor and measure: both levels' means, the effect (second minus first) and its p."""
    out = {}
    for factor, (first, second) in FACTORS.items():
        for m in (m for m in measures if records and m in records[0]):
            a = [r[m] for r in records if r["levels"][factor] == first]
            b = [r[m] for r in records if r["levels"][factor] == second]
            mean = lambda v: sum(v) / len(v)  # noqa: E731
            out.setdefault(factor, {})[m] = {first: mean(a), second: mean(b), "effect": mean(b) - mean(a),
                                             "p": permutation_test(a, b)}
    return out


def interactions(records: list[dict], measures=MEASURES) -> dict:
    """Per pair of factors and measure: the interaction contrast and its permutation p."""
    out = {}
    for f, g in itertools.combinations(FACTORS, 2):
        for m in (m for m in measures if records and m in records[0]):
            product = [sign(f, r["levels"][f]) * sign(g, r["levels"][g]) for r in records]
            minus = [r[m] for r, s in zip(records, product) if s < 0]
            plus = [r[m] for r, s in zip(records, product) if s > 0]
            contrast = sum(plus) / len(plus) - sum(minus) / len(minus)  # on the main effects' scale
            out.setdefault(f"{f} x {g}", {})[m] = {"interaction": contrast,
                                                   "p": permutation_test(minus, plus)}
    return out


CONTROL_MODES = ("single", "alternating")  # the same-data optimizers, run again on w's half alone


def half_data_control(seeds: int = 8, first_seed: int = 300, preset: str = "fashion",
                      out: str | os.PathLike = "runs/half-data", nb201_table: str | os.PathLike | None = None,
                      **kwargs) -> dict:
    """The data factor's control: ``CONTROL_MODES`` under the softmax, learning w and alpha from
    bi-level's training half alone (``half_data``), on fresh seeds; returns the study's summary."""
    kwargs.setdefault("derivation", DERIVATION)
    summary, _ = study(list(CONTROL_MODES), seeds, preset, out=out, nb201_table=nb201_table,
                       first_seed=first_seed,
                       budgets=["steps"], half_data=True, activation="softmax", **kwargs)
    return summary


def data_parts(result: dict, control: dict) -> dict:
    """The data factor under the softmax, split in two with the control: "w sees half the images"
    (same data on the half, minus same data on all) and "alpha learns from held-out images"
    (held-out, minus same data on the half); per measure each part's difference of means, its 95%
    bootstrap interval and permutation p, and the whole effect (held-out minus same, all images)."""
    runs = [r for r in result["runs"] if r["levels"]["relaxation"] == "softmax"]
    groups = {"all images": [r for r in runs if r["levels"]["data"] == "same"],
              "half the images": [r for group in control["runs"].values() for r in group],
              "held-out": [r for r in runs if r["levels"]["data"] == "held-out"]}
    parts = {"w sees half the images": ("all images", "half the images"),
             "alpha learns from held-out images": ("half the images", "held-out"),
             "the data effect (both)": ("all images", "held-out")}
    out = {}
    for m in (m for m in MEASURES if all(g and m in g[0] for g in groups.values())):
        values = {name: [r[m] for r in group] for name, group in groups.items()}
        out[m] = {"means": {name: sum(v) / len(v) for name, v in values.items()}}
        for part, (a, b) in parts.items():
            low, high = bootstrap_difference(values[a], values[b])
            out[m][part] = {"difference": out[m]["means"][b] - out[m]["means"][a], "low": low, "high": high,
                            "p": permutation_test(values[a], values[b])}
    return out


def data_parts_table(parts: dict) -> str:
    """``data_parts`` as Markdown: a row per measure, each part's difference [95% interval] (p)."""
    names = [k for k in next(iter(parts.values())) if k != "means"]
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (1 + len(names)) + "|"]
    for m, row in parts.items():
        d = DIGITS[m]
        cells = (f"{row[n]['difference']:+.{d}f} [{row[n]['low']:+.{d}f}, {row[n]['high']:+.{d}f}] "
                 f"(p = {row[n]['p']:.2g})" for n in names)
        lines.append(f"| {LABELS[m]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def factor_study(seeds: int = 8, first_seed: int = 200, preset: str = "fashion",
                 out: str | os.PathLike = "runs/factors", nb201_table: str | os.PathLike | None = None,
                 progress: bool = True, workers: int | None = None, device: str | None = None,
                 **overrides) -> dict:
    """Every cell of the design on seeds ``first_seed`` .. ``first_seed + seeds - 1``, as two studies
    (``out`` and ``out/sigmoid``, ``relaxation_folder``; a rerun reuses their finished runs), with
    ``overrides`` of the preset's settings; returns the factors, the runs with their levels, the main
    effects and the interactions, as ``factors.json`` keeps them."""
    started, records = time.perf_counter(), []
    overrides.setdefault("derivation", DERIVATION)
    if overrides["derivation"] == "auto":
        raise ValueError("derivation: the factor study compares relaxations under one rule; "
                         "auto gives each its own (with_none or without_none)")
    for relaxation in FACTORS["relaxation"]:
        summary, _ = study(list(CORNERS), seeds, preset, out=relaxation_folder(out, relaxation),
                           nb201_table=nb201_table,
                           first_seed=first_seed, budgets=["steps"], activation=relaxation, progress=progress,
                           workers=workers, device=device, **overrides)
        for group, runs in summary["runs"].items():
            mode = group.removesuffix("-steps")
            records += [{**r, "mode": mode, "levels": levels(mode, relaxation)} for r in runs]
    effects, pairs = main_effects(records), interactions(records)
    corners = {name: (get_optimizer(name).data, get_optimizer(name).schedule) for name in CORNERS}
    return {"preset": preset, "overrides": overrides, "seeds": seeds, "first_seed": first_seed,
            "factors": FACTORS, "optimizers": corners, "seconds": time.perf_counter() - started,
            "runs": records, "main_effects": effects, "interactions": pairs}


def cell_means(result: dict, measure: str) -> dict[tuple[str, str], float]:
    """(optimizer, relaxation) -> the mean of ``measure`` over that cell's seeds."""
    cells: dict[tuple[str, str], list[float]] = {}
    for r in result["runs"]:
        cells.setdefault((r["mode"], r["levels"]["relaxation"]), []).append(r[measure])
    return {cell: sum(v) / len(v) for cell, v in cells.items()}


def factor_table(result: dict) -> str:
    """The study as Markdown: the eight cells' means, the main effects and the interactions."""
    measures = [m for m in MEASURES if m in result["runs"][0]]
    lines = ["| optimizer | data | schedule | relaxation | " + " | ".join(LABELS[m] for m in measures) + " |",
             "|---" * (4 + len(measures)) + "|"]
    means = {m: cell_means(result, m) for m in measures}
    for relaxation in FACTORS["relaxation"]:
        for mode, (data, schedule) in result["optimizers"].items():
            cells = (f"{means[m][(mode, relaxation)]:.{DIGITS[m]}f}" for m in measures)
            lines.append(f"| {mode} | {data} | {schedule} | {relaxation} | " + " | ".join(cells) + " |")
    lines += ["", "| factor (first → second level) | " + " | ".join(LABELS[m] for m in measures) + " |",
              "|---" * (1 + len(measures)) + "|"]
    for factor, (first, second) in FACTORS.items():
        row = result["main_effects"][factor]
        cells = (f"{row[m]['effect']:+.{DIGITS[m]}f} (p = {row[m]['p']:.2g})" for m in measures)
        lines.append(f"| {factor} ({first} → {second}) | " + " | ".join(cells) + " |")
    lines += ["", "| interaction | " + " | ".join(LABELS[m] for m in measures) + " |",
              "|---" * (1 + len(measures)) + "|"]
    for pair, row in result["interactions"].items():
        cells = (f"{row[m]['interaction']:+.{DIGITS[m]}f} (p = {row[m]['p']:.2g})" for m in measures)
        lines.append(f"| {pair} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def save_factors(result: dict, path: str | os.PathLike, command: str) -> Path:
    """Write ``result`` to ``path`` (JSON, ``command`` first) and its tables beside it (``.md``,
    under the command that reproduces them)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"command": command, **result}, indent=1))
    runs, side = result["runs"], len(result["runs"]) // 2
    path.with_suffix(".md").write_text(
        f"# The factor study: {result['seeds']} seeds ({result['first_seed']}-"
        f"{result['first_seed'] + result['seeds'] - 1}) per cell, preset `{result['preset']}`\n\n"
        f"Reproduce with: `{command}`\n\n{len(runs)} searches of "
        f"{sum(r['seconds'] for r in runs) / len(runs):.0f} s each on average; the call that wrote this "
        f"took {result['seconds']:.0f} s (it reuses the finished runs it finds).\n\n"
        f"Means over the seeds of each cell; a main effect is the mean at a factor's second level minus "
        f"the mean at its first ({side} runs a side), an interaction half the difference between one "
        f"factor's effects at the other's two levels; p: two-sided permutation tests with {EXACT_LIMIT:,} "
        f"resamples, whose smallest p is {1 / (EXACT_LIMIT + 1):.2g} (`sdarts_lite/experiments/factors.py`)."
        "\n\n"
        + factor_table(result))
    return path
