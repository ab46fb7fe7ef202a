"""The figures and numbers of the README and the course pages: ``python -m
tools.readme_figures`` (``make figures``) writes the figures to ``assets/figures/``
and the generated blocks of ``README.md``, ``docs/course.md`` and ``docs/instructor.md`` (results,
their spread over seeds, times, the syllabus) from the data they describe.  Three figures come from
the committed stability study (``STUDY``), one from the committed factor study (``FACTORS``), two
from a single-level and a bi-level search of the ``fashion`` preset with the same seed (side by
side). plotly's static export (kaleido) draws them in the system's Chromium, with the plotly.js of
the plotly package: nothing is downloaded.  ``--text`` writes the pages' blocks alone, in seconds.

A generated block sits between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME
-->``; the text around it is the page's own.  Every number the pages give for a result or a time is
in such a block; a test keeps the committed pages equal to what this module writes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
from pathlib import Path

import kaleido
import plotly.graph_objects as go

from sdarts_lite.analysis.confirm import BILEVEL, SINGLE, paired
from sdarts_lite.analysis.indicator import sharpness_indicator
from sdarts_lite.experiments.factors import cell_means
from sdarts_lite.experiments.workers import side_by_side
from sdarts_lite.method.spaces import get_space
from sdarts_lite.method.spaces.darts.genotypes import DARTS_EDGES
from sdarts_lite.pictures import palette
from sdarts_lite.pictures.cell_drawings import cell_graph, render
from sdarts_lite.pictures.figures import (
    collapse_figure,
    compare_figure,
    factor_figure,
    lesson_figure,
    study_figure,
)
from sdarts_lite.pictures.lesson import CONFIRM, FACTORS, STUDY, lesson_lines, read, seed_set_lines
from sdarts_lite.run.config import SearchConfig, make_config
from sdarts_lite.run.history import History

SHARPNESS = Path("assets/study-fashion-sharpness/summary.json")  # the lesson's seeds, lambda_max every epoch
DIGITS = Path("assets/study-laptop/summary.json")  # the same seeds on the 8x8 digits (preset laptop)
OUT = Path("assets/figures")
RUNS = Path("runs/figures")  # where the two searches keep their histories
# A fresh seed, never used for tuning: the confirmation study's first, fixed before any of its runs
# (the one the demo and the notebooks show, too).
SEED = 100
PAIR = ("single-level", "bi-level (1st order)")  # the two searches, as figures name them (palette.ALIASES)
README = Path("README.md")
COURSE = Path("docs/course.md")
INSTRUCTOR = Path("docs/instructor.md")
NOTEBOOKS = Path("notebooks")  # the numbered notebooks, and their exercises' worked solutions/
TIMES = Path("assets/times.json")  # written by make notebooks (notebook_outputs) and benchmarks/demo_time.py
BLOCK = re.compile(r"(<!-- BEGIN generated: (\w+) -->\n).*?(<!-- END generated: \2 -->)", re.S)

# The course's plan (docs/course.md), a plan and not a measurement: its sessions, the minutes a
# notebook is given for reading and running it, and for each of its exercises by kind; each lab ends
# with WRAP_UP minutes on the worked solutions.  A test keeps every lab within 10 minutes of LAB.
SESSIONS = {"Lab 1": ("01", "02"), "Lab 2": ("03", "04", "05"), "At home, before Lab 3": ("06",),
            "Lab 3": ("07", "08", "09")}
READING_MINUTES = {"01": 15, "02": 20, "03": 10, "04": 12, "05": 15, "06": 10, "07": 16, "08": 15,
                   "09": 14}
EXERCISE_MINUTES = {"implement": 8, "predict": 3, "interpret": 5}
WRAP_UP = 5
LAB = 90
EXERCISE = re.compile(r"^### Exercise (\d\d\.\d+) · (\w+): (.+)$", re.M)


# ---------------------------------------------------------------- the pages' generated blocks
def page_text(text: str, blocks: dict[str, str], page: str = "README") -> str:
    """``text`` with each generated block replaced by its new content; a block it lacks, or one
    that nothing writes, is an error."""
    found = {m.group(2) for m in BLOCK.finditer(text)}
    if missing := sorted(set(blocks) - found):
        raise ValueError(f"{page} has no generated block {', '.join(missing)}")
    if unknown := sorted(found - set(blocks)):
        raise ValueError(f"{page} has a generated block that nothing writes: {', '.join(unknown)}")
    return BLOCK.sub(lambda m: m.group(1) + blocks[m.group(2)] + "\n" + m.group(3), text)


def readme_text(text: str, blocks: dict[str, str]) -> str:
    """The README's text with its generated blocks rewritten (``page_text``)."""
    return page_text(text, blocks, "README")


