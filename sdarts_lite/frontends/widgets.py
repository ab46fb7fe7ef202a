"""The control panel of notebook 02: pick an optimizer and a relaxation, press Run, watch alpha move.

A ``SearchPanel`` runs ``search`` in a background thread, so the notebook stays responsive and
Stop works while alpha trajectories grow live in a plotly ``FigureWidget``, and below them, epoch by
epoch, lambda_max: how sharp the held-out loss is in alpha (``sharpness.py``).  It only reads the
history that the search records; bad values are shown in the panel, never raised.  Given ``runs``
(a study's folder), a panel keeps its runs where ``study`` would, and shows a finished run with the
same settings at once instead of searching again, so notebooks share their searches (sigmoid runs
in ``runs/sigmoid``, as the factor study keeps them apart).
"""

from __future__ import annotations

import html
import threading
from pathlib import Path

import ipywidgets as w
import plotly.graph_objects as go

from ..analysis.measures import num_edges, param_free_edges
from ..base.device import check_device
from ..experiments.study import finished, relaxation_folder, run_folder
from ..method.optimizers import OPTIMIZERS
from ..method.spaces import get_space
from ..pictures import palette
from ..pictures.figures import LAMBDA_TITLE, add_alpha_traces, alpha_figure, alpha_rows, alpha_series
from ..run.config import SETTINGS, make_config
from ..run.history import History
from ..run.search import search

RELAXATIONS = {palette.label(name): name for name in ("softmax", "sigmoid")}  # label -> activation
NOT_MEASURED = "lambda_max: not measured (sharpness_every=0; notebook 08 measures it)"
DATA = {"Fashion-MNIST": "fashion", "8x8 digits (quick)": "laptop"}  # label -> the preset that searches it


