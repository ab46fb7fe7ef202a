"""Is lambda_max an indicator of collapse?  Four questions asked of a study's runs (its
``summary.json``), each answered with a number and, where it is a comparison, a permutation p-value:

1. separation: does the last epoch's lambda_max differ between bi-level and each other group?
2. correlation: does it rank the runs as the NAS-Bench-201 accuracy of their cells does (Zela et
   al.: the sharper, the worse)?  Spearman's rho over all runs, and within each group;
3. early stopping: does DARTS-ES fire in the runs that collapse (a final cell with a majority of
   parameter-free edges) and spare the others?  A 2x2 count;
4. kept cells: where it fired, is the cell it keeps better than the final one?  The mean of the
   paired differences, tested by flipping their signs (a median would not move under flips of
   equal differences).

The definitions are fixed here, before the runs they judge were made (issue 25).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .stats import EXACT_LIMIT, STATISTICS, TIES, permutation_test


def collapsed(record: dict) -> bool:
    """A run collapsed when more than half the edges of its final cell are parameter-free."""
    return record["param_free_edges"] > record["edges"] / 2


def rank_correlation(x: list[float], y: list[float]) -> tuple[float, float]:
    """Spearman's rho and its two-sided permutation p-value (every pairing of the ranks is as
    likely when the two are unrelated; ``EXACT_LIMIT`` random pairings, seed 0)."""
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    rx, ry = ((r - r.mean()) / np.linalg.norm(r - r.mean()) for r in (rx, ry))  # unit length: r = dot

    def rho(a, axis=-1):  # Pearson's r of the ranks = Spearman's rho
        return np.round(np.abs((a * ry).sum(axis=axis)), TIES)

    result = stats.permutation_test((rx,), rho, permutation_type="pairings", vectorized=True,
                                    n_resamples=EXACT_LIMIT, alternative="greater", random_state=0)
    return float((rx * ry).sum()), float(result.pvalue)


def paired_test(before: list[float], after: list[float], statistic: str = "mean") -> float:
    """Two-sided p-value of ``statistic(after - before)`` when each difference's sign is a coin
    flip (no effect); 1 with fewer than two pairs."""
    d = np.asarray(after, float) - np.asarray(before, float)
    if len(d) < 2:
        return 1.0
    f = STATISTICS[statistic]
    result = stats.permutation_test((d,), lambda a, axis=-1: np.round(np.abs(f(a, axis=axis)), TIES),
                                    permutation_type="samples", vectorized=True, n_resamples=EXACT_LIMIT,
                                    alternative="greater", random_state=0)
    return float(result.pvalue)


def sharpness_indicator(summary: dict, reference: str = "bilevel1") -> dict:
    """The four answers for a study summary whose runs measured lambda_max (and, for 2-4, were
    looked up in NAS-Bench-201)."""
    runs = summary["runs"]
    if not all("lambda_max" in r for records in runs.values() for r in records):
        raise ValueError("sharpness_indicator: the study did not measure lambda_max (sharpness_every=0)")
    last = {g: [r["lambda_max"] for r in records] for g, records in runs.items()}
    out = {"separation": {
        f"{g} vs {reference}": {"mean": float(np.mean(last[g])),
                                "reference_mean": float(np.mean(last[reference])),
                                "p": permutation_test(last[reference], last[g])}
        for g in runs if g != reference}}
    if not all("cifar10" in r for records in runs.values() for r in records):
        return out
    everything = [r for records in runs.values() for r in records]
    out["correlation"] = {g: dict(zip(("rho", "p"), rank_correlation(
        [r["lambda_max"] for r in records], [r["cifar10"] for r in records])))
        for g, records in {"all runs": everything, **runs}.items()}
    out["early_stop"] = {
        f"{'collapsed' if c else 'kept convolutions'}, {'fired' if f else 'not fired'}":
            sum(collapsed(r) == c and (r["es_epoch"] is not None) == f for r in everything)
        for c in (True, False) for f in (True, False)}
    out["kept_cells"] = {}
    for g, records in runs.items():
        fired = [r for r in records if r["es_epoch"] is not None]
        final, kept = [r["cifar10"] for r in fired], [r["cifar10_es"] for r in fired]
        out["kept_cells"][g] = {"fired": len(fired), "runs": len(records),
                                "final_median": float(np.median(final)) if fired else None,
                                "kept_median": float(np.median(kept)) if fired else None,
                                "mean_gain": float(np.mean(np.subtract(kept, final))) if fired else None,
                                "p": paired_test(final, kept)}
    return out