def readme_blocks(root: Path = Path(".")) -> dict[str, str]:
    """The README's generated blocks, by name, from the data they describe."""
    return {"result": "\n".join(lesson_lines(json.loads((root / CONFIRM).read_text()))),
            "seedsets": "\n".join(seed_set_lines(root)),
            "times": "\n".join(times_lines(read(root / TIMES)))}


def page_blocks(root: Path = Path(".")) -> dict[Path, dict[str, str]]:
    """Every page's generated blocks, by page and name, from the data under ``root``."""
    data = Data(root)
    return {README: readme_blocks(root),
            COURSE: course_blocks(data), INSTRUCTOR: instructor_blocks(data)}


def write_pages(root: Path = Path(".")) -> list[Path]:
    """Rewrite the generated blocks of every page under ``root``."""
    written = []
    for page, blocks in page_blocks(root).items():
        path = root / page
        path.write_text(page_text(path.read_text(), blocks, str(page)))
        written.append(path)
    return written


# ---------------------------------------------------------------- what the blocks are made of
class Data:
    """The committed data the pages describe, read once: the studies, the times, the notebooks'
    titles and their exercises."""

    def __init__(self, root: Path = Path(".")):
        self.study = json.loads((root / STUDY).read_text())
        self.digits = read(root / DIGITS)
        self.sharpness = read(root / SHARPNESS)
        self.factors = read(root / FACTORS)
        self.times = read(root / TIMES)
        self.titles = notebook_titles(root / NOTEBOOKS)
        self.exercises = exercises(root / NOTEBOOKS / "solutions")

    def seconds(self, number: str) -> float | None:
        """How long notebook ``number``'s cells ran in ``make notebooks``, if measured."""
        return next((s for name, s in self.times.get("notebooks", {}).items() if name[:2] == number), None)


def notebook_titles(notebooks: Path = NOTEBOOKS) -> dict[str, tuple[str, str]]:
    """Number -> (file name, title) of each numbered notebook, its title read from its first heading."""
    titles = {}
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        heading = next("".join(c["source"]).splitlines()[0] for c in cells if c["cell_type"] == "markdown")
        titles[path.name[:2]] = (path.name, heading.lstrip("# ").split("· ", 1)[-1].strip())
    return titles


def exercises(solutions: Path = NOTEBOOKS / "solutions") -> dict[str, list[tuple[str, str, str]]]:
    """Number -> [(exercise id, kind, title)] of each notebook, read from the headings of its worked
    solutions (``### Exercise 01.1 · Implement: the mixed operation``), the source of every
    notebook's exercise section."""
    found = {}
    for path in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "markdown")
        found[path.name[:2]] = [(i, kind.lower(), title) for i, kind, title in EXERCISE.findall(text)]
    return found


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def spread(stats: dict, digits: int = 1, ends: int | None = None, unit: str = "") -> str:
    """A measure over seeds from a study summary: mean ± standard deviation (lowest to highest)."""
    ends = digits if ends is None else ends
    return (f"{stats['mean']:.{digits}f}{unit} ± {stats['std']:.{digits}f} "
            f"({stats['min']:.{ends}f} to {stats['max']:.{ends}f})")


