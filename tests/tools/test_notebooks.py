"""Committed notebooks keep only the small, deterministic outputs that nbval checks (the rule is in
``notebook_outputs.py``), and each one imports the package rather than redefining it."""

import json
import re
from pathlib import Path

import pytest

from tools.notebook_outputs import checked

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((Path(__file__).resolve().parents[2] / "notebooks" / "solutions").glob("*.ipynb"))


def test_the_numbered_notebooks_are_there():
    names = [p.stem for p in NOTEBOOKS]
    assert names[:4] == ["01_mixed_ops_and_supernet", "02_single_vs_bilevel",
                         "03_skip_connection_dominance", "04_deriving_and_drawing_cells"]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", n) for n in names)


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_committed_notebooks_keep_only_the_checked_outputs(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert any(checked(c) for c in code), f"{path.name} checks no output"
    assert "widgets" not in nb["metadata"], f"{path.name}: strip the saved widget state (make notebooks)"
    for count, cell in enumerate(code, start=1):
        assert cell["execution_count"] == (count if checked(cell) else None)
        assert "execution" not in cell["metadata"]
        if checked(cell):
            assert cell["outputs"], f"{path.name}: a checked cell lacks its expected output (make notebooks)"
            assert all(o["output_type"] == "stream" for o in cell["outputs"])
            assert sum(len("".join(o["text"])) for o in cell["outputs"]) < 4000
        else:
            assert cell["outputs"] == [], f"{path.name}: strip outputs (make notebooks)"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_notebooks_use_the_package_and_define_nothing_of_their_own(path):
    """Only an exercise's answer is the notebook's own: a function its cell hands to a check."""
    nb = json.loads(path.read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert "sdarts_lite" in "\n".join(cells)
    for code in cells:
        defined = re.findall(r"^\s*(?:def|class)\s+(\w+)", code, flags=re.M)
        checked = re.findall(r"sl\.exercises\.check_\w+\((\w+)\)", code)
        assert not defined or defined == checked, f"{path.name} defines {defined}, not an exercise's answer"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_notebooks_keep_the_d2l_cadence(path):
    """Short steps: no markdown cell over 15 lines, a sentence between any two code cells (why the
    next one runs), and the notebook ends in words, not code."""
    cells = json.loads(path.read_text())["cells"]
    for k, cell in enumerate(cells):
        lines = len("".join(cell["source"]).splitlines())
        assert cell["cell_type"] != "markdown" or lines <= 15, f"{path.name} cell {k}: {lines} lines"
        assert not (k and cell["cell_type"] == cells[k - 1]["cell_type"] == "code"), \
            f"{path.name} cells {k - 1}-{k}: two code cells with no text between"
    assert cells[-1]["cell_type"] == "markdown"
