"""Plotly figures of search histories and studies.  They read histories and summaries only (and,
once, a dataset's images).

Mixing weights are plotted as each operation's share of its edge's total weight
(``History.shares``): the softmax weights themselves, and under the sigmoid relaxation, whose
weights do not sum to 1, the same reading that ``measures.param_free_share`` uses, without
``none``, whose sigmoid weight never moves.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from ..analysis.measures import LABELS, measures
from ..method.spaces import REGISTRY, get_space, param_free_ops, space_of
from ..run.history import History
from . import palette

LAMBDA_TITLE = "lambda_max of the held-out loss's Hessian in alpha"
WEIGHT_AXIS = "share of the edge (axis cut)"
SHARE_AXIS = "parameter-free (axis cut)"


def op_colour(op: str) -> str | None:
    """The colour its space gives an operation (``SearchSpace.colours``)."""
    return next((s.colours[op] for s in REGISTRY.values() if op in s.colours), None)


def alpha_series(history: History, edge: int | None = None) -> tuple[list[float], dict[str, list[float]]]:
    """x (epochs, fractional where step records exist) and, per op, its share of the edge's
    mixing weight.

    ``edge=None`` averages all rows of alpha.  A ``"parameter-free"`` series sums the shares of
    the parameter-free operations (none, skip_connect, pools).
    """
    records = [(r.epoch + 1, r.mixing) for r in history.epochs]
    if history.steps:
        records += [(s.epoch + s.step / history.steps_per_epoch, s.mixing) for s in history.steps]
        records.sort(key=lambda r: r[0])
    xs = [x for x, _ in records]
    series: dict[str, list[float]] = {op: [] for op in history.learned_ops}
    for _, mixing in records:
        rows = history.shares(mixing if edge is None else [mixing[edge]])
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
            line=dict(color=palette.PARAM_FREE if free else op_colour(name),
                      width=4 if free else 2, dash="dash" if free else "solid")))
    return traces


def alpha_rows(cols: int = 1, titles: list[str] | None = None) -> go.Figure:
    """An empty figure for alpha trajectories: each op's weight on top, the parameter-free share
    below, each axis fitted to its own data so that a move from 0.20 to 0.35 fills the plot."""
    fig = make_subplots(rows=2, cols=cols, shared_xaxes=True, shared_yaxes=True, row_heights=[0.66, 0.34],
                        vertical_spacing=0.08, subplot_titles=titles)
    fig.update_yaxes(title_text=WEIGHT_AXIS, row=1, col=1)
    fig.update_yaxes(title_text=SHARE_AXIS, row=2, col=1)
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
    uniform = palette.uniform_share(history.learned_ops, param_free_ops())
    reference(fig, uniform, f"uniform alpha: {uniform:.2f}", row=2, col=col)


def reference(fig: go.Figure, y: float, text: str, row: int | None = None, col: int | None = None,
              axis: str = "y") -> None:
    """A dotted reference line at ``y`` (``axis="x"``: a vertical one at x = ``y``), named by ``text``."""
    line = dict(color=palette.REFERENCE, width=1, dash="dot")
    note = dict(text=text, font=dict(size=10, color=palette.REFERENCE))
    if axis == "y":
        fig.add_hline(y=y, line=line, annotation=note, annotation_position="top left", row=row, col=col)
    else:
        fig.add_vline(x=y, line=line, annotation=note, annotation_position="top", row=row, col=col)


def edge_label(history: History, edge: int | None) -> str:
    return "mean over edges" if edge is None else "edge {}->{}".format(*history.edges[edge])


def alpha_figure(history: History, edge: int | None = None, title: str | None = None) -> go.Figure:
    """A plain plotly figure of the alpha trajectories of one search."""
    fig = alpha_rows()
    add_alpha_traces(fig, history, edge)
    name = history.config.get("optimizer", history.config.get("mode"))  # "mode": before issue 36
    fig.update_layout(title=title or f"{palette.label(name)} — {edge_label(history, edge)}")
    return fig


def compare_figure(histories: dict[str, History], edge: int | None = None) -> go.Figure:
    """Alpha trajectories of several searches side by side, on shared y axes."""
    fig = alpha_rows(len(histories), [f"{label}: {edge_label(h, edge)}" for label, h in histories.items()])
    for col, h in enumerate(histories.values(), start=1):
        add_alpha_traces(fig, h, edge, col, showlegend=col == 1)
    return fig


def seed_panels(runs: dict[str, list], panels: dict[str, Callable[..., list[float | None]]],
                cols: int = 2, spare: tuple[str, ...] = (), seeds: bool = True) -> go.Figure:
    """One plot per measure (``panels``: title -> per-epoch values of a run, a history or a study's
    record, None where not measured); per group of runs (an optimizer, in its palette colour) a
    thin line per seed, a band of one standard deviation over seeds either side of their mean, and a
    thick line for the mean.  Axes fit the data.  ``spare``: titles of empty plots after them, to fill;
    ``seeds=False`` leaves out the thin lines."""
    rows = -(-(len(panels) + len(spare)) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[*panels, *spare], vertical_spacing=0.14)
    for n, (key, histories) in enumerate(runs.items()):
        color, label = palette.colour(key, n), palette.label(key)
        for k, measure in enumerate(panels.values()):
            row, col = k // cols + 1, k % cols + 1
            curves = [measure(h) for h in histories]
            for ys in curves if seeds else []:
                fig.add_trace(go.Scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines", opacity=0.25,
                                         line=dict(color=color, width=1), legendgroup=label,
                                         connectgaps=True, showlegend=False, hoverinfo="skip"),
                              row=row, col=col)
            mean = [None if None in v else statistics.fmean(v) for v in zip(*curves)]  # None: not measured
            sd = [None if None in v else statistics.pstdev(v) for v in zip(*curves)]
            xs = [x for x, m in enumerate(mean, start=1) if m is not None]
            band = [(m + d, m - d) for m, d in zip(mean, sd) if m is not None]
            fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[b[0] for b in band] + [b[1] for b in band][::-1],
                                     fill="toself", fillcolor=color, opacity=0.18, line=dict(width=0),
                                     legendgroup=label, showlegend=False, hoverinfo="skip",
                                     name=f"{label}: band of ± 1 s.d."), row=row, col=col)
            fig.add_trace(go.Scatter(x=list(range(1, len(mean) + 1)), y=mean, mode="lines+markers",
                                     name=f"{label} (mean of {len(curves)} seeds, band ± 1 s.d.)",
                                     legendgroup=label, connectgaps=True, showlegend=k == 0,
                                     line=dict(color=color, width=3), marker=dict(size=4)),
                          row=row, col=col)
    fig.update_xaxes(title_text="epoch", row=rows)
    fig.update_layout(template="plotly_white", height=380 * rows)
    return fig


def excludes_none(records: list[dict], activation: str = "softmax") -> bool:
    """Whether the records' cells were derived without ``none`` (``exclude_none``, recorded since
    issue 34; older records: the space's rule under ``activation``)."""
    if records and records[0].get("exclude_none") is not None:
        return records[0]["exclude_none"]
    space = space_of(records[0]["genotype"]) if records else get_space("nb201")
    return not (space.derives_none and activation == "softmax")


