"""The lesson in a few lines, read from a study's ``summary.json``: single-level against
first-order bi-level on the same seeds, each measure with its 95% bootstrap interval and the
contrast's permutation p (``analysis.confirm``), beside what a random cell has, and how often one
seed of a learner's own would show it.  The README's result and notebook 07 print these lines;
nothing in them is typed by hand."""

from __future__ import annotations

import json
from pathlib import Path

from ..analysis.confirm import BILEVEL, SINGLE, confirm, interval
from . import palette
from .figures import excludes_none, space_references

# The fashion preset's committed studies, under the repository's root
CONFIRM = Path("assets/study-fashion-confirm/summary.json")  # the lesson on 20 fresh seeds: the README's
STUDY = Path("assets/study-fashion/summary.json")  # the stability study of notebook 07
FACTORS = Path("assets/factors-fashion/factors.json")  # and the factor study


def read(path: Path) -> dict:
    """A JSON file's content; {} where there is none."""
    return json.loads(path.read_text()) if path.exists() else {}


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


def seed_set_lines(root: Path = Path(".")) -> list[str]:
    """The lesson on every set of seeds the preset's committed studies ran, one line each: the
    confirmation, notebook 07's study, and the factor study's two softmax corners."""
    factors = read(root / FACTORS)
    corners = {key: [r for r in factors.get("runs", []) if r["mode"] == mode
                     and r["levels"]["relaxation"] == "softmax"] for key, mode in ((SINGLE, "single"),
                                                                                    (BILEVEL, "bilevel1"))}
    sets = [(CONFIRM, read(root / CONFIRM)), (STUDY, read(root / STUDY)), (FACTORS, {"runs": corners})]
    lines = []
    for path, summary in sets:
        if not summary or not all(summary["runs"].get(key) for key in (SINGLE, BILEVEL)):
            continue
        result = confirm(summary)
        rows, seeds = result["measures"], result["seeds"]
        line = (f"- Seeds {seeds[0]}-{seeds[-1]} (`{path}`): parameter-free edges "
                f"{rows['param_free_edges'][SINGLE]['mean']:.1f} (single-level) against "
                f"{rows['param_free_edges'][BILEVEL]['mean']:.1f}")
        if "live_param_ops" in rows:
            live = rows["live_param_ops"]
            line += (f"; operations reaching the output {live[SINGLE]['mean']:.1f} against "
                     f"{live[BILEVEL]['mean']:.1f}")
        if "cifar10" in rows:
            gap, odds = interval(rows["cifar10"]["difference"], 1, "+"), result["odds"]
            line += (f"; CIFAR-10 gap {gap} points, single-level's cell higher in {odds['higher']} of "
                     f"{odds['seeds']}")
        lines.append(line + ".")
    return lines