def times_lines(times: dict) -> list[str]:
    """The measured times: each notebook run in order, and ``make demo`` from a fresh clone."""
    nb = times.get("notebooks", {})
    lines = []
    if nb:
        worst = max(nb, key=nb.get)
        lines.append(f"- Notebooks, run in order on {times['machine']}: " + ", ".join(
            f"{name[:2]} {seconds:.0f} s" for name, seconds in sorted(nb.items()))
            + f" (the longest, {worst[:2]}, {nb[worst] / 60:.1f} min).")
    if "demo" in times:
        demo = times["demo"]
        lines.append(f"- `make demo` from a fresh clone, install included (pip's cache warm): "
                     f"{demo['seconds'] / 60:.1f} min on {demo['machine']}.")
    return lines or ["- (not measured yet: `make notebooks`)"]


# ---------------------------------------------------------------- docs/course.md
def notebook_link(data: Data, number: str) -> str:
    name, heading = data.titles[number]
    return f"[{number} {heading}](../notebooks/{name})"


def planned_minutes(data: Data, number: str) -> tuple[int, int]:
    """The class time planned for a notebook: reading and running it, and its exercises."""
    practice = sum(EXERCISE_MINUTES[kind] for _, kind, _ in data.exercises.get(number, []))
    return READING_MINUTES[number], practice


def session_of(number: str) -> str:
    return next(session for session, numbers in SESSIONS.items() if number in numbers)


def session_minutes(data: Data, session: str) -> int:
    """The class time planned for a session: its notebooks, and the wrap-up when it is a lab."""
    notebooks = sum(sum(planned_minutes(data, n)) for n in SESSIONS[session])
    return notebooks + (WRAP_UP if session.startswith("Lab") else 0)


def kinds(items: list[tuple[str, str, str]]) -> str:
    """How many exercises, and of which kinds."""
    counts = {kind: sum(k == kind for _, k, _ in items) for kind in EXERCISE_MINUTES}
    return f"{len(items)}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)


def syllabus_lines(data: Data) -> list[str]:
    """The sessions as a table: notebooks, exercises, planned class time, measured run time."""
    lines = ["| session | notebooks | exercises | class time planned | the notebooks' cells run in |",
             "| --- | --- | --- | --- | --- |"]
    for session, numbers in SESSIONS.items():
        items = [e for n in numbers for e in data.exercises.get(n, [])]
        seconds = [data.seconds(n) for n in numbers]
        run = duration(sum(seconds)) if None not in seconds else "not measured yet"
        links = ", ".join(notebook_link(data, n) for n in numbers)
        minutes = session_minutes(data, session)
        lines.append(f"| {session} | {links} | {kinds(items)} | {minutes} min | {run} |")
    per_kind = ", ".join(f"{m} min {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
                         for kind, m in EXERCISE_MINUTES.items())
    machine = data.times.get("machine", "(not measured yet: `make notebooks`)")
    lines += ["", "Class time is a plan, not a measurement: each notebook's minutes for reading and running "
              f"it (below), {per_kind} exercise, and {WRAP_UP} min at the end of each lab on the worked "
              f"solutions. Run times were measured by `make notebooks` on {machine}, each notebook run in "
              "order after the ones before it, from no kept runs."]
    return lines


def notebook_lines(data: Data, number: str) -> list[str]:
    """One notebook's time and exercises."""
    reading, practice = planned_minutes(data, number)
    seconds = data.seconds(number)
    if seconds is None:
        run = "its run time is not measured yet (`make notebooks`)"
    else:
        run = f"its cells run in {duration(seconds)} on {data.times['machine']} (`make notebooks`)"
    items = data.exercises.get(number, [])
    where = "in class" if session_of(number).startswith("Lab") else "at home"
    lines = [f"- **Time:** about {reading + practice} min {where} ({reading} for reading and running it, "
             f"{practice} for its {len(items)} exercises); {run}.",
             f"- **Exercises** (worked solutions: `notebooks/solutions/{data.titles[number][0]}`):"]
    return lines + [f"  - {i} {kind}: {title}" for i, kind, title in items]


def search_seconds(records: list[dict]) -> str:
    seconds = [r["seconds"] for r in records]
    return f"{min(seconds):.0f} to {max(seconds):.0f} s (mean {statistics.fmean(seconds):.0f} s)"