def space_references(records: list[dict], activation: str = "softmax") -> tuple[float, float]:
    """The uniform parameter-free share and the chance number of parameter-free edges (each edge an
    operation at random, of those the records' rule lets win it) of the space the records' cells
    belong to; under the sigmoid the share leaves ``none`` out."""
    space = space_of(records[0]["genotype"]) if records else get_space("nb201")
    ops = [op for op in space.ops if activation == "softmax" or op != "none"]
    derivable = tuple(op for op in space.ops if op != "none" or not excludes_none(records, activation))
    return (palette.uniform_share(ops, space.param_free),
            palette.chance_param_free_edges(records[0]["edges"] if records else len(space.edges),
                                            derivable, space.param_free))


def collapse_figure(runs: dict[str, list[History | dict]], activation: str = "softmax",
                    seeds: bool = True) -> go.Figure:
    """The collapse story over seeds: per optimizer, the share of mixing weight on parameter-free
    ops and the number of parameter-free edges in the derived cell, epoch by epoch (thin lines:
    seeds; band and thick line: their spread and mean), against alpha's uniform share and the
    chance number of edges.  ``runs``: histories, or the per-run records of a study's
    ``summary.json`` (``summary["runs"]``); ``seeds=False`` leaves out the thin lines."""
    records = {label: [measures(r) if isinstance(r, History) else r for r in group
                       if not isinstance(r, History) or r.epochs] for label, group in runs.items()}
    fig = seed_panels(records, {
        "parameter-free share of alpha, per epoch": lambda r: r["param_free_share_per_epoch"],
        "parameter-free edges of the derived cell, per epoch": lambda r: r["param_free_edges_per_epoch"]},
        seeds=seeds)
    add_collapse_references(fig, [r for group in records.values() for r in group], activation)
    fig.update_layout(height=460, legend=dict(orientation="h", y=-0.25))
    return fig


