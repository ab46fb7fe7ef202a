"""Plotly figures of search histories and studies.  They read histories and summaries only (and,
once, a dataset's images).

Mixing weights are plotted as each operation's share of its edge's total weight
(``History.shares``): the softmax weights themselves, and under the sigmoid relaxation, whose
weights do not sum to 1, the same reading that ``History.param_free_share`` uses, without
``none``, whose sigmoid weight never moves.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from ..analysis.measures import LABELS, measures
from ..core.history import History
from ..core.spaces import REGISTRY, param_free_ops

PARAM_FREE_COLOR = "#7b1fa2"
LAMBDA_TITLE = "lambda_max of the held-out loss's Hessian in alpha"
WEIGHT_AXIS = "mixing weight (share of the edge)"
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]  # one colour per run or cell compared


def op_colour(op: str) -> str | None:
    """The colour its space gives an operation (``SearchSpace.colours``)."""
    return next((s.colours[op] for s in REGISTRY.values() if op in s.colours), None)


def alpha_series(history: History, edge: int | None = None) -> tuple[list[float], dict[str, list[float]]]:
    """x (epochs, fractional where step records exist) and, per op, its share of the edge's
    mixing weight.

    ``edge=None`` averages all rows of alpha.  A ``"parameter-free"`` series sums the shares of
    the parameter-free operations (none, skip_connect, pools).
    """
    records = [(r.epoch + 1, r.alphas) for r in history.epochs]
    if history.steps:
        records += [(s.epoch + s.step / history.steps_per_epoch, s.alphas) for s in history.steps]
        records.sort(key=lambda r: r[0])
    xs = [x for x, _ in records]
    series: dict[str, list[float]] = {op: [] for op in history.learned_ops}
    for _, alphas in records:
        rows = history.shares(alphas if edge is None else [alphas[edge]])
        for k, op in enumerate(history.learned_ops):
            series[op].append(sum(row[k] for row in rows) / len(rows))
    series["parameter-free"] = [sum(series[op][t] for op in param_free_ops() if op in series)
                                for t in range(len(xs))]
    return xs, series


def alpha_traces(history: History, edge: int | None = None, showlegend: bool = True) -> list[go.Scatter]:
    """One line per op (for the top plot), then a thick dashed line for the parameter-free share
    (for the plot below it: ``alpha_rows``)."""
    xs, series = alpha_series(history, edge)
    traces = []
    for name, ys in series.items():
        free = name == "parameter-free"
        traces.append(go.Scatter(
            x=xs, y=ys, mode="lines", name=name, legendgroup=name, showlegend=showlegend,
            line=dict(color=PARAM_FREE_COLOR if free else op_colour(name),
                      width=4 if free else 2, dash="dash" if free else "solid")))
    return traces


def alpha_rows(cols: int = 1, titles: list[str] | None = None) -> go.Figure:
    """An empty figure for alpha trajectories: each op's weight on top, the parameter-free share
    below, each axis fitted to its own data so that a move from 0.20 to 0.35 fills the plot."""
    fig = make_subplots(rows=2, cols=cols, shared_xaxes=True, shared_yaxes=True, row_heights=[0.66, 0.34],
                        vertical_spacing=0.08, subplot_titles=titles)
    fig.update_yaxes(title_text=WEIGHT_AXIS, row=1, col=1)
    fig.update_yaxes(title_text="parameter-free share", row=2, col=1)
    fig.update_xaxes(title_text="epoch", row=2)
    fig.update_layout(template="plotly_white", height=460)
    return fig


def add_alpha_traces(fig: go.Figure, history: History, edge: int | None = None, col: int = 1,
                     showlegend: bool = True) -> None:
    """The op lines of ``alpha_traces`` into row 1 of column ``col``, the share into row 2."""
    traces = alpha_traces(history, edge, showlegend)
    for trace in traces[:-1]:
        fig.add_trace(trace, row=1, col=col)
    fig.add_trace(traces[-1], row=2, col=col)


def edge_label(history: History, edge: int | None) -> str:
    return "mean over edges" if edge is None else "edge {}->{}".format(*history.edges[edge])


def alpha_figure(history: History, edge: int | None = None, title: str | None = None) -> go.Figure:
    """A plain plotly figure of the alpha trajectories of one search."""
    fig = alpha_rows()
    add_alpha_traces(fig, history, edge)
    fig.update_layout(title=title or f"{history.config.get('mode')} — {edge_label(history, edge)}")
    return fig


def compare_figure(histories: dict[str, History], edge: int | None = None) -> go.Figure:
    """Alpha trajectories of several searches side by side, on shared y axes."""
    fig = alpha_rows(len(histories), [f"{label}: {edge_label(h, edge)}" for label, h in histories.items()])
    for col, h in enumerate(histories.values(), start=1):
        add_alpha_traces(fig, h, edge, col, showlegend=col == 1)
    return fig


def seed_panels(runs: dict[str, list], panels: dict[str, Callable[..., list[float | None]]],
                cols: int = 2, spare: tuple[str, ...] = ()) -> go.Figure:
    """One plot per measure (``panels``: title -> per-epoch values of a run, a history or a study's
    record, None where not measured); per group of runs a thin line per seed and a thick line for
    their mean.  Axes fit the data.  ``spare``: titles of empty plots after them, to fill."""
    rows = -(-(len(panels) + len(spare)) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[*panels, *spare], vertical_spacing=0.14)
    for (label, histories), color in zip(runs.items(), itertools.cycle(PALETTE)):
        for k, measure in enumerate(panels.values()):
            row, col = k // cols + 1, k % cols + 1
            curves = [measure(h) for h in histories]
            for ys in curves:
                fig.add_trace(go.Scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines", opacity=0.3,
                                         line=dict(color=color, width=1), legendgroup=label,
                                         connectgaps=True, showlegend=False, hoverinfo="skip"),
                              row=row, col=col)
            mean = [None if None in v else statistics.fmean(v) for v in zip(*curves)]  # None: not measured
            fig.add_trace(go.Scatter(x=list(range(1, len(mean) + 1)), y=mean, mode="lines+markers",
                                     name=f"{label} (mean of {len(curves)})", legendgroup=label,
                                     connectgaps=True, showlegend=k == 0, line=dict(color=color, width=3)),
                          row=row, col=col)
    fig.update_xaxes(title_text="epoch", row=rows)
    fig.update_layout(template="plotly_white", height=380 * rows)
    return fig


def collapse_figure(runs: dict[str, list[History | dict]]) -> go.Figure:
    """The collapse story over seeds: per optimizer, the share of mixing weight on parameter-free
    ops and the number of parameter-free edges in the derived cell, epoch by epoch (thin lines:
    seeds; thick: the mean).  ``runs``: histories, or the per-run records of a study's
    ``summary.json`` (``summary["runs"]``)."""
    records = {label: [measures(r) if isinstance(r, History) else r for r in group
                       if not isinstance(r, History) or r.epochs] for label, group in runs.items()}
    fig = seed_panels(records, {
        "share of weight on parameter-free ops (mean over edges)": lambda r: r["param_free_share_per_epoch"],
        "parameter-free edges in the derived cell": lambda r: r["param_free_edges_per_epoch"]})
    most = max(r["edges"] for group in records.values() for r in group)
    fig.update_yaxes(range=[-0.2, most + 0.2], row=1, col=2)
    fig.update_layout(height=420)
    return fig


def diagnostics_figure(runs: dict[str, list[History]]) -> go.Figure:
    """How much signal alpha gets, epoch by epoch: the norm of its gradient, how far it moved, how
    decisive the mixing weights are, the loss it descended (low: memorised batches, no signal
    left) and, where measured, how sharp the held-out loss is in alpha (lambda_max).  Thin lines:
    seeds; thick: the mean."""
    panels = {
        "alpha's gradient norm (mean over the epoch's steps)":
            lambda h: [r.alpha_grad_norm for r in h.epochs],
        "how far alpha moved in the epoch": lambda h: [r.alpha_step for r in h.epochs],
        "decisiveness (mean largest weight per edge)": History.decisiveness,
        "loss of the batches alpha learned from": lambda h: [r.alpha_loss for r in h.epochs],
    }
    if any(r.lambda_max is not None for histories in runs.values() for h in histories for r in h.epochs):
        panels[LAMBDA_TITLE] = lambda h: [r.lambda_max for r in h.epochs]
    fig = seed_panels(runs, panels)
    fig.update_yaxes(type="log", row=2, col=2)
    return fig


def sharpness_figure(runs: dict[str, list[History | dict]]) -> go.Figure:
    """Why collapse happens: lambda_max of the held-out loss's Hessian in alpha, epoch by epoch (thin
    lines: seeds; thick: the mean), and against the share of weight on parameter-free ops (one dot
    per measured epoch of every seed, darker later).  ``runs``: histories, or the per-run records
    of a study's ``summary.json`` (``summary["runs"]``)."""
    records = {label: [measures(r) if isinstance(r, History) else r for r in group]
               for label, group in runs.items()}
    fig = seed_panels(records, {LAMBDA_TITLE: lambda r: r["lambda_max_per_epoch"]},
                      spare=("lambda_max against the parameter-free share",))
    for (label, group), color in zip(records.items(), itertools.cycle(PALETTE)):
        points = [(share, lam, (epoch + 1) / len(r["lambda_max_per_epoch"])) for r in group
                  for epoch, (share, lam) in enumerate(zip(r["param_free_share_per_epoch"],
                                                           r["lambda_max_per_epoch"])) if lam is not None]
        marker = dict(color=color, size=6, opacity=[0.25 + 0.75 * p[2] for p in points])
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="markers",
                                 name=label, legendgroup=label, showlegend=False, marker=marker),
                      row=1, col=2)
    fig.update_xaxes(title_text="share of weight on parameter-free ops", row=1, col=2)
    fig.update_yaxes(title_text="lambda_max", row=1, col=1)
    fig.update_layout(height=420)
    return fig