def lesson_runs(summary: dict) -> list[dict]:
    """The runs of a study's two lesson groups (single-level with bi-level's steps, bi-level)."""
    return [r for g in (SINGLE, BILEVEL) for r in summary.get("runs", {}).get(g, [])]


def together(runs: list[dict]) -> str:
    """The wall time of ``runs`` two at a time, as a study runs them on two cores."""
    return f"about {sum(r['seconds'] for r in runs) / 2 / 60:.0f} min with two searches at a time"


def project_lines(data: Data) -> list[str]:
    """What each project's searches cost, read from the committed studies they repeat."""
    runs = lesson_runs(data.study)
    lines = [f"- The lesson on {data.study['seeds']} fresh seeds, single-level (budget `steps`) and "
             f"first-order bi-level: {len(runs)} searches of {search_seconds(runs)} each in the committed "
             f"study (`{STUDY}`, with {protocol(data.study)}), {together(runs)}."]
    if data.factors:
        runs, seeds = data.factors["runs"], data.factors["seeds"]
        lines.append(f"- The factor study, {seeds} seeds in each of its {len(runs) // seeds} cells: "
                     f"{len(runs)} searches of {search_seconds(runs)} each (`{FACTORS}`), {together(runs)}.")
    if data.digits:
        runs = lesson_runs(data.digits)
        lines.append(f"- The lesson on the 8x8 digits (preset `{data.digits['preset']}`), the same two "
                     f"optimizers: {len(runs)} searches of {search_seconds(runs)} each (`{DIGITS}`), "
                     f"{together(runs)}.")
    return lines


def course_blocks(data: Data) -> dict[str, str]:
    """docs/course.md's generated blocks: the syllabus, each notebook's time and exercises, and what
    the projects' searches cost."""
    blocks = {"syllabus": "\n".join(syllabus_lines(data)), "project": "\n".join(project_lines(data))}
    blocks.update({f"notebook_{n}": "\n".join(notebook_lines(data, n)) for n in data.titles})
    return blocks


# ---------------------------------------------------------------- docs/instructor.md
def times_table(data: Data) -> list[str]:
    """Each notebook's measured run time, and the demo's."""
    if not data.times.get("notebooks"):
        return ["(not measured yet: `make notebooks`)"]
    lines = ["| notebook | its cells run in |", "| --- | --- |"]
    lines += [f"| {notebook_link(data, n)} | {duration(data.seconds(n))} |" for n in data.titles
              if data.seconds(n) is not None]
    lines += ["", f"Measured by `make notebooks` on {data.times['machine']}, each notebook run in order "
              "after the ones before it, from no kept runs: notebooks 03, 04, 05, 07 and 08 read notebook "
              "02's two searches back from `runs/fashion` instead of searching again. Run alone, each of "
              "them first searches those two (one search's time is in the next table)."]
    if "demo" in data.times:
        demo = data.times["demo"]
        lines += ["", f"`make demo` from a fresh clone, install included (pip's cache warm): "
                  f"{duration(demo['seconds'])} on {demo['machine']}."]
    return lines


def protocol(summary: dict) -> str:
    """How a study measured lambda_max, read from its recorded settings."""
    config = SearchConfig.from_dict(summary["config"][BILEVEL])
    if not config.sharpness_every:
        return "no lambda_max"
    every = "every epoch" if config.sharpness_every == 1 else f"every {config.sharpness_every}th epoch"
    return f"lambda_max {every} on {config.sharpness_size} held-out images"


