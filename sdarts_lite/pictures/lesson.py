"""The lesson in a few lines, read from a study's ``summary.json``: single-level against
first-order bi-level on the same seeds, each measure with its 95% bootstrap interval and the
contrast's permutation p (``analysis.confirm``), beside what a random cell has, and how often one
seed of a learner's own would show it.  The README's result and notebook 07 print these lines;
nothing in them is typed by hand."""

from __future__ import annotations

from ..analysis.confirm import BILEVEL, SINGLE, confirm, interval
from . import palette
from .figures import excludes_none, space_references


def lesson_lines(summary: dict) -> list[str]:
    """The seeds; the parameter-free edges; the operations with parameters that reach the output
    (when recorded); the parameter-free share; the NAS-Bench-201 accuracy and its paired gap; the
    odds for one seed; the targets met and missed.  Means with [95% bootstrap interval]."""
    result, records = confirm(summary), summary["runs"][SINGLE]
    rows, seeds, edges = result["measures"], result["seeds"], records[0]["edges"]
    uniform, chance = space_references(records)
    names = palette.label(SINGLE).split(" (")[0], palette.label(BILEVEL)

    def both(m: str, digits: int, first: int = 1) -> str:  # bi-level first, as the collapse is its
        order = (BILEVEL, SINGLE) if first else (SINGLE, BILEVEL)
        return ", ".join(f"{names[k == BILEVEL]} {interval(rows[m][k], digits)}" for k in order)

    rule = "without `none`" if excludes_none(records) else "`none` allowed"
    lines = [
        f"- {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}) per optimizer, preset `{summary['preset']}`, cells "
        f"derived {rule}; means with [95% bootstrap interval] over seeds; p: two-sided permutation test "
        "of the two groups.",
        f"- Parameter-free edges of the final cell, of {edges}: {both('param_free_edges', 1)} (chance "
        f"{chance:.1f}; p = {rows['param_free_edges']['difference']['p']:.2g}).",
    ]
    if "live_param_ops" in rows:
        lines.append(f"- Operations with parameters that reach the output, of {edges}: "
                     f"{both('live_param_ops', 1, first=0)} "
                     f"(p = {rows['live_param_ops']['difference']['p']:.2g}).")
    share = rows["param_free_share"]
    lines.append(f"- Share of alpha's weight on parameter-free operations: {interval(share[BILEVEL], 2)} "
                 f"against {interval(share[SINGLE], 2)} (uniform alpha {uniform:.2f}; "
                 f"p = {share['difference']['p']:.2g}).")
    if "cifar10" in rows:
        acc, odds = rows["cifar10"], result["odds"]
        random = palette.NB201_RANDOM[excludes_none(records)]
        lines += [
            f"- NAS-Bench-201 CIFAR-10 accuracy of the cells: {names[0]} {interval(acc[SINGLE], 1)}%, "
            f"{names[1]} {interval(acc[BILEVEL], 1)}%; the gap, paired by seed, "
            f"{interval(acc['difference'], 1, '+')} points (p = {acc['difference']['p']:.2g}). For scale: "
            f"a random cell scores {random[2]:.2f}% (median; quartiles {random[1]:.2f}-{random[3]:.2f}), "
            f"the best {palette.NB201_OPTIMUM:.2f}%, the all-skip cell {palette.NB201_ALL_SKIP:.2f}%.",
            f"- One seed of your own: {names[0]}'s cell scored higher in {odds['higher']} of {odds['seeds']} "
            f"seeds; these are one set of {odds['seeds']} seeds, and another set can give a smaller gap.",
        ]
    if targets := result["targets"]:
        missed = [f"{t['target']} {interval(t, 2)}, against {t['relation']} {t['bound']:g}"
                  + (" with its interval excluding 0" if t["exclude_zero"] else "")
                  for t in targets if not t["met"]]
        lines.append(f"- The targets fixed before these seeds ran (`analysis/confirm.py`): "
                     f"{len(targets) - len(missed)} of {len(targets)} met"
                     + (f"; missed: {'; '.join(missed)}." if missed else "."))
    return lines
