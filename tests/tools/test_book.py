"""The book's parts without a browser: a tiny notebook built for real (a kernel runs it), the
check of checked outputs, and math outside code only.  ``tests/frontends/browser/test_book.py`` opens the
real book's pages."""

import json
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools.book import build, figures_of, mismatches, with_mathml


def printed(source: str, text: str):
    return new_code_cell(source, outputs=[new_output("stream", name="stdout", text=text)])


def test_a_figure_widget_is_drawn_with_the_traces_added_after_it_was_shown(tmp_path):
    """Its saved widget state holds none of them: the page must show the kernel's last figure (read
    from the kernel's objects, among them a dead weak proxy, as torch leaves some)."""
    nb = new_notebook(cells=[
        new_markdown_cell("# A tiny book\n\nweights $\\alpha_{i,j}$"),
        new_code_cell("import ipywidgets, plotly.graph_objects as go\n"
                      "fw = go.FigureWidget()\nipywidgets.VBox([ipywidgets.Button(description='Go'), fw])"),
        new_code_cell("fw.add_scatter(x=[1, 2, 3], y=[4, 5, 6], name='added later')"),
        new_code_cell("import collections, weakref\ndead = weakref.proxy(collections.OrderedDict())"),
    ])
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    build([path], tmp_path / "book", tmp_path / "executed")
    page = (tmp_path / "book" / "01_tiny.html").read_text()
    assert "<title>A tiny book</title>" in page and "<math" in page and "cdn" not in page.lower()
    assert re.search(r"<button disabled[^>]*>Go</button>", page)  # the widget at its last state
    plots = [json.JSONDecoder().raw_decode(page, m.end())[0]  # each figure's list of traces
             for m in re.finditer(r'Plotly\.newPlot\(\s*"[\w-]+",\s*', page)]
    assert [trace["y"] for trace in plots[0]] == [[4, 5, 6]] and plots[0][0]["name"] == "added later"
    assert (tmp_path / "book" / "plotly.min.js").stat().st_size > 1_000_000
    assert "01_tiny.html" in (tmp_path / "book" / "index.html").read_text()


def test_check_reports_a_checked_output_that_differs_and_ignores_unchecked_ones():
    def notebook(checked: str, unchecked: str):
        return new_notebook(cells=[printed("# NBVAL_CHECK_OUTPUT\nprint(x)", checked),
                                   printed("print(y)", unchecked)])

    committed, same, differs = notebook("1\n", "a\n"), notebook("1\n", "b\n"), notebook("1.0\n", "b\n")
    assert mismatches(committed, same) == []
    assert mismatches(committed, differs) == ["cell 0: expected '1\\n', got '1.0\\n'"]


def test_math_outside_code_becomes_mathml_and_code_keeps_its_dollars():
    out = with_mathml("the weight $\\alpha$, `$SDARTS_DATA`, costs $5 and $6\n\n$$x_j = \\sum_i o(x_i)$$\n"
                      "```bash\necho $HOME $PATH\n```")
    assert out.count("<math") == 2 and 'display="block"' in out
    assert "`$SDARTS_DATA`" in out and "echo $HOME $PATH" in out


def test_the_reference_pages_are_rendered_beside_the_notebooks_with_links_to_their_pages(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "setup.md").write_text("# Setup\n\nSee [usage](usage.md#api) and "
                                   "[01](../notebooks/01_tiny.ipynb); $\\alpha$\n")
    (docs / "usage.md").write_text("# Usage\n")
    nb = new_notebook(cells=[new_markdown_cell("# Tiny")])
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    build([path], tmp_path / "book", tmp_path / "executed", docs=docs)
    page = (tmp_path / "book" / "setup.html").read_text()
    assert 'href="usage.html#api"' in page and 'href="01_tiny.html"' in page and "<math" in page
    index = (tmp_path / "book" / "index.html").read_text()
    assert "href='setup.html'" in index and "href='usage.html'" in index


def test_the_gallery_takes_every_drawn_figure_under_its_heading_and_leaves_empty_ones_out():
    figure = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}}
    empty = {"data": [{"type": "scatter", "x": [], "y": []}], "layout": {}}
    plot = {"output_type": "display_data", "metadata": {}, "data": {"application/vnd.plotly.v1+json": figure}}
    nb = new_notebook(cells=[
        new_markdown_cell("## First\n\ntext"),
        new_code_cell("x", outputs=[plot, {**plot, "data": {"application/vnd.plotly.v1+json": empty}}]),
        new_markdown_cell("## Second"),
        new_code_cell("y", outputs=[{"output_type": "display_data", "metadata": {},
                                     "data": {"image/svg+xml": "<svg></svg>"}}]),
    ])
    nb = nbformat.from_dict(nb)
    assert figures_of(nb) == [("First", "png", figure), ("Second", "svg", "<svg></svg>")]
