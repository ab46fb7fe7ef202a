"""The static book: the numbered notebooks executed and rendered as HTML pages, with an index page
linking them in order. It builds offline, from what pip installed: plotly.js is copied from the
plotly package beside the pages, math becomes MathML, and widgets are drawn from their last state as
plain HTML (a FigureWidget as a plain plotly figure of its last data).

``python -m tools.book`` (``make book``) executes every notebook, keeps the executed
copies in ``build/executed/`` and writes ``build/book/``, with the reference pages of ``docs/``
beside them; ``--no-execute`` renders from the kept copies; ``--check`` fails when a cell marked
``# NBVAL_CHECK_OUTPUT`` prints other than its committed output; ``--gallery`` also writes every
figure and cell drawing of the executed notebooks to ``notebooks/figures/`` (``make gallery``), so
that a reader browsing the repository sees them (committed notebooks keep only checked outputs).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import plotly
import plotly.io as pio
from jinja2 import DictLoader
from latex2mathml.converter import convert as tex_to_mathml
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune

PLOTLY = "application/vnd.plotly.v1+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
# Run after the notebook's own cells: a FigureWidget's saved state keeps the traces it was created
# with, not those added while it was live, so its last figure is read from the kernel.  type(), not
# isinstance(): isinstance raises on the dead weak proxies that torch leaves among the objects.
FIGURE_WIDGETS = """\
import gc, json, plotly.graph_objects
print(json.dumps({w.model_id: json.loads(w.to_json()) for w in gc.get_objects()
                  if issubclass(type(w), plotly.graph_objects.FigureWidget)}))"""
MATH = re.compile(r"\$\$(.+?)\$\$|\$([^\s$](?:[^$]*?[^\s$])?)\$", re.S)
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
PAGE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}
<script src="plotly.min.js"></script>
{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style>
nav.book { font-family: sans-serif; padding: 8px 16px; border-bottom: 1px solid #ddd; }
nav.book a { margin-right: 2em; }
.book-widget { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 2px 0;
               font-family: sans-serif; font-size: 13px; }
.book-widget.column { flex-direction: column; align-items: stretch; }
.book-widget.row > .book-widget.column { flex: 1 1 0; min-width: 0; }
math { font-size: 1.25em; }
</style>{% endblock extra_css %}
{%- block body_header -%}{{ super() }}<nav class="book">{{ resources.nav }}</nav>{%- endblock body_header -%}
"""


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed in its folder, each FigureWidget's last figure kept in its
    metadata, and anywidget's JavaScript (5 MB per widget, not drawn here) dropped from the state."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(FIGURE_WIDGETS))
    NotebookClient(nb, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    dump = nb.cells.pop()
    nb.metadata["figure_widgets"] = json.loads(stdout(dump))
    for model in nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {}).values():
        model["state"].pop("_esm", None)
    return nb


def stdout(cell) -> str:
    return "".join(o.text for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.name == "stdout")


def mismatches(committed: nbformat.NotebookNode, executed: nbformat.NotebookNode) -> list[str]:
    """The cells marked ``# NBVAL_CHECK_OUTPUT`` whose printed output differs from the committed one
    (what nbval --nbval-lax compares)."""
    return [f"cell {k}: expected {stdout(a)!r}, got {stdout(b)!r}"
            for k, (a, b) in enumerate(zip(committed.cells, executed.cells))
            if a.cell_type == "code" and a.source.startswith(CHECK_MARK) and stdout(a) != stdout(b)]


def with_mathml(markdown: str) -> str:
    """``$...$`` and ``$$...$$`` outside code as MathML, which browsers draw without a script."""
    parts = CODE.split(markdown)
    for k in range(0, len(parts), 2):
        parts[k] = MATH.sub(lambda m: tex_to_mathml(m[1], display="block") if m[1] else tex_to_mathml(m[2]),
                            parts[k])
    return "".join(parts)


def plotly_html(figure: dict) -> str:
    return pio.to_html(figure, include_plotlyjs=False, full_html=False, validate=False)