def search_table(data: Data) -> list[str]:
    """How long one search took in each committed study, two searches at a time on two cores."""
    lines = ["| search | what else it measured | one search took | data |", "| --- | --- | --- | --- |"]
    for summary, path, images in ((data.study, STUDY, "Fashion-MNIST"),
                                  (data.sharpness, SHARPNESS, "Fashion-MNIST"),
                                  (data.digits, DIGITS, "8x8 digits")):
        for group in ordered(summary):
            records = summary["runs"][group]
            lines.append(f"| {palette.label(group)}, {images}, preset `{summary['preset']}` | "
                         f"{protocol(summary)} | {search_seconds(records)} | `{path}` |")
    for mode in data.factors.get("optimizers", {}):
        records = [r for r in data.factors["runs"] if r["mode"] == mode]
        if "lambda_max_per_epoch" in records[0]:
            measured = {sum(v is not None for v in r["lambda_max_per_epoch"]) for r in records}
            what = f"lambda_max at {max(measured)} of its {len(records[0]['lambda_max_per_epoch'])} epochs"
        else:
            what = "no lambda_max"
        lines.append(f"| {palette.label(mode)}, Fashion-MNIST, both relaxations, preset "
                     f"`{data.factors['preset']}` | {what} | "
                     f"{search_seconds(records)} | `{FACTORS}` |")
    return lines


MEASURES = (("param_free_edges", "parameter-free edges of the final cell, of {edges}", 1, 0),
            ("param_free_share", "parameter-free share of the mixing weights", 2, 2),
            ("decisiveness", "decisiveness", 2, 2),
            ("valid_acc", "the supernet's accuracy on the held-out test images (%)", 1, 1),
            ("cifar10", "NAS-Bench-201 CIFAR-10 accuracy of the cell (%)", 1, 1),
            ("seconds", "seconds per search, two at a time on 2 cores", 0, 0))


def ordered(summary: dict) -> list[str]:
    """A study's groups, single-level's first."""
    first = [g for g in (SINGLE, "single-epochs", BILEVEL) if g in summary.get("runs", {})]
    return first + [g for g in summary.get("runs", {}) if g not in first]


def study_table(summary: dict) -> list[str]:
    """A study's measures over seeds, one column per group: mean ± standard deviation (range)."""
    groups = ordered(summary)
    stats = summary["summary"]
    edges = summary["runs"][groups[0]][0]["edges"]
    lines = ["| measure | " + " | ".join(palette.label(g) for g in groups) + " |",
             "| --- |" + " --- |" * len(groups)]
    for key, name, digits, ends in MEASURES:
        if all(key in stats[g] for g in groups):
            cells = " | ".join(spread(stats[g][key], digits, ends) for g in groups)
            lines.append(f"| {name.format(edges=edges)} | {cells} |")
    seeds = sorted(r["seed"] for r in summary["runs"][groups[0]])
    lines += ["", f"Mean ± standard deviation over the {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}), lowest "
              f"to highest in brackets; preset `{summary['preset']}`, each supernet measured at the end of "
              f"its search. From `{STUDY}`."]
    return lines


def one_ahead() -> tuple[float, float, float]:
    """Exercise 01.4: an edge whose fifth alpha is 1 and the other four 0; under the softmax the
    fifth's weight and each other's, under the sigmoid the fifth's."""
    return math.e / (math.e + 4), 1 / (math.e + 4), 1 / (1 + math.exp(-1))


def lab1_lines(data: Data) -> list[str]:
    stats, runs = data.study["summary"], data.study["runs"]
    first = {g: min(runs[g], key=lambda r: r["seed"]) for g in (SINGLE, BILEVEL)}
    fewer = sum(r["param_free_edges"] < first[BILEVEL]["param_free_edges"] for r in runs[BILEVEL]) or "none"
    fifth, other, sigmoid = one_ahead()
    held = {"single-level": stats[SINGLE]["valid_acc"], "bi-level": stats[BILEVEL]["valid_acc"]}
    better = max(held, key=lambda name: held[name]["mean"])

    def cell(g: str) -> str:
        return f"{first[g]['param_free_edges']} (share {first[g]['param_free_share']:.2f})"

    return [
        f"- 01.4 (predict): under the softmax the fifth operation weighs e / (e + 4) = {fifth:.3f} and "
        f"each other {other:.3f}; under the sigmoid {sigmoid:.3f}, the others staying at 0.500.",
        f"- Notebook 02 searches seed {first[SINGLE]['seed']}. Its cells can differ from machine to machine "
        f"(near-tied edges); in the committed study that seed's parameter-free edges were single-level "
        f"{cell(SINGLE)}, bi-level {cell(BILEVEL)}; of bi-level's {len(runs[BILEVEL])} seeds, {fewer} "
        f"ended with fewer.",
        f"- Over the study's {len(runs[SINGLE])} seeds, parameter-free edges: single-level "
        f"{spread(stats[SINGLE]['param_free_edges'], 1, 0)}, bi-level "
        f"{spread(stats[BILEVEL]['param_free_edges'], 1, 0)}; share: "
        f"{spread(stats[SINGLE]['param_free_share'], 2)} against "
        f"{spread(stats[BILEVEL]['param_free_share'], 2)}.",
        f"- 02.3 (predict): the supernet's accuracy on the held-out test images at the end, single-level "
        f"{spread(held['single-level'], unit='%')}, bi-level {spread(held['bi-level'], unit='%')}: the "
        f"answer is \"{better}\".",
    ]


