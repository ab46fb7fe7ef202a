"""The static book (``make book``) in headless Chromium: every page loads with no JavaScript error
and no request leaving the machine, every notebook page draws a plotly figure with points, and the
cells are drawn as SVG graphs (SVG images with their edges, drawn at their width): with graphviz's
``dot`` in the book ``make book`` built, and with ``dot`` hidden from PATH in a book of notebook
04 built here.

The first test reads ``build/book`` (or ``$SDARTS_BOOK``): run ``make book`` first.  It is skipped
when there is no book, except in CI (``CI`` set), where ``.ci/run`` builds the book first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BOOK = Path(os.environ.get("SDARTS_BOOK", ROOT / "build" / "book"))
CHROMIUM = os.environ.get("SDARTS_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)",
                allow_module_level=True)

DRAWN = """() => ({
    points: Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => (gd._fullData || [])
        .reduce((n, t) => n + ((t.x || t.y || []).length || 0), 0)),
    cells: Array.from(document.querySelectorAll('.jp-RenderedSVG img')).map(img => ({
        svg: img.src.startsWith('data:image/svg+xml;base64,'),
        edges: new DOMParser().parseFromString(atob(img.src.split(',')[1]), 'image/svg+xml')
            .querySelectorAll('g.edge path').length,
        width: img.naturalWidth})),
    links: Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href')),
})"""


def graphs(cells: list[dict]) -> bool:
    """Every cell output is an SVG image of a graph (a cell has at least 6 edges), drawn."""
    return bool(cells) and all(c["svg"] and c["edges"] >= 6 and c["width"] > 100 for c in cells)


def draws_cells(notebook: Path) -> bool:
    return any("show_cell(" in "".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])


def open_pages(pages: list[Path]) -> dict[str, dict]:
    """What each page draws, with the console errors, page errors and outside requests it made."""
    seen = {}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            for path in pages:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                errors, outside = [], []
                page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.route("**/*", lambda route, outside=outside: route.continue_()
                           if route.request.url.startswith(("file:", "data:", "about:"))
                           else (outside.append(route.request.url), route.abort()))
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_timeout(500)  # plotly draws on load; errors it raises arrive just after
                seen[path.name] = {**page.evaluate(DRAWN), "errors": errors, "outside": outside}
                page.close()
        finally:
            browser.close()
    return seen


def test_every_page_of_the_book_loads_cleanly_and_draws_figures_and_cells():
    if not (BOOK / "index.html").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"no book at {BOOK}: .ci/run builds it with make book before the tests")
        pytest.skip(f"no book at {BOOK} (make book)")
    docs = sorted((ROOT / "docs").glob("*.md"))  # the reference pages, rendered beside the notebooks
    pages = open_pages([BOOK / "index.html"] + [BOOK / f"{p.stem}.html" for p in [*NOTEBOOKS, *docs]])
    assert pages["index.html"]["links"] == [f"{p.stem}.html" for p in [*NOTEBOOKS, *docs]]
    for name, seen in pages.items():
        assert seen["errors"] == [] and seen["outside"] == [], (name, seen["errors"], seen["outside"])
    for nb in NOTEBOOKS:
        seen = pages[f"{nb.stem}.html"]
        assert seen["points"] and max(seen["points"]) > 0, f"{nb.stem}: no plotly figure with points"
        if draws_cells(nb):
            assert graphs(seen["cells"]), (nb.stem, seen["cells"])


def test_notebook_04_draws_its_cells_as_svg_graphs_with_dot_hidden(tmp_path, path_without_dot):
    """From a copy of the notebook, so that the searches it runs land in no runs/ that nbval reuses
    (with a copy of the runs the notebooks already made, which it reads instead of searching again)."""
    assert shutil.which("dot", path=path_without_dot) is None
    notebook = tmp_path / "notebooks" / "04_deriving_and_drawing_cells.ipynb"
    notebook.parent.mkdir()
    if (ROOT / "notebooks" / "runs").is_dir():
        shutil.copytree(ROOT / "notebooks" / "runs", notebook.parent / "runs")
    shutil.copy(ROOT / "notebooks" / notebook.name, notebook)
    (tmp_path / "assets").symlink_to(ROOT / "assets")  # the committed study it reads, at ../assets
    proc = subprocess.run(
        [sys.executable, "-m", "tools.book", str(notebook), "--out", str(tmp_path / "book"),
         "--executed", str(tmp_path / "executed")],
        cwd=ROOT, env={**os.environ, "PATH": path_without_dot, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = open_pages([tmp_path / "book" / f"{notebook.stem}.html"])[f"{notebook.stem}.html"]
    assert seen["errors"] == [] and seen["outside"] == [], seen
    assert graphs(seen["cells"]), seen["cells"]