def add_collapse_references(fig: go.Figure, records: list[dict], activation: str = "softmax") -> None:
    """Column 1: the uniform share (axis cut, and so titled); column 2: the chance number of
    parameter-free edges, on the whole axis from 0 to the cell's edges."""
    uniform, chance = space_references(records, activation)
    reference(fig, uniform, f"uniform alpha: {uniform:.2f}", row=1, col=1)
    reference(fig, chance, f"chance: {chance:.1f}", row=1, col=2)
    most = max(r["edges"] for r in records)
    fig.update_yaxes(title_text=SHARE_AXIS, row=1, col=1)
    fig.update_yaxes(range=[-0.2, most + 0.2], title_text=f"edges of {most}", row=1, col=2)


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
    for n, (key, group) in enumerate(records.items()):
        label, color = palette.label(key), palette.colour(key, n)
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
    derived cells (against the chance number) and, when looked up, their NAS-Bench-201 CIFAR-10
    accuracy (against the optimum and the all-skip cell), one box per optimizer, one dot per seed."""
    runs = summary["runs"]
    records = [r for group in runs.values() for r in group]
    with_acc = all("cifar10" in r for r in records)
    with_live = all("live_param_ops" in r for r in records)
    panels = {"parameter-free edges in the derived cell": "param_free_edges"}
    if with_live:
        panels["operations with parameters that reach the output"] = "live_param_ops"
    if with_acc:
        panels["NAS-Bench-201 CIFAR-10 accuracy of the derived cell (%)"] = "cifar10"
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels))
    for n, (key, group) in enumerate(runs.items()):
        box = dict(name=palette.label(key), boxpoints="all", jitter=0.4, pointpos=0, showlegend=False,
                   marker_color=palette.colour(key, n))
        for col, measure in enumerate(panels.values(), start=1):
            fig.add_trace(go.Box(y=[r[measure] for r in group], **box), row=1, col=col)
    _, chance = space_references(records)
    edges = max(r["edges"] for r in records)
    reference(fig, chance, f"chance: {chance:.1f}", row=1, col=1)
    for col in range(1, 2 + with_live):
        fig.update_yaxes(title_text="edges" if col == 1 else "operations", range=[-0.3, edges + 0.3],
                         row=1, col=col)
    if with_acc:
        add_accuracy_references(fig, row=1, col=len(panels), exclude_none=excludes_none(records))
    fig.update_layout(template="plotly_white", height=420,
                      title=f"{summary['seeds']} seeds per optimizer")
    return fig


def add_accuracy_references(fig: go.Figure, row: int | None = None, col: int | None = None,
                            axis: str = "y", exclude_none: bool | None = None) -> None:
    """NAS-Bench-201's best cell and its all-skip cell, as reference lines; with ``exclude_none``,
    also the median of a uniformly random cell of those that rule derives."""
    reference(fig, palette.NB201_OPTIMUM, f"optimum {palette.NB201_OPTIMUM:.2f}", row, col, axis)
    reference(fig, palette.NB201_ALL_SKIP, f"all-skip {palette.NB201_ALL_SKIP:.2f}", row, col, axis)
    if exclude_none is not None:
        median = palette.NB201_RANDOM[exclude_none][2]
        reference(fig, median, f"random cell, median {median:.2f}", row, col, axis)


def lesson_figure(summary: dict, single: str = "single-steps", bilevel: str = "bilevel1") -> go.Figure:
    """The lesson over all of a study's seeds, at a glance: per epoch, the parameter-free share and
    the derived cell's parameter-free edges of single-level and first-order bi-level (mean and a band
    of one s.d.; against uniform alpha and chance), and where their cells end in
    NAS-Bench-201 (one dot per seed, a seed's two cells joined; against the optimum and all-skip)."""
    runs = {key: summary["runs"][key] for key in (single, bilevel)}
    records = [r for group in runs.values() for r in group]
    with_acc = all("cifar10" in r for r in records)
    fig = seed_panels(runs, {
        "parameter-free share of alpha, per epoch": lambda r: r["param_free_share_per_epoch"],
        "parameter-free edges of the derived cell, per epoch": lambda r: r["param_free_edges_per_epoch"]},
        cols=3, spare=("NAS-Bench-201 accuracy of the final cell",) if with_acc else (), seeds=False)
    add_collapse_references(fig, records)
    if with_acc:
        names = [palette.label(key).split(" (")[0].split(",")[0] for key in runs]  # single-level, bi-level
        pairs = zip(*(sorted(group, key=lambda r: r["seed"]) for group in runs.values()))
        for pair in pairs:  # one seed: its two cells
            fig.add_trace(go.Scatter(x=names, y=[r["cifar10"] for r in pair], mode="lines",
                                     line=dict(color=palette.DEAD, width=1), showlegend=False,
                                     hoverinfo="skip"), row=1, col=3)
        for n, (key, group) in enumerate(runs.items()):
            fig.add_trace(go.Scatter(x=[names[n]] * len(group), y=[r["cifar10"] for r in group],
                                     mode="markers", marker=dict(color=palette.colour(key, n), size=9),
                                     showlegend=False, text=[f"seed {r['seed']}" for r in group]),
                          row=1, col=3)
        add_accuracy_references(fig, row=1, col=3, exclude_none=excludes_none(records))
        fig.update_yaxes(title_text="CIFAR-10 test accuracy (%)", range=[50, 96], row=1, col=3)
        fig.update_xaxes(title_text="a seed's two cells joined", row=1, col=3)
    fig.update_layout(height=420, legend=dict(orientation="h", y=-0.22), margin=dict(l=60, r=20, t=70, b=40),
                      title=f"{summary['seeds']} seeds per optimizer, preset {summary['preset']}")
    return fig


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
        fig.add_trace(go.Box(x=[palette.label(r["mode"]) for r in group], y=[r[measure] for r in group],
                             name=palette.label(level), boxpoints="all", jitter=0.4, pointpos=0,
                             marker_color=palette.colour(level)), row=1, col=1)
        if measure == "param_free_share":  # each relaxation's own uniform value: sigmoid's leaves none out
            uniform = space_references(group, level)[0]
            reference(fig, uniform, f"uniform alpha, {level}: {uniform:.2f}", row=1, col=1)
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
    fig = go.Figure(go.Histogram(x=bench.accuracies(dataset), nbinsx=120, marker_color=palette.NONE,
                                 name="all 15,625 cells"))
    if dataset == "cifar10":
        add_accuracy_references(fig, axis="x")
    for n, (label, genotype) in enumerate(cells.items()):
        color = palette.colour(label, n)
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