def lab2_lines(data: Data) -> list[str]:
    stats, runs = data.study["summary"], data.study["runs"]
    edges = runs[SINGLE][0]["edges"]
    single, bilevel = paired(data.study, "param_free_edges", SINGLE, BILEVEL)
    fewer = sum(s < b for s, b in zip(single, bilevel))
    ties = sum(s == b for s, b in zip(single, bilevel))
    lines = [
        f"- 03: single-level's cell has fewer parameter-free edges than bi-level's in {fewer} of "
        f"{len(single)} seeds (as many in {ties}).",
        f"- 03.3 (interpret): bi-level's cell is all parameter-free in {sum(b == edges for b in bilevel)} of "
        f"{len(bilevel)} seeds; single-level's most parameter-free cell has {max(single)} of {edges}.",
    ]
    if "cifar10" in stats[SINGLE]:
        s_acc, b_acc = paired(data.study, "cifar10", SINGLE, BILEVEL)
        gaps = [s - b for s, b in zip(s_acc, b_acc)]
        lines += [
            f"- 05: NAS-Bench-201 CIFAR-10 accuracy of the cells, median (lowest to highest): single-level "
            f"{stats[SINGLE]['cifar10']['median']:.2f}% ({min(s_acc):.2f} to {max(s_acc):.2f}), bi-level "
            f"{stats[BILEVEL]['cifar10']['median']:.2f}% ({min(b_acc):.2f} to {max(b_acc):.2f}); "
            f"single-level's cell scores higher in {sum(g > 0 for g in gaps)} of {len(gaps)} seeds (gaps "
            f"from {min(gaps):+.1f} to {max(gaps):+.1f} points).",
            f"- 05.2 (interpret): cells below 80%: single-level {sum(a < 80 for a in s_acc)}, bi-level "
            f"{sum(a < 80 for a in b_acc)}.",
        ]
    return lines


CONTRASTED = {"param_free_edges": ("parameter-free edges", ""),
              "cifar10": ("NAS-Bench-201 CIFAR-10 accuracy", " points")}


def contrast_line(name: str, tests: dict) -> str:
    """A study's contrast of a group with bi-level: each measure's difference and its p-value."""
    parts = []
    for measure, t in tests.items():
        what, unit = CONTRASTED.get(measure, (measure, ""))
        parts.append(f"{what}, difference of {t['statistic']}s {t['difference']:+.1f}{unit} "
                     f"(p = {t['p']:.2g})")
    return f"`{name}`: " + "; ".join(parts)


def answer(yes: bool) -> str:
    return '"yes"' if yes else '"no"'