def study_figure(summary: dict) -> go.Figure:
    """A study's spread over seeds, from its ``summary.json`` alone: parameter-free edges of the
    derived cells and (when looked up) their NAS-Bench-201 CIFAR-10 accuracy, one box per mode,
    one dot per seed."""
    runs = summary["runs"]
    with_acc = all("cifar10" in r for records in runs.values() for r in records)
    fig = make_subplots(rows=1, cols=2 if with_acc else 1, subplot_titles=[
        "parameter-free edges in the derived cell"] + (
        ["NAS-Bench-201 CIFAR-10 accuracy of the derived cell (%)"] if with_acc else []))
    for mode, records in runs.items():
        fig.add_trace(go.Box(y=[r["param_free_edges"] for r in records], name=mode, boxpoints="all",
                             jitter=0.4, pointpos=0, showlegend=False), row=1, col=1)
        if with_acc:
            fig.add_trace(go.Box(y=[r["cifar10"] for r in records], name=mode, boxpoints="all",
                                 jitter=0.4, pointpos=0, showlegend=False), row=1, col=2)
    fig.update_layout(template="plotly_white", height=420,
                      title=f"{summary['seeds']} seeds per mode")
    return fig


FACTOR_COLOURS = {"softmax": "#1f77b4", "sigmoid": "#ff7f0e"}


