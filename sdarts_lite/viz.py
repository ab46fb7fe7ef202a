"""Plots of search histories (plotly) and drawings of cells (graphviz).  Reads histories only."""

from __future__ import annotations

import html
import os
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .genotypes import PARAM_FREE_OPS
from .history import History

OP_COLORS = {"none": "#9e9e9e", "skip_connect": "#d62728", "nor_conv_1x1": "#1f77b4",
             "nor_conv_3x3": "#2ca02c", "avg_pool_3x3": "#ff7f0e"}
PARAM_FREE_COLOR = "#7b1fa2"


def alpha_series(history: History, edge: int | None = None) -> tuple[list[float], dict[str, list[float]]]:
    """x (epochs, fractional where step records exist) and, per op, its softmax weight.

    ``edge=None`` averages the six edges.  A ``"parameter-free"`` series sums none,
    skip_connect and avg_pool_3x3.
    """
    records = [(r.epoch + 1, r.alphas) for r in history.epochs]
    if history.steps:
        per_epoch = max(s.step for s in history.steps) + 1
        records += [(s.epoch + s.step / per_epoch, s.alphas) for s in history.steps]
        records.sort(key=lambda r: r[0])
    xs = [x for x, _ in records]
    series: dict[str, list[float]] = {op: [] for op in history.ops}
    for _, alphas in records:
        rows = alphas if edge is None else [alphas[edge]]
        for k, op in enumerate(history.ops):
            series[op].append(sum(row[k] for row in rows) / len(rows))
    series["parameter-free"] = [sum(series[op][t] for op in PARAM_FREE_OPS if op in series)
                                for t in range(len(xs))]
    return xs, series


def alpha_traces(history: History, edge: int | None = None, showlegend: bool = True) -> list[go.Scatter]:
    """One line per op, and a thick dashed line for the parameter-free share."""
    xs, series = alpha_series(history, edge)
    traces = []
    for name, ys in series.items():
        free = name == "parameter-free"
        traces.append(go.Scatter(
            x=xs, y=ys, mode="lines", name=name, legendgroup=name, showlegend=showlegend,
            line=dict(color=PARAM_FREE_COLOR if free else OP_COLORS.get(name),
                      width=4 if free else 2, dash="dash" if free else "solid")))
    return traces


def edge_label(history: History, edge: int | None) -> str:
    return "mean over edges" if edge is None else "edge {}->{}".format(*history.edges[edge])


def alpha_figure(history: History, edge: int | None = None, title: str | None = None) -> go.Figure:
    """A plain plotly figure of the softmax alpha trajectories of one search."""
    fig = go.Figure(alpha_traces(history, edge))
    fig.update_layout(title=title or f"{history.config.get('mode')} — {edge_label(history, edge)}",
                      xaxis_title="epoch", yaxis_title="softmax weight", template="plotly_white",
                      height=380)
    return fig


def compare_figure(histories: dict[str, History], edge: int | None = None) -> go.Figure:
    """Alpha trajectories of several searches side by side, on a shared y axis."""
    fig = make_subplots(rows=1, cols=len(histories), shared_yaxes=True,
                        subplot_titles=[f"{label}: {edge_label(h, edge)}" for label, h in histories.items()])
    for col, h in enumerate(histories.values(), start=1):
        for trace in alpha_traces(h, edge, showlegend=col == 1):
            fig.add_trace(trace, row=1, col=col)
        fig.update_xaxes(title_text="epoch", row=1, col=col)
    fig.update_yaxes(title_text="softmax weight", row=1, col=1)
    fig.update_layout(template="plotly_white", height=420)
    return fig


def write_report(histories: dict[str, History], path: str | os.PathLike, title: str) -> Path:
    """A self-contained HTML page: trajectories side by side and the derived cells."""
    path = Path(path)
    rows = ""
    for label, h in histories.items():
        last = h.epochs[-1] if h.epochs else None
        rows += (f"<tr><td>{html.escape(label)}</td><td><code>{html.escape(h.genotype)}</code></td>"
                 f"<td>{h.param_free_edges()[-1] if last else '-'} / 6</td>"
                 f"<td>{f'{last.valid_acc:.1f}%' if last else '-'}</td></tr>")
    figures = [compare_figure(histories)] + [compare_figure(histories, e) for e in range(6)]
    body = "".join(f.to_html(full_html=False, include_plotlyjs=not i)
                   for i, f in enumerate(figures))
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body style='font-family:sans-serif'><h1>{html.escape(title)}</h1>"
        "<table border='1' cellpadding='4'><tr><th>run</th><th>derived genotype</th>"
        "<th>parameter-free edges</th><th>held-out accuracy (supernet)</th></tr>"
        f"{rows}</table>{body}</body></html>")
    return path