def sharpness_lines(summary: dict) -> list[str]:
    """Notebook 08's four questions, answered from the sharpness study."""
    found = sharpness_indicator(summary)
    apart = "; ".join(f"`{pair}` {a['mean']:.3f} against {a['reference_mean']:.3f} (p = {a['p']:.2g})"
                      for pair, a in found["separation"].items())
    lines = [f"- 08 (`{SHARPNESS}`, {protocol(summary)}), the mean lambda_max at the last epoch: {apart}."]
    if "correlation" in found:
        rho = "; ".join(f"{palette.label(group)} {a['rho']:+.2f} (p = {a['p']:.2g})"
                        for group, a in found["correlation"].items())
        fired = "; ".join(f"{case} {n}" for case, n in found["early_stop"].items())
        kept = "; ".join(f"{palette.label(g)}, fired in {a['fired']} of {a['runs']}: median "
                         f"{a['final_median']:.2f}% to {a['kept_median']:.2f}%, mean gain "
                         f"{a['mean_gain']:+.1f} points (p = {a['p']:.2g})"
                         for g, a in found["kept_cells"].items() if a["fired"])
        lines += [f"- 08, Spearman's rho of lambda_max and the cells' NAS-Bench-201 accuracy: {rho}.",
                  f"- 08, DARTS-ES, runs by their final cell (collapsed: a majority of parameter-free "
                  f"edges): {fired}.",
                  f"- 08, the cells DARTS-ES keeps against the final ones: {kept}."]
    return lines


def factor_lines(result: dict) -> list[str]:
    """Notebook 09's main effects, and the answers to its two exercises."""
    effects = result["main_effects"]
    on_edges = "; ".join(f"{f} {e['param_free_edges']['effect']:+.2f} (p = {e['param_free_edges']['p']:.2g})"
                         for f, e in effects.items())
    on_accuracy = "; ".join(f"{f} {e['cifar10']['effect']:+.1f} points (p = {e['cifar10']['p']:.2g})"
                            for f, e in effects.items() if "cifar10" in e)
    means = cell_means(result, "param_free_edges")
    cells = {mode: means[(mode, "softmax")] for mode in ("single", "split_joint", BILEVEL)}
    nearer = min(("single", BILEVEL), key=lambda m: abs(cells[m] - cells["split_joint"]))
    largest = max(effects, key=lambda f: abs(effects[f]["param_free_edges"]["effect"]))
    return [f"- 09 (`{FACTORS}`), main effects on the parameter-free edges: {on_edges}; on the "
            f"NAS-Bench-201 accuracy: {on_accuracy}.",
            "- 09.1 (interpret): mean parameter-free edges under the softmax, "
            + ", ".join(f"`{m}` {v:.2f}" for m, v in cells.items())
            + f": the answer is \"{'single-level' if nearer == 'single' else 'bi-level'}\".",
            f"- 09.2 (interpret): the answer is \"{largest}\"."]


def lab3_lines(data: Data) -> list[str]:
    lines = [f"- 07, Fashion-MNIST (`{STUDY}`), {contrast_line(name, tests)}."
             for name, tests in data.study["contrasts"].items()]
    lines += [f"- 07, the 8x8 digits (`{DIGITS}`), {contrast_line(name, tests)}."
              for name, tests in data.digits.get("contrasts", {}).items()]
    p = {name: s["contrasts"][f"{SINGLE} vs {BILEVEL}"]["param_free_edges"]["p"]
         for name, s in (("Fashion-MNIST", data.study), ("the digits", data.digits)) if s}
    lines.append(f"- 07.2 (interpret), parameter-free edges of `{SINGLE} vs {BILEVEL}` at the 5% level: "
                 + "; ".join(f"{name} {answer(v < 0.05)} (p = {v:.2g})" for name, v in p.items()) + ".")
    if data.sharpness:
        lines += sharpness_lines(data.sharpness)
    if data.factors:
        lines += factor_lines(data.factors)
    return lines


def darts_cells() -> tuple[int, int]:
    """How many distinct cells of one type a DARTS search can derive (each intermediate node keeps two
    of its inputs, each with an operation that may win an edge), and how many operations may."""
    ops = len(get_space("darts").derivable_ops)
    inputs = [sum(j == node for _, j in DARTS_EDGES) for node in sorted({j for _, j in DARTS_EDGES})]
    return math.prod(math.comb(n, 2) * ops ** 2 for n in inputs), ops


