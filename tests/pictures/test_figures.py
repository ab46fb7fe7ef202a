import shutil
from pathlib import Path

import numpy as np
import pytest

from sdarts_lite import (
    DARTS_V2,
    EDGES,
    NB201_OPS,
    History,
    alpha_figure,
    cell_graph,
    collapse_figure,
    compare_figure,
    sharpness_figure,
    show_cell,
    study_figure,
)
from sdarts_lite.analysis.measures import measures, param_free_edges, param_free_share
from sdarts_lite.pictures.cell_drawings import layout_program
from sdarts_lite.pictures.figures import WEIGHT_AXIS, alpha_series
from sdarts_lite.run.history import EpochRecord, StepRecord

CELL = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def history(shares, lambdas=None):
    """A hand-made history whose every edge puts ``share`` on skip_connect, the rest on conv 3x3."""
    epochs = []
    for e, share in enumerate(shares):
        row = [0.0, share, 0.0, 1 - share, 0.0]
        genotype = "+".join("|" + "|".join(f"{'skip_connect' if share > 0.5 else 'nor_conv_3x3'}~{i}"
                                           for i in range(j)) + "|" for j in (1, 2, 3))
        epochs.append(EpochRecord(e, [row] * 6, 1.0, 50.0, 1.0, 50.0, genotype, e + 1.0, 0.01,
                                  alpha_loss=1.0, alpha_grad_norm=0.1, alpha_step=0.01,
                                  lambda_max=lambdas[e] if lambdas else None))
    return History(config={"optimizer": "single", "space": "nb201", "seed": 0}, ops=list(NB201_OPS),
                   edges=[list(e) for e in EDGES], epochs=epochs,
                   genotype=epochs[-1].genotype)


def test_measures_and_collapse_figure_follow_the_alphas():
    h = history([0.2, 0.6, 0.9])
    assert [round(s, 6) for s in param_free_share(h)] == [0.2, 0.6, 0.9]
    assert [round(d, 6) for d in h.decisiveness()] == [0.8, 0.6, 0.9]  # the larger of share, 1 - share
    assert param_free_edges(h) == [0, 6, 6]
    fig = collapse_figure({"a": [h, history([0.1, 0.1, 0.1])]})
    means = [t for t in fig.data if t.name and "mean" in t.name]
    assert [round(y, 6) for y in means[0].y] == [0.15, 0.35, 0.5]
    edges_mean = [t for t in fig.data if t.xaxis == "x2" and t.line.width == 3][0]
    assert list(edges_mean.y) == [0, 3, 3]


def test_collapse_figure_draws_a_study_summarys_records():
    """From the records a study keeps (no histories): the same numbers, worked out by hand."""
    runs = [history([0.2, 0.6, 0.9]), history([0.1, 0.1, 0.1])]
    fig = collapse_figure({"a": [measures(h) for h in runs]})
    assert len(fig.data) == 8  # per panel: two seeds, their band and their mean
    band = [t for t in fig.data if t.fill == "toself"][0]  # mean ± population s.d.: 0.15 ± 0.05, ...
    assert [round(y, 6) for y in band.y] == [0.2, 0.6, 0.9, 0.1, 0.1, 0.1]
    lines = {round(shape.y0, 6) for shape in fig.layout.shapes}
    assert lines == {0.6, 3.6}  # uniform alpha (3 of 5 ops parameter-free) and chance edges (6 x 3/5)
    means = [t for t in fig.data if t.name and "mean" in t.name]
    assert [round(y, 6) for y in means[0].y] == [0.15, 0.35, 0.5]
    edges_mean = [t for t in fig.data if t.xaxis == "x2" and t.line.width == 3][0]
    assert list(edges_mean.y) == [0, 3, 3]


def test_step_records_sit_at_their_place_within_the_epoch():
    h = history([0.2, 0.4])
    h.steps_per_epoch = 10
    h.steps = [StepRecord(e, s, [[0.0, 0.5, 0.0, 0.5, 0.0]] * 6) for e in (0, 1) for s in (0, 4, 8)]
    xs, series = alpha_series(h)
    assert xs == [0, 0.4, 0.8, 1, 1, 1.4, 1.8, 2]  # epoch records sit at the epoch's end
    assert series["skip_connect"][1] == 0.5 and round(series["skip_connect"][-1], 9) == 0.4


