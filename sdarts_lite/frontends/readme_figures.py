"""The README's figures and numbers: ``python -m sdarts_lite.frontends.readme_figures`` (``make
figures``) writes the figures to ``assets/figures/`` and the README's generated blocks (the result,
the times) from the data they describe.  Three figures come from the committed stability study
(``STUDY``), one from the committed factor study (``FACTORS``), two from a single-level and a
bi-level search of the ``fashion`` preset with the same seed (side by side). plotly's static export
(kaleido) draws them in the system's Chromium, with the plotly.js of the plotly package: nothing is
downloaded.  ``--text`` writes the README's blocks alone, in a second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import kaleido
import plotly.graph_objects as go

from ..core.config import make_config
from ..core.history import History
from ..experiments.workers import side_by_side
from ..pictures.cell_drawings import cell_graph, render
from ..pictures.figures import collapse_figure, compare_figure, factor_figure, lesson_figure, study_figure
from ..pictures.lesson import lesson_lines

STUDY = Path("assets/study-fashion/summary.json")  # the stability study the README shows
FACTORS = Path("assets/factors-fashion/factors.json")  # and the factor study
OUT = Path("assets/figures")
RUNS = Path("runs/figures")  # where the two searches keep their histories
# A fresh seed, never used for tuning: the confirmation study's first, fixed before any of its runs
# (the one the demo and the notebooks show, too).
SEED = 100
MODES = {"single-level": dict(mode="single"), "bi-level (1st order)": dict(mode="bilevel", order=1)}
README = Path("README.md")
TIMES = Path("assets/times.json")  # written by make notebooks (notebook_outputs) and benchmarks/demo_time.py
BLOCK = re.compile(r"(<!-- BEGIN generated: (\w+) -->\n).*?(<!-- END generated: \2 -->)", re.S)


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


def readme_blocks(study: Path = STUDY, times: Path = TIMES) -> dict[str, str]:
    """The README's generated blocks, by name, from the data they describe."""
    return {"result": "\n".join(lesson_lines(json.loads(study.read_text()))),
            "times": "\n".join(times_lines(json.loads(times.read_text()) if times.exists() else {}))}


def readme_text(text: str, blocks: dict[str, str]) -> str:
    """``text`` with each generated block replaced by its new content (a block it lacks is an error)."""
    missing = set(blocks) - {m.group(2) for m in BLOCK.finditer(text)}
    if missing:
        raise ValueError(f"README has no generated block {', '.join(sorted(missing))}")
    return BLOCK.sub(lambda m: m.group(1) + blocks[m.group(2)] + "\n" + m.group(3), text)


def write_readme(path: Path = README, study: Path = STUDY, times: Path = TIMES) -> Path:
    path.write_text(readme_text(path.read_text(), readme_blocks(study, times)))
    return path


def searches(preset: str = "fashion", seed: int = SEED, runs: Path = RUNS, **overrides) -> dict[str, History]:
    """Single-level and first-order bi-level searches of ``preset`` with the same seed, side by side."""
    return side_by_side({label: (make_config(preset, seed=seed, **mode, **overrides), runs / mode["mode"])
                         for label, mode in MODES.items()}, progress=False)


def png(fig: go.Figure, path: Path, width: int = 1000) -> Path:
    """``fig`` as a PNG of ``width`` pixels and the figure's own height."""
    opts = dict(format="png", width=width, height=fig.layout.height or 450, scale=1)
    path.write_bytes(kaleido.calc_fig_sync(fig, opts=opts))
    return path


def write_figures(out: Path = OUT, study: Path = STUDY, preset: str = "fashion", seed: int = SEED,
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
    parser = argparse.ArgumentParser(prog="python -m sdarts_lite.frontends.readme_figures",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--study", type=Path, default=STUDY, help="a study's summary.json")
    parser.add_argument("--factors", type=Path, default=FACTORS, help="a factor study's factors.json")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--text", action="store_true", help="write the README's generated blocks only")
    args = parser.parse_args(argv)
    if not args.text:
        for path in write_figures(args.out, args.study, seed=args.seed, factors=args.factors):
            print(f"{path}: {path.stat().st_size / 1000:.0f} KB")
    print(f"{write_readme(study=args.study)}: generated blocks written")


if __name__ == "__main__":
    main()