class SearchPanel(w.VBox):
    """Controls, a live alpha plot and a progress bar for one search on a preset: ``preset``, or
    the one the data control picks (``DATA``); the relaxation, arch lr and epochs fields start at its
    values.
    ``runs``: the folder to keep runs in and reuse them from (``study``'s layout; None: keep none)."""

    def __init__(self, optimizer: str = "single", preset: str = "fashion",
                 arch_lr: float | None = None, epochs: int | None = None, seed: int = 0, log_every: int = 0,
                 runs: str | None = None, relaxation: str | None = None, **search_kwargs):
        defaults = make_config(preset)
        # Sized so that two panels side by side fit JupyterLab's default width (560 px each).
        field = dict(layout=w.Layout(width="275px"), style={"description_width": "70px"})
        choices = {**DATA} if preset in DATA.values() else {**DATA, f"preset {preset}": preset}
        self.data = w.Dropdown(options=list(choices.items()), value=preset, description="data", **field)
        self.optimizer = w.Dropdown(options=[(spec.label, name) for name, spec in OPTIMIZERS.items()],
                                    value=optimizer, description="optimizer", **field)
        self.arch_lr = w.FloatText(value=arch_lr or defaults.hyper.arch_lr, description="arch lr", **field)
        self.epochs = w.IntText(value=epochs or defaults.epochs, description="epochs", **field)
        self.seed = w.IntText(value=seed, description="seed", **field)
        self.relaxation = w.Dropdown(options=list(RELAXATIONS.items()), description="relaxation",
                                     value=relaxation or defaults.activation, **field)
        edges = get_space(defaults.space).edges
        self.edge = w.Dropdown(options=[("mean over edges", None)] +
                               [(f"edge {i}->{j}", e) for e, (i, j) in enumerate(edges)],
                               value=None, description="show", layout=w.Layout(width="190px"),
                               style={"description_width": "40px"})
        self.run_button = w.Button(description="Run", button_style="success", icon="play",
                                   layout=w.Layout(width="80px"))
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True,
                                    layout=w.Layout(width="80px"))
        self.progress = w.IntProgress(value=0, min=0, max=1, description="epochs 0",
                                      layout=w.Layout(width="200px"))
        self.status = w.HTML()
        self.figure = go.FigureWidget(alpha_rows())
        self.figure.update_layout(height=400, width=560, margin=dict(l=50, r=10, t=30, b=40),
                                  legend=dict(font_size=10))
        self.sharpness = go.FigureWidget(layout=dict(
            template="plotly_white", height=170, width=560, margin=dict(l=50, r=10, t=30, b=35),
            title=dict(text=LAMBDA_TITLE, font_size=12), xaxis_title="epoch", showlegend=False))
        self.history: History | None = None
        self.runs = Path(runs) if runs is not None else None
        # search's keyword arguments: settings (C=4, N=1, ...) and the rest (device, out, ...)
        self.settings = {k: v for k, v in search_kwargs.items() if k in SETTINGS}
        self.log_every = log_every
        self.search_kwargs = {k: v for k, v in search_kwargs.items() if k not in SETTINGS}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        self.edge.observe(lambda _: self._redraw(), names="value")
        self.data.observe(lambda _: self._preset_changed(), names="value")
        super().__init__([w.HBox([self.data, self.optimizer]), w.HBox([self.arch_lr, self.epochs]),
                          w.HBox([self.seed, self.relaxation]),
                          w.HBox([self.run_button, self.stop_button, self.progress, self.edge]),
                          self.status, self.figure, self.sharpness])

    @property
    def preset(self) -> str:
        return self.data.value

    def _preset_changed(self) -> None:
        """Another dataset: its preset's arch lr and epochs."""
        defaults = make_config(self.preset)
        self.arch_lr.value, self.epochs.value = defaults.hyper.arch_lr, defaults.epochs

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def config(self):
        """The SearchConfig the controls and the panel's settings describe (raises ValueError naming a
        bad field)."""
        controls = dict(optimizer=self.optimizer.value, arch_lr=self.arch_lr.value, epochs=self.epochs.value,
                        seed=self.seed.value, activation=self.relaxation.value, log_every=self.log_every)
        return make_config(self.preset, **{**self.settings, **controls})

    def run(self) -> None:
        """Start a search in the background (what the Run button does)."""
        if self.running:
            return
        try:
            config = self.config()
            check_device(self.search_kwargs.get("device"))
        except ValueError as err:
            self._show_error("cannot run", err)
            return
        self._stop.clear()
        self.history = None
        self.progress.max, self.progress.value = config.epochs, 0
        self.status.value = f"running {self.optimizer.label} ..."
        self.run_button.disabled, self.stop_button.disabled = True, False
        self.figure.data, self.sharpness.data = [], []
        self.sharpness.layout.title.text = LAMBDA_TITLE if config.sharpness_every else NOT_MEASURED
        self._thread = threading.Thread(target=self._search, args=(config,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the running search to stop after its current step (what Stop does)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> History | None:
        """Block until the search ends; return its history."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.history

    def _search(self, config) -> None:
        try:
            out, kept = self._kept(config)
            if kept:
                self._update(kept)
            else:
                self.history = search(config, out=out, resume=out is not None, progress=False,
                                      callback=self._update, **self.search_kwargs)
            h = self.history
            ended = "stopped" if h.stopped else "done"
            where = f" (earlier, kept in {out})" if kept else ""
            edges = f"{param_free_edges(h)[-1]} of {num_edges(h)}" if h.epochs else "-"
            self.status.value = (f"{ended} after {len(h.epochs)} epochs{where}: <code>{h.genotype}</code>, "
                                 f"{edges} edges parameter-free")
        except Exception as err:  # noqa: BLE001 - shown in the panel, the thread must not die silently
            self._show_error("search failed", err)
        finally:
            self.run_button.disabled, self.stop_button.disabled = False, True

    def _kept(self, config) -> tuple[Path | None, History | None]:
        """Where this run is kept in ``runs``, and its history if it finished there; (None, None)
        without ``runs``, or where a run with other settings is kept (that one is left alone)."""
        if self.runs is None:
            return None, None
        out = run_folder(relaxation_folder(self.runs, config.activation), config.optimizer, config.budget,
                         config.seed)
        try:
            return out, finished(config, out)
        except ValueError:
            return None, None

    def _show_error(self, what: str, err: Exception) -> None:
        """The error's one-line message, as the command line prints it, in red after ``what``."""
        self.status.value = f"<span style='color:#c62828'>{what}: {html.escape(str(err), quote=False)}</span>"

    def _update(self, history: History) -> bool:
        self.history = history
        self.progress.value = len(history.epochs)
        self.progress.description = f"epochs {len(history.epochs)}"
        self._redraw()
        return self._stop.is_set()

    def _redraw(self) -> None:
        if self.history is None:
            return
        epochs, lambdas = self.history.lambda_max()
        if len(self.figure.data) == 0:
            add_alpha_traces(self.figure, self.history, self.edge.value)
            self.sharpness.add_scatter(x=epochs, y=lambdas, mode="lines+markers",
                                       line_color=palette.colour(self.optimizer.value))
            return
        xs, series = alpha_series(self.history, self.edge.value)
        with self.figure.batch_update():
            for trace, ys in zip(self.figure.data, series.values()):
                trace.x, trace.y = xs, ys
        self.sharpness.data[0].x, self.sharpness.data[0].y = epochs, lambdas

    def static_figure(self) -> go.Figure:
        """A plain plotly figure of the last run, for exported notebooks."""
        if self.history is None:
            raise ValueError("no run yet: press Run (or call .run()) first")
        return alpha_figure(self.history, self.edge.value,
                            title=f"{self.optimizer.label}, {self.history.config['activation']}")


def panel_row(*panels: SearchPanel) -> w.HBox:
    """Lay panels next to each other, e.g. single-level beside bi-level; a panel that does not fit
    the notebook's width wraps to the next row instead of being squeezed."""
    for panel in panels:
        panel.layout.flex = "0 0 auto"
    return w.HBox(list(panels), layout=w.Layout(flex_flow="row wrap"))