def test_sigmoid_weights_are_plotted_and_measured_as_shares_of_the_edge():
    """Sigmoid rows do not sum to 1: plots and measures read each weight as its share of the row,
    one definition for both, and leave out ``none``, whose sigmoid weight never moves (0.5 here,
    which counted would put 0.5 / 3 on parameter-free operations that no search chose)."""
    h = history([0.2, 0.6])
    h.config["activation"] = "sigmoid"
    for r in h.epochs:  # none 0.5; the others 2w + 0.1, summing to 2.4: each share is (2w + 0.1) / 2.4
        r.mixing = [[0.5] + [2 * w + 0.1 for w in row[1:]] for row in r.mixing]
    _, series = alpha_series(h)
    assert "none" not in series and h.learned_ops == ["skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                                      "avg_pool_3x3"]
    assert [round(y, 9) for y in series["skip_connect"]] == [round(0.5 / 2.4, 9), round(1.3 / 2.4, 9)]
    assert [round(y, 9) for y in series["parameter-free"]] == [round(s, 9) for s in param_free_share(h)]
    # skip_connect, avg_pool_3x3: (2w + 0.1 + 0.1) / 2.4
    assert [round(y, 9) for y in series["parameter-free"]] == [round(0.6 / 2.4, 9), round(1.4 / 2.4, 9)]
    assert [round(d, 9) for d in h.decisiveness()] == [round(1.7 / 2.4, 9), round(1.3 / 2.4, 9)]
    title = alpha_figure(h).layout.yaxis.title.text
    assert title == WEIGHT_AXIS and "share" in title and "softmax" not in title
    assert alpha_figure(h).layout.title.text == "single-level (Single-DARTS) — mean over edges"
    h.config["activation"] = "softmax"  # under the softmax none is read like any operation
    assert "none" in alpha_series(h)[1]
    assert round(param_free_share(h)[0], 9) == round((0.5 + 0.5 + 0.1) / 2.9, 9)


def test_study_figure_under_the_rule_without_none_has_its_references_and_a_live_panel():
    cell = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    runs = {"single": [{"param_free_edges": 2, "live_param_ops": 4, "cifar10": 93.0}],
            "bilevel1": [{"param_free_edges": 5, "live_param_ops": 1, "cifar10": 60.0}]}
    for r in runs["single"] + runs["bilevel1"]:
        r.update(genotype=cell, edges=6, exclude_none=True)
    fig = study_figure({"seeds": 1, "runs": runs})
    assert {(t.xaxis, t.y[0]) for t in fig.data} == {("x", 2), ("x", 5), ("x2", 4), ("x2", 1), ("x3", 93.0),
                                                     ("x3", 60.0)}
    # chance without none: 6 x 2/4 = 3.0; a random cell of the 4,096 without none: median 91.39
    assert sorted(round(s.y0, 2) for s in fig.layout.shapes) == [3.0, 54.3, 91.39, 94.37]


def test_study_figure_shows_every_seed_of_every_mode_in_its_colour_and_name():
    cell = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    runs = {"single": [{"param_free_edges": 1, "cifar10": 93.0}, {"param_free_edges": 2, "cifar10": 91.0}],
            "bilevel1": [{"param_free_edges": 5, "cifar10": 60.0}, {"param_free_edges": 6, "cifar10": 54.3}]}
    for r in runs["single"] + runs["bilevel1"]:
        r.update(genotype=cell, edges=6)
    fig = study_figure({"seeds": 2, "runs": runs})
    single, bilevel = "single-level (Single-DARTS)", "bi-level, 1st order (DARTS-V1)"
    boxes = {(t.name, t.xaxis): list(t.y) for t in fig.data}
    assert boxes == {(single, "x"): [1, 2], (bilevel, "x"): [5, 6],
                     (single, "x2"): [93.0, 91.0], (bilevel, "x2"): [60.0, 54.3]}
    assert {t.name: t.marker.color for t in fig.data} == {single: "#1565c0", bilevel: "#6a1b9a"}
    # chance edges, all-skip, a random cell's median (all 15,625: none may win), optimum
    assert sorted(round(s.y0, 2) for s in fig.layout.shapes) == [3.6, 54.3, 90.75, 94.37]
    one = {"param_free_edges": 1, "genotype": cell, "edges": 6}
    alone = study_figure({"seeds": 1, "runs": {"single": [one]}})
    assert len(alone.data) == 1


def test_compare_figure_has_a_panel_per_run_and_the_parameter_free_line():
    fig = compare_figure({"one": history([0.2, 0.4]), "two": history([0.3, 0.3])})
    free = [t for t in fig.data if t.name == "parameter-free"]
    assert len(free) == 2 and [round(y, 6) for y in free[0].y] == [0.2, 0.4]
    # the share has the row below to itself, so each row's axis fits its own lines
    assert [t.yaxis for t in free] == ["y3", "y4"]
    assert {t.yaxis for t in fig.data if t.name == "skip_connect"} == {"y", "y2"}
    assert fig.layout.yaxis.range is None and fig.layout.yaxis3.range is None


def test_cell_graph_labels_every_edge_and_marks_parameter_free_ops():
    src = cell_graph({"found": CELL}).source
    for op in ("nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "none"):
        assert f"label={op}" in src
    assert src.count("style=dashed") == 2 and src.count("style=dotted") == 1
    assert 'label="found\n3 with parameters reach the output"' in src  # conv 0->1, 1->3, 2->3


def test_show_cell_without_any_layout_program_prints_a_hint_and_the_source(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    assert show_cell(CELL) is None
    out = capsys.readouterr().out
    assert "pip install graphviz-pure" in out.splitlines()[0] and "digraph" in out


@pytest.mark.parametrize("program", ["dot", "graphviz-pure"])
def test_show_cell_draws_svg_with_system_dot_and_with_dot_hidden(program, monkeypatch, path_without_dot):
    """With graphviz's ``dot`` it lays out the cell; with ``dot`` hidden from PATH, graphviz-pure does."""
    if program == "dot" and shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed")
    if program == "graphviz-pure":
        monkeypatch.setenv("PATH", path_without_dot)
    assert Path(layout_program()).name == program
    for cells, labels in ((CELL, ["nor_conv_3x3", "avg_pool_3x3"]),
                          (DARTS_V2, ["sep_conv_3x3", "reduce cell"])):
        drawing = show_cell(cells)
        svg = drawing._repr_svg_()
        assert svg.lstrip().startswith("<?xml") and svg.rstrip().endswith("</svg>")
        assert all(label in svg for label in labels)
        assert drawing.svg_element().startswith("<svg") and "<path" in svg  # edges drawn, not only text


def test_sharpness_figure_follows_lambda_max_and_pairs_it_with_the_share():
    """From histories or from a study's records alike: the mean over seeds where every seed was
    measured, and one dot per measured epoch at (parameter-free share, lambda_max)."""
    a, b = history([0.2, 0.4, 0.8], [0.1, None, 0.5]), history([0.2, 0.2, 0.2], [0.3, None, 0.7])
    fig = sharpness_figure({"bi-level": [a, b]})
    mean = [t for t in fig.data if t.name == "bi-level (mean of 2 seeds, band ± 1 s.d.)"][0]
    assert list(mean.y)[0] == pytest.approx(0.2) and list(mean.y)[1] is None and list(mean.y)[2] == 0.6
    dots = [t for t in fig.data if t.mode == "markers"][0]
    pairs = sorted(zip(dots.y, dots.x))
    assert [y for y, _ in pairs] == [0.1, 0.3, 0.5, 0.7]
    assert [x for _, x in pairs] == pytest.approx([0.2, 0.2, 0.8, 0.2])
    records = sharpness_figure({"bi-level": [measures(a), measures(b)]})  # as a study keeps them
    mean = [t for t in records.data if t.name == "bi-level (mean of 2 seeds, band ± 1 s.d.)"][0]
    assert list(mean.y)[0] == pytest.approx(0.2) and list(mean.y)[1] is None and list(mean.y)[2] == 0.6
    pairs = sorted(zip([t for t in records.data if t.mode == "markers"][0].y,
                       [t for t in records.data if t.mode == "markers"][0].x))
    assert [y for y, _ in pairs] == [0.1, 0.3, 0.5, 0.7]
    assert [x for _, x in pairs] == pytest.approx([0.2, 0.2, 0.8, 0.2])


def test_the_image_grid_shows_each_class_in_its_named_row():
    from sdarts_lite import images_figure, load_dataset

    data = load_dataset("digits")
    fig = images_figure(data, per_class=3)
    (heatmap,) = fig.data
    z = np.array(heatmap.z)[::-1]  # plotly's rows run upwards; top row first again
    assert z.shape == (10 * 8, 3 * 8)
    for label in (0, 7):
        first = data.search_x[data.search_y == label][0, 0].numpy()
        assert (z[8 * label:8 * label + 8, :8] == first).all()
    assert list(fig.layout.yaxis.ticktext)[::-1] == [str(k) for k in range(10)]