def widget_html(model_id: str, state: dict, figures: dict) -> str:
    """A widget drawn from its last state: boxes as rows or columns of their children, controls
    disabled at their last value, a FigureWidget as a plotly figure."""
    model = state.get(model_id)
    if model is None:
        return ""
    name, s = model["model_name"], model["state"]
    label = f"<label>{html.escape(s['description'])}</label>" if s.get("description") else ""
    if name in ("HBoxModel", "VBoxModel", "BoxModel"):
        kind = "column" if name == "VBoxModel" else "row"
        children = "".join(widget_html(c.removeprefix("IPY_MODEL_"), state, figures) for c in s["children"])
        return f"<div class='book-widget {kind}'>{children}</div>"
    if model_id in figures:
        return f"<div class='book-widget'>{plotly_html(figures[model_id])}</div>"
    if name in ("DropdownModel", "SelectModel", "RadioButtonsModel", "ToggleButtonsModel"):
        index, options = s.get("index"), s.get("_options_labels", [])
        chosen = html.escape(options[index]) if index is not None else ""
        return f"<span class='book-widget'>{label}<select disabled><option>{chosen}</option></select></span>"
    if name == "ButtonModel":
        return f"<button disabled>{html.escape(s.get('description', ''))}</button>"
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{label} {s.get('value', '')}</div>"
    if name in ("IntProgressModel", "FloatProgressModel"):
        bar = f"<progress value='{s['value']}' max='{s['max']}'></progress>"
        return f"<span class='book-widget'>{label}{bar}</span>"
    if "value" in s:
        return (f"<span class='book-widget'>{label}"
                f"<input disabled value='{html.escape(str(s['value']), quote=True)}'></span>")
    return f"<span class='book-widget'>{label}</span>"


def page(nb: nbformat.NotebookNode, name: str, nav: str, exporter: HTMLExporter) -> str:
    """The HTML page of an executed notebook, titled ``name``, ``nav`` above it."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = name
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    figures = nb.metadata.pop("figure_widgets", {})
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = with_mathml(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY in data:
                output.data = {"text/html": plotly_html(data[PLOTLY])}
            elif WIDGET_VIEW in data:
                output.data = {"text/html": widget_html(data[WIDGET_VIEW]["model_id"], state, figures)}
    body, _ = exporter.from_notebook_node(nb, resources={"nav": nav})
    return body


def title(nb: nbformat.NotebookNode, path: Path) -> str:
    """The notebook's first heading, else its file name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return path.stem


def doc_page(path: Path, nav: str) -> str:
    """A ``docs/`` page as HTML: links to other pages, to notebooks and to the README point at their
    book pages, and its figures at the copies beside it."""
    text = re.sub(r"\]\(\.\./README\.md", "](index.html", path.read_text())
    text = re.sub(r"\]\((?:\.\./notebooks/)?(\w+)\.(?:md|ipynb)", r"](\1.html", text)
    text = text.replace("](../assets/figures/", "](figures/")  # copied beside the pages by build()
    body = markdown2html_mistune(with_mathml(text))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(path.stem)}</title></head>"
            "<body style='font-family:sans-serif;max-width:60em;margin:1em auto'>"
            f"<nav class='book'>{nav}</nav>"
            f"{body}</body></html>")


def source_hash(path: Path) -> str:
    """A notebook's cells' sources, hashed: what a gallery was drawn from."""
    nb = nbformat.read(path, as_version=4)
    return hashlib.sha256("\n".join(c.source for c in nb.cells).encode()).hexdigest()[:16]


def figures_of(nb: nbformat.NotebookNode) -> list[tuple[str, str, object]]:
    """Each figure an executed notebook shows, in order: (heading above it, "png" or "svg", the
    figure): plotly figures, FigureWidgets at their last state, and SVG drawings; figures with no
    point to show are left out."""
    heading, found = "", []
    widgets = nb.metadata.get("figure_widgets", {})
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines()
                            if line.startswith("#")), heading)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY in data and drawn(data[PLOTLY]):
                found.append((heading, "png", data[PLOTLY]))
            elif "image/svg+xml" in data:
                found.append((heading, "svg", data["image/svg+xml"]))
            elif WIDGET_VIEW in data:
                state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
                inside = descendants(data[WIDGET_VIEW]["model_id"], state)
                found += [(heading, "png", widgets[m]) for m in inside if m in widgets and drawn(widgets[m])]
    return found


def drawn(figure: dict) -> bool:
    """Whether a plotly figure has any point to show (a panel's lambda_max plot may have none)."""
    return any(len(trace.get(axis) or []) for trace in figure.get("data", []) for axis in ("x", "y", "z"))


def descendants(model_id: str, state: dict) -> list[str]:
    """A widget and the widgets inside it, in order."""
    children = state.get(model_id, {}).get("state", {}).get("children", [])
    return [model_id] + [d for c in children for d in descendants(c.removeprefix("IPY_MODEL_"), state)]


