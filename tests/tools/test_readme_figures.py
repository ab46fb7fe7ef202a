"""``make figures``' code writes valid, small PNGs, and they are the figures the README shows.

A tiny search stands in for the fashion preset's (seconds instead of minutes); the study's figures
come from the committed summaries as in ``make figures``.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tools.readme_figures import FACTORS, STUDY, write_figures

ROOT = Path(__file__).resolve().parents[2]
if not (os.environ.get("SDARTS_CHROMIUM") or shutil.which("chromium") or shutil.which("google-chrome")):
    pytest.skip("plotly's static export needs Chromium (apt-get install chromium)", allow_module_level=True)


def test_figures_are_small_valid_pngs_and_the_ones_the_readme_shows(tmp_path, one_thread):
    paths = write_figures(tmp_path / "figures", ROOT / STUDY, preset="digits", runs=tmp_path / "runs",
                          factors=ROOT / FACTORS, epochs=2, C=4)
    assert len(paths) == 6
    for path in paths:
        with Image.open(path) as image:
            image.verify()  # chunk structure and checksums
        with Image.open(path) as image:
            assert image.format == "PNG" and 500 <= image.width <= 2000 and 200 <= image.height <= 1500
            grey = image.convert("L")
            low, high = grey.getextrema()
            assert high - low > 100, f"{path.name} is blank"
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 20, f"{path.name}: no drawing"
        assert 10_000 < path.stat().st_size < 200_000, (path.name, path.stat().st_size)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]  # the front page, and the reference
    shown = {name for page in pages for name in re.findall(r"\]\((?:\.\./)?assets/figures/([\w.-]+\.png)\)",
                                                           page.read_text())}
    assert sorted(shown) == sorted(p.name for p in paths)
    assert "lesson.png" in (ROOT / "README.md").read_text()  # the lesson over all seeds, on top
    for name in shown:
        assert (ROOT / "assets" / "figures" / name).stat().st_size < 200_000, name
