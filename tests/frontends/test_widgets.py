"""The control panel and its live plot, driven programmatically (no browser)."""

import time

import pytest
import torch

from sdarts_lite import make_config, search, study
from sdarts_lite.frontends.widgets import SearchPanel, panel_row
from sdarts_lite.pictures.figures import LAMBDA_TITLE


def points(panel):
    return sum(len(trace.x) for trace in panel.figure.data)


def test_run_grows_the_live_figure_and_ends_with_a_history():
    panel = SearchPanel(preset="laptop", epochs=3, log_every=5, C=4, N=1, sharpness_every=1)
    assert points(panel) == 0 and not panel.run_button.disabled
    panel.run()
    assert panel.running and panel.run_button.disabled and not panel.stop_button.disabled
    seen = []
    while panel.running:
        seen.append(points(panel))
        time.sleep(0.05)
    history = panel.wait()
    assert history is not None and len(history.epochs) == 3 and not history.stopped
    assert points(panel) > 0 and max(seen) <= points(panel)
    assert len({n for n in seen if n}) >= 2, "the figure should grow while the search runs"
    names = [t.name for t in panel.figure.data]
    assert "parameter-free" in names and "skip_connect" in names
    assert panel.progress.value == 3 and "done after 3 epochs" in panel.status.value
    assert history.genotype in panel.status.value
    epochs, lambdas = history.lambda_max()
    assert list(panel.sharpness.data[0].x) == epochs == [1, 2, 3]
    assert list(panel.sharpness.data[0].y) == lambdas
    static = panel.static_figure()
    assert len(static.data) == len(panel.figure.data) and type(static).__name__ == "Figure"


def test_on_the_fashion_preset_lambda_max_is_plotted_only_when_asked_for():
    quiet = SearchPanel(preset="fashion", epochs=2, C=4, N=1)
    quiet.run()
    assert quiet.wait().config["sharpness_every"] == 0
    assert list(quiet.sharpness.data[0].x) == [] and "not measured" in quiet.sharpness.layout.title.text
    panel = SearchPanel(preset="fashion", epochs=3, C=4, N=1, sharpness_every=1)
    panel.run()
    history = panel.wait()
    assert history.config["sharpness_size"] == 512
    assert list(panel.sharpness.data[0].x) == [1, 2, 3] and all(y > 0 for y in panel.sharpness.data[0].y)
    assert panel.sharpness.layout.title.text == LAMBDA_TITLE


def test_stop_ends_a_running_search_early():
    panel = SearchPanel(preset="laptop", epochs=200, log_every=1, C=4, N=1)
    panel.run()
    while panel.history is None or not panel.history.steps:
        time.sleep(0.02)
    panel.stop_button.click()
    history = panel.wait(timeout=60)
    assert not panel.running
    assert history.stopped and len(history.epochs) < 200
    assert "stopped" in panel.status.value and not panel.run_button.disabled


def test_bad_values_are_shown_in_the_panel_not_raised():
    panel = SearchPanel(preset="laptop", C=4, N=1)
    panel.arch_lr.value = 0.0
    panel.run_button.click()
    assert not panel.running and "arch_lr" in panel.status.value
    panel.arch_lr.value, panel.epochs.value = 1e-3, -5
    panel.run_button.click()
    assert not panel.running and "epochs" in panel.status.value