def homework_lines(data: Data) -> list[str]:
    count, ops = darts_cells()
    seconds = data.seconds("06")
    run = duration(seconds) if seconds is not None else "a time not measured yet"
    return [f"- 06.2 (predict): {count:,} normal cells (per intermediate node, two of its inputs, each "
            f"with one of the {ops} operations other than `none`); within a factor of 10 passes.",
            f"- Notebook 06's cells, its small search included, run in {run}."]


def instructor_blocks(data: Data) -> dict[str, str]:
    """docs/instructor.md's generated blocks: times, the study's spread, each lab's expected results."""
    parts = {"times": times_table(data), "searches": search_table(data), "study": study_table(data.study),
             "lab1": lab1_lines(data), "lab2": lab2_lines(data), "lab3": lab3_lines(data),
             "homework": homework_lines(data), "project": project_lines(data)}
    return {name: "\n".join(lines) for name, lines in parts.items()}


def searches(preset: str = "fashion", seed: int = SEED, runs: Path = RUNS, **overrides) -> dict[str, History]:
    """Single-level and first-order bi-level searches of ``preset`` with the same seed, side by side."""
    named = {label: palette.ALIASES[label] for label in PAIR}
    return side_by_side({label: (make_config(preset, seed=seed, optimizer=name, **overrides), runs / name)
                         for label, name in named.items()}, progress=False)


def png(fig: go.Figure, path: Path, width: int = 1000) -> Path:
    """``fig`` as a PNG of ``width`` pixels and the figure's own height."""
    opts = dict(format="png", width=width, height=fig.layout.height or 450, scale=1)
    path.write_bytes(kaleido.calc_fig_sync(fig, opts=opts))
    return path


def write_figures(out: Path = OUT, study: Path = CONFIRM, preset: str = "fashion", seed: int = SEED,
                  runs: Path = RUNS, factors: Path = FACTORS, **overrides) -> list[Path]:
    """Every figure of the README into ``out``; ``overrides`` go on top of ``preset``."""
    out.mkdir(parents=True, exist_ok=True)
    summary = json.loads(study.read_text())
    factor_fig = factor_figure(json.loads(factors.read_text()))
    factor_fig.update_layout(title=f"{factor_fig.layout.title.text} ({factors})", margin=dict(t=90))
    histories = searches(preset, seed, runs, **overrides)
    source = f"preset {preset}, seed {seed}"
    trajectories = compare_figure(histories)
    trajectories.update_layout(title=f"Mixing weights, mean over edges ({source})", margin=dict(t=90),
                               height=520)
    lesson = lesson_figure(summary)
    collapse = collapse_figure(summary["runs"], seeds=False)  # mean and band: a small PNG
    collapse.update_layout(title=f"{summary['seeds']} seeds per optimizer ({study})", margin=dict(t=100))
    study_fig = study_figure(summary)
    study_fig.update_layout(title=f"Derived cells, {summary['seeds']} seeds per mode ({study})")
    cells = out / "cells.png"
    graph = cell_graph({f"{label} ({source})": h.genotype for label, h in histories.items()})
    cells.write_bytes(render(graph, "png", dpi=80))
    kaleido.start_sync_server(path=os.environ.get("SDARTS_CHROMIUM"), mathjax=False, silence_warnings=True)
    try:
        return [png(lesson, out / "lesson.png", width=1150), png(trajectories, out / "trajectories.png"),
                png(collapse, out / "collapse.png"),
                cells, png(study_fig, out / "study.png"), png(factor_fig, out / "factors.png")]
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.readme_figures",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--study", type=Path, default=CONFIRM, help="a study's summary.json")
    parser.add_argument("--factors", type=Path, default=FACTORS, help="a factor study's factors.json")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--text", action="store_true", help="write the pages' generated blocks only")
    args = parser.parse_args(argv)
    if not args.text:
        for path in write_figures(args.out, args.study, seed=args.seed, factors=args.factors):
            print(f"{path}: {path.stat().st_size / 1000:.0f} KB")
    for path in write_pages():
        print(f"{path}: generated blocks written")


if __name__ == "__main__":
    main()