def gallery(books: list[tuple[Path, nbformat.NotebookNode]], out: Path) -> None:
    """Every figure of the executed notebooks as files in ``out``, listed in ``out/README.md`` under
    each notebook's title, with the hash of the sources they were drawn from (a test compares it)."""
    import kaleido

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*_*.*"):
        old.unlink()
    lines = ["# Every notebook's figures", "",
             "What each notebook shows when run top to bottom, drawn by `make gallery` from the book's "
             "executed notebooks (committed notebooks keep only the outputs CI checks). Live widgets are "
             "shown at their last state.", ""]
    kaleido.start_sync_server(path=os.environ.get("SDARTS_CHROMIUM"), mathjax=False, silence_warnings=True)
    try:
        for path, nb in books:
            lines += [f"## [{title(nb, path)}](../{path.name})", "",
                      f"<!-- drawn from sources {source_hash(path)} -->", ""]
            for k, (heading, kind, figure) in enumerate(figures_of(nb), start=1):
                name = f"{path.stem[:2]}_{k:02d}.{kind}"
                if kind == "svg":
                    (out / name).write_text(figure if isinstance(figure, str) else "".join(figure))
                else:
                    height = figure.get("layout", {}).get("height") or 450
                    (out / name).write_bytes(kaleido.calc_fig_sync(figure, opts=dict(
                        format="png", width=900, height=height, scale=1)))
                lines += [f"![{heading or path.stem}, figure {k}]({name})", ""]
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
    (out / "README.md").write_text("\n".join(lines))


def build(notebooks: list[Path], out: Path, executed: Path, run: bool = True, check: bool = False,
          docs: Path | None = Path("docs"), figures: Path | None = None) -> None:
    """``out``: an index page, one page per notebook, from executed copies in ``executed`` (made
    first when ``run``), and one per page of ``docs``.  ``check``: fail when a checked output differs
    from the committed one.  ``figures``: a folder to draw every notebook's figures into (``gallery``)."""
    out.mkdir(parents=True, exist_ok=True)
    executed.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", out)
    exporter = HTMLExporter(template_file="book.html.j2", extra_loaders=[DictLoader({"book.html.j2": PAGE})],
                            exclude_input_prompt=True, exclude_output_prompt=True)
    books, failures = [], []
    for path in notebooks:
        copy_path = executed / path.name
        if run:
            started = time.perf_counter()
            nb = execute(path)
            nbformat.write(nb, copy_path)
            print(f"{path.name}: executed in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            nb = nbformat.read(copy_path, as_version=4)
        if check:
            failures += [f"{path.name} {m}" for m in mismatches(nbformat.read(path, as_version=4), nb)]
        books.append((path, nb))
    links = [(f"{path.stem}.html", title(nb, path)) for path, nb in books]
    for k, (path, nb) in enumerate(books):
        neighbours = ([("&larr;", links[k - 1])] if k else []) + (
            [("&rarr;", links[k + 1])] if k + 1 < len(links) else [])
        nav = "<a href='index.html'>contents</a>" + "".join(
            f"<a href='{href}'>{arrow} {html.escape(text)}</a>" for arrow, (href, text) in neighbours)
        (out / f"{path.stem}.html").write_text(page(nb, links[k][1], nav, exporter))
    pages = sorted(docs.glob("*.md")) if docs is not None and docs.is_dir() else []
    for doc in pages:
        (out / f"{doc.stem}.html").write_text(doc_page(doc, "<a href='index.html'>contents</a>"))
    figures_dir = docs.parent / "assets" / "figures" if docs is not None else None
    if pages and figures_dir.is_dir():
        shutil.copytree(figures_dir, out / "figures", dirs_exist_ok=True)
    items = "".join(f"<li><a href='{href}'>{html.escape(text)}</a></li>" for href, text in links)
    reference = "".join(f"<li><a href='{d.stem}.html'>{html.escape(d.stem)}</a></li>" for d in pages)
    (out / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>sdarts-lite: the notebooks</title>"
        "</head><body style='font-family:sans-serif;max-width:50em;margin:2em auto'>"
        "<h1>sdarts-lite: the notebooks</h1><p>Each notebook executed top to bottom, with its outputs.</p>"
        f"<ol>{items}</ol>" + (f"<h2>Reference</h2><ul>{reference}</ul>" if pages else "") + "</body></html>")
    if figures is not None:
        gallery(books, figures)
    if failures:
        sys.exit("checked outputs differ from the committed ones:\n" + "\n".join(failures))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.book",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    parser.add_argument("--out", type=Path, default=Path("build/book"))
    parser.add_argument("--executed", type=Path, default=Path("build/executed"),
                        help="where the executed copies are kept")
    parser.add_argument("--no-execute", dest="run", action="store_false",
                        help="render from the executed copies of an earlier build")
    parser.add_argument("--check", action="store_true",
                        help="fail when a checked output differs from the committed notebook's")
    parser.add_argument("--gallery", action="store_true",
                        help="also draw every figure into notebooks/figures/ (needs Chromium)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    started = time.perf_counter()
    build([p.resolve() for p in notebooks], args.out, args.executed, args.run, args.check,
          figures=Path("notebooks/figures") if args.gallery else None)
    print(f"{args.out}/index.html: {len(notebooks)} notebooks in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