@pytest.mark.parametrize("settings", [
    dict(preset="laptop", device="tpu"), dict(preset="darts-digits", N=2),
    dict(preset="darts-digits", image_size=6),
    pytest.param(dict(preset="laptop", device="cuda"),
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")),
], ids=["unknown device", "DARTS with 2 cells", "DARTS image size 6", "CUDA without a GPU"])
def test_the_panel_shows_the_one_line_message_the_api_and_the_cli_give(settings):
    """Issue 16: the ValueError that search raises (and the command line prints after 'error: ') is
    the panel's status, on one line; nothing runs."""
    with pytest.raises(ValueError) as err:
        search(progress=False, **settings)
    panel = SearchPanel(**settings)
    panel.run_button.click()
    assert not panel.running and panel.history is None
    assert f"cannot run: {err.value}</span>" in panel.status.value and "\n" not in panel.status.value


def test_changing_the_edge_redraws_from_the_same_history():
    panel = SearchPanel(preset="laptop", epochs=2, log_every=5, C=4, N=1)
    panel.run()
    panel.wait()
    mean_y = list(panel.figure.data[0].y)
    panel.edge.value = 3
    assert list(panel.figure.data[0].y) != mean_y
    assert len(panel_row(panel, SearchPanel(preset="laptop", C=4, N=1)).children) == 2


def test_the_data_control_sets_the_presets_learning_rate_and_epochs():
    panel = SearchPanel(preset="laptop")
    assert panel.data.value == "laptop" and "fashion" in dict(panel.data.options).values()
    panel.data.value = "fashion"
    fashion = make_config("fashion")
    assert (panel.arch_lr.value, panel.epochs.value) == (fashion.hyper.arch_lr, fashion.epochs)
    assert panel.config().dataset == "fashion"
    assert SearchPanel(preset="digits").data.value == "digits"  # a preset outside the choices is offered too


def test_panels_keep_their_runs_where_a_study_does_and_show_a_finished_one_at_once(tmp_path):
    """Notebooks share searches: a panel given ``runs`` writes study's folder layout, a study then finds
    the run finished (no search), and a second panel shows it without searching."""
    settings = dict(preset="laptop", optimizer="bilevel1", epochs=2, seed=7, C=4, N=1,
                    runs=tmp_path)
    first = SearchPanel(**settings)
    first.run()
    ran = first.wait()
    folder = tmp_path / "bilevel1" / "seed7"
    assert (folder / "history.json").is_file() and "kept in" not in first.status.value
    modified = (folder / "history.json").stat().st_mtime_ns
    _, runs = study(["bilevel1"], seeds=1, first_seed=7, preset="laptop", out=tmp_path, epochs=2, C=4, N=1,
                    progress=False)
    # the study found the run finished and searched nothing (its worker has another thread count, so a
    # search of its own could differ from the panel's in the last bits)
    assert (folder / "history.json").stat().st_mtime_ns == modified
    assert runs["bilevel1"][0].to_dict() == ran.to_dict()
    second = SearchPanel(**settings)
    second.run()
    assert second.wait().to_dict() == ran.to_dict() and f"kept in {folder}" in second.status.value
    assert points(second) == points(first) > 0
    other = SearchPanel(**{**settings, "arch_lr": 1e-2})  # other settings: searched, the kept run untouched
    other.run()
    assert other.wait().config["hyper"]["arch_lr"] == 1e-2 and "kept in" not in other.status.value
    assert (folder / "history.json").stat().st_mtime_ns == modified


def test_the_relaxation_control_runs_a_sigmoid_search_kept_apart_where_the_factor_study_keeps_it(tmp_path):
    """Sigmoid runs go to ``runs/sigmoid`` (the factor study's layout, found there finished); their
    plot leaves out ``none``, whose sigmoid weight never moves."""
    settings = dict(preset="laptop", optimizer="alternating", relaxation="sigmoid",
                    epochs=2, seed=3, C=4, N=1, runs=tmp_path)
    panel = SearchPanel(**settings)
    assert panel.relaxation.value == "sigmoid" and SearchPanel(preset="laptop").relaxation.value == "softmax"
    panel.run()
    h = panel.wait()
    assert h.config["activation"] == "sigmoid" and h.config["optimizer"] == "alternating"
    assert (tmp_path / "sigmoid" / "alternating-steps" / "seed3" / "history.json").is_file()
    assert not (tmp_path / "alternating-steps").exists()
    names = {t.name for t in panel.figure.data}
    assert "none" not in names and {"skip_connect", "parameter-free"} <= names
    _, runs = study(["alternating"], seeds=1, first_seed=3, preset="laptop", out=tmp_path / "sigmoid",
                    budgets=["steps"], activation="sigmoid", epochs=2, C=4, N=1, progress=False)
    assert runs["alternating-steps"][0].to_dict() == h.to_dict()
    panel.relaxation.value = "softmax"
    assert panel.config().activation == "softmax"
