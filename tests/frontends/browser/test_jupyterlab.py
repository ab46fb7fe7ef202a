"""Notebook 02 in a real browser: JupyterLab driven by headless Chromium through Playwright.

nbval proves the notebooks execute; this proves a learner *sees* them: the widget panel renders
(no "Error displaying widget"), the plotly FigureWidget draws traces that grow when Run is
clicked, and the graphviz cell shows an SVG.  A screenshot of the notebook after the run is saved
to ``tests/frontends/browser/output/02_single_vs_bilevel.png``.  Run with ``make test-browser``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
OUTPUT = Path(__file__).resolve().parent / "output"
CHROMIUM = os.environ.get("SDARTS_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)",
                allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a free loopback port with a token; always shut down.  It serves a copy
    of the notebooks: JupyterLab saves what it runs, and the committed notebooks must not change."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns("runs"))
    shutil.copytree(ROOT / "assets", work / "assets")  # the committed study that notebook 02 reads
    # The panels search 8 epochs instead of the preset's 30, and keep no runs (so that Run below searches
    # again instead of showing the kept run): this test is about what the browser shows (nbval runs
    # the notebook in full), and a shorter search keeps it within minutes.
    copy = work / "notebooks" / "02_single_vs_bilevel.ipynb"
    nb = json.loads(copy.read_text())
    for cell in nb["cells"]:
        cell["source"] = [line.replace(', runs="runs/fashion")\n', ', epochs=8)\n')
                          if " = SearchPanel(" in line else line for line in cell["source"]]
    assert json.dumps(nb).count("epochs=8") == 2, "notebook 02 no longer builds two panels this way"
    copy.write_text(json.dumps(nb))
    port, token = free_port(), secrets.token_hex(16)
    # One torch thread in the kernel: beside Chromium and the server on a small machine, two
    # threads spin-waiting for each other make every step many times slower.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "jupyterlab.log", "w"))
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "jupyterlab.log").read_text()
                assert time.time() < deadline, "JupyterLab did not start within 60 s"
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


POINTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .map(gd => (gd._fullData || []).reduce((n, t) => n + ((t.x || t.z || []).length || 0), 0))"""
# The same, for the panels' live figures only (FigureWidgets, inside the panels' boxes).
LIVE = POINTS.replace("'.js-plotly-plot'", "'.widget-vbox .js-plotly-plot'")


def test_notebook_02_renders_and_runs_in_jupyterlab(jupyterlab, tmp_path):
    base, token = jupyterlab
    committed = (ROOT / "notebooks" / "02_single_vs_bilevel.ipynb").read_bytes()
    OUTPUT.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(  # a fresh user data dir
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": 1400, "height": 1000})
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base}/lab/tree/notebooks/02_single_vs_bilevel.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            select = page.locator(".jp-Dialog button:has-text('Select')")  # the kernel picker, if asked
            try:
                select.wait_for(timeout=15_000)
                select.click()
            except playwright.TimeoutError:
                pass
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)

            page.click(".lm-MenuBar-item:has-text('Run')")
            page.click(".lm-Menu-item:has-text('Run All Cells')")
            page.wait_for_selector(".widget-button:has-text('Run')", timeout=90_000)
            # Run All ends when the last code cell has an execution count and the kernel is idle again
            page.wait_for_function(
                """() => { const p = document.querySelectorAll('.jp-CodeCell .jp-InputPrompt');
                           return p.length && /\\[\\d+\\]/.test(p[p.length - 1].textContent); }""",
                timeout=300_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)

            text = page.inner_text(".jp-Notebook")
            assert "Error displaying widget" not in text
            assert page.locator(".widget-vbox .widget-dropdown").count() >= 2  # two panels' controls
            counts = page.evaluate(POINTS)
            # two live alpha plots and the static figures have points; the panels' lambda_max plots
            # have none, since the fashion preset measures lambda_max only when asked
            assert sum(n > 0 for n in counts) >= 3, counts
            # the graphviz cell: JupyterLab shows image/svg+xml output as an SVG image
            svg = page.locator(".jp-RenderedSVG img[src^='data:image/svg+xml'], .jp-RenderedSVG svg")
            assert svg.count() >= 1 and svg.first.bounding_box()["width"] > 100

            live_before = page.evaluate(LIVE)[0]
            page.locator(".widget-button:has-text('Run')").first.click()
            samples = []
            deadline = time.time() + 120
            while time.time() < deadline:
                samples.append(page.evaluate(LIVE)[0])
                if any(0 < n < samples[-1] for n in samples):  # points drawn, then more (one per epoch)
                    break
                time.sleep(1)
            assert any(0 < n < samples[-1] for n in samples), samples  # the live plot grows after Run
            page.locator(".widget-button:has-text('Stop')").first.click()
            page.screenshot(path=str(OUTPUT / "02_single_vs_bilevel.png"), full_page=True)
            assert live_before > 0
        except Exception:
            page.screenshot(path=str(OUTPUT / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert (OUTPUT / "02_single_vs_bilevel.png").stat().st_size > 10_000
    assert (ROOT / "notebooks" / "02_single_vs_bilevel.ipynb").read_bytes() == committed
