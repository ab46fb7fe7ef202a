"""Self-contained HTML pages: a comparison of searches, and a study.  They read histories and
summaries only, and embed the figures of ``figures.py``.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from ..analysis.measures import LABELS, param_free_edges
from ..run.history import History
from .cell_drawings import show_cell
from .figures import collapse_figure, compare_figure, diagnostics_figure


def write_report(histories: dict[str, History], path: str | os.PathLike, title: str) -> Path:
    """A self-contained HTML page: the derived cells (genotypes, and drawn as SVG), trajectories
    side by side, and the diagnostics of alpha's signal."""
    path = Path(path)
    rows = ""
    for label, h in histories.items():
        last = h.epochs[-1] if h.epochs else None
        rows += (f"<tr><td>{html.escape(label)}</td><td><code>{html.escape(h.genotype)}</code></td>"
                 f"<td>{param_free_edges(h)[-1] if last else '-'}</td>"
                 f"<td>{f'{last.valid_acc:.1f}%' if last else '-'}</td></tr>")
    rows_of_alpha = len(next(iter(histories.values())).edges)
    figures = ([compare_figure(histories), diagnostics_figure({k: [h] for k, h in histories.items()})]
               + [compare_figure(histories, e) for e in range(rows_of_alpha)])
    body = "".join(f.to_html(full_html=False, include_plotlyjs=not i)
                   for i, f in enumerate(figures))
    drawings = {label: show_cell(h.genotype) for label, h in histories.items() if h.epochs}
    cells = "".join(f"<h3>{html.escape(label)}</h3>{d.svg_element()}" for label, d in drawings.items() if d)
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body style='font-family:sans-serif'><h1>{html.escape(title)}</h1>"
        "<table border='1' cellpadding='4'><tr><th>run</th><th>derived genotype</th>"
        "<th>parameter-free edges</th><th>held-out accuracy (supernet)</th></tr>"
        f"{rows}</table><h2>Derived cells</h2>{cells}{body}</body></html>")
    return path


def write_study_report(summary: dict, histories: dict[str, list[History]], path: str | os.PathLike) -> Path:
    """The study's page: per group of runs, each measure's mean, spread and median over seeds;
    the contrasts with bi-level and their p-values; the trajectories and diagnostics of every
    seed; every derived genotype."""
    path = Path(path)
    rows = ""
    for group, stats in summary["summary"].items():
        for key, label in LABELS.items():
            if key in stats:
                s = stats[key]
                rows += (f"<tr><td>{html.escape(group)}</td><td>{label}</td>"
                         f"<td>{s['mean']:.3f} ± {s['std']:.3f}</td><td>{s['median']:.3f}</td>"
                         f"<td>{s['min']:.3f} – {s['max']:.3f}</td></tr>")
    tests = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(measure)}</td><td>{t['statistic']}</td>"
        f"<td>{t['difference']:+.3f}</td><td>{t['p']:.3g}</td></tr>"
        for name, measures in summary.get("contrasts", {}).items() for measure, t in measures.items())
    cells = "".join(
        f"<h3>{html.escape(group)}</h3><ol>"
        + "".join(f"<li value='{r['seed']}'><code>{html.escape(r['genotype'])}</code> "
                  f"({r['param_free_edges']}/{r['edges']}"
                  + (f", CIFAR-10 {r['cifar10']:.2f}%" if "cifar10" in r else "") + ")</li>" for r in runs)
        + "</ol>" for group, runs in summary["runs"].items())
    figures = (collapse_figure(histories).to_html(full_html=False, include_plotlyjs=True)
               + diagnostics_figure(histories).to_html(full_html=False, include_plotlyjs=False))
    seeds = f"seeds {summary.get('first_seed', 0)}-{summary.get('first_seed', 0) + summary['seeds'] - 1}"
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>sdarts-lite study</title></head>"
        "<body style='font-family:sans-serif'><h1>Stability study</h1>"
        f"<p>{summary['seeds']} seeds per group ({seeds}), preset {html.escape(str(summary['preset']))}, "
        f"overrides {html.escape(json.dumps(summary['overrides']))}, single-level budgets "
        f"{html.escape(', '.join(summary.get('budgets', ['epochs'])))}.</p>"
        "<table border='1' cellpadding='4'><tr><th>group</th><th>measure</th><th>mean ± std</th>"
        f"<th>median</th><th>range</th></tr>{rows}</table>"
        "<h2>Against bi-level (two-sided permutation tests)</h2><table border='1' cellpadding='4'>"
        "<tr><th>contrast</th><th>measure</th><th>statistic</th><th>difference</th><th>p</th></tr>"
        f"{tests}</table>{figures}<h2>Derived cells (by seed)</h2>{cells}"
        "</body></html>")
    return path