def factor_figure(result: dict, measure: str = "param_free_share", label: str | None = None) -> go.Figure:
    """A factor study at a glance, from its ``factors.json`` alone: on top the eight cells (four
    optimizers under each relaxation), below each factor's two levels pooled over the other two
    factors, titled with its main effect and permutation p; one dot per seed, a box per group."""
    factors, runs = result["factors"], result["runs"]
    effects = result["main_effects"]
    label = label or LABELS[measure]
    titles = ["each cell of the design: one dot per seed"] + [
        f"{f}: {effects[f][measure]['effect']:+.3g} (p = {effects[f][measure]['p']:.2g})" for f in factors]
    cols = len(factors)
    fig = make_subplots(rows=2, cols=cols, specs=[[{"colspan": cols}] + [None] * (cols - 1), [{}] * cols],
                        subplot_titles=titles, vertical_spacing=0.16, shared_yaxes=True)
    for level in factors["relaxation"]:  # per optimizer, a box under each relaxation, side by side
        group = [r for r in runs if r["levels"]["relaxation"] == level]
        fig.add_trace(go.Box(x=[r["mode"] for r in group], y=[r[measure] for r in group], name=level,
                             boxpoints="all", jitter=0.4, pointpos=0, marker_color=FACTOR_COLOURS[level]),
                      row=1, col=1)
    for col, (factor, levels) in enumerate(factors.items(), start=1):
        fig.add_trace(go.Box(x=[r["levels"][factor] for r in runs], y=[r[measure] for r in runs],
                             boxpoints="all", jitter=0.4, pointpos=0, marker_color="#616161",
                             offsetgroup=factor, alignmentgroup=factor, showlegend=False), row=2, col=col)
        fig.update_xaxes(categoryorder="array", categoryarray=levels, row=2, col=col)
    fig.update_yaxes(title_text=label, col=1)
    fig.update_layout(template="plotly_white", height=620, boxmode="group",
                      title=f"{label}: {result['seeds']} seeds per cell, {len(runs) // 2} runs a side "
                      "per factor")
    return fig


def benchmark_figure(bench, cells: dict[str, str], dataset: str = "cifar10") -> go.Figure:
    """A histogram of every NAS-Bench-201 cell's test accuracy, with ``cells`` marked."""
    fig = go.Figure(go.Histogram(x=bench.accuracies(dataset), nbinsx=120, marker_color="#9e9e9e",
                                 name="all 15,625 cells"))
    for (label, genotype), color in zip(cells.items(), itertools.cycle(PALETTE)):
        acc = bench.query(genotype).accuracy[dataset]
        fig.add_vline(x=acc, line=dict(color=color, width=3),
                      annotation=dict(text=f"{label}: {acc:.2f}%", font_color=color))
    fig.update_layout(template="plotly_white", height=400, xaxis_title=f"{dataset} test accuracy (%)",
                      yaxis_title="cells", showlegend=False)
    return fig


def images_figure(data, per_class: int = 8) -> go.Figure:
    """A grid of a dataset's search images (an ``ImageData``): one row per class, named."""
    rows = []
    for label in range(data.num_classes):
        picked = data.search_x[data.search_y == label][:per_class, 0]  # the first channel, grey
        rows.append(torch.cat(list(picked), dim=1) if len(picked) == per_class else None)
    shown = [k for k, r in enumerate(rows) if r is not None]
    mosaic = torch.cat([rows[k] for k in shown], dim=0).flip(0).numpy()  # plotly draws row 0 at the bottom
    side = data.image_size
    names = [data.classes[k] if data.classes else str(k) for k in shown][::-1]
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="gray", showscale=False, hoverinfo="skip"))
    fig.update_yaxes(tickvals=[side * (k + 0.5) for k in range(len(shown))], ticktext=names,
                     scaleanchor="x", showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(title=f"{data.name}: {per_class} search images per class, {side}x{side} pixels",
                      height=60 + 32 * len(shown),
                      margin=dict(l=110, r=10, t=40, b=10), plot_bgcolor="white")
    return fig
