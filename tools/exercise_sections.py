"""Each notebook's exercises, written from its solutions: ``python -m
tools.exercise_sections`` (``make exercises``) replaces the section that starts at a
notebook's ``## Exercises`` cell with the one in ``notebooks/solutions/`` under the same name, the
solutions taken out.

In a solution, what the student writes lies between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(nbgrader's markers); the student gets ``...  # your code here`` in its place, or the stub the BEGIN
line names after a colon (``### BEGIN SOLUTION: answer = None``).  Markdown cells that start with
``**Worked answer.**`` stay in the solutions.  A cell whose source is unchanged keeps its outputs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path("notebooks")
SOLUTIONS = NOTEBOOK_DIR / "solutions"
HEADING = "## Exercises"
WORKED = "**Worked answer.**"
BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION(?::[ \t]*(.*?))?[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*$",
                   re.M | re.S)


def stub(source: str) -> str:
    """A solution cell's source with each solution replaced by the student's stub."""
    return BLOCK.sub(lambda m: m.group(1) + (m.group(2) or "...  # your code here"), source)


def section_start(nb: nbformat.NotebookNode) -> int:
    """The index of the ``## Exercises`` cell (the number of cells when there is none)."""
    return next((k for k, c in enumerate(nb.cells) if c.cell_type == "markdown"
                 and c.source.startswith(HEADING)), len(nb.cells))


def student_section(solutions: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The exercises as the student gets them: (cell type, source) from ``## Exercises`` on."""
    return [(c.cell_type, stub(c.source) if c.cell_type == "code" else c.source)
            for c in solutions.cells[section_start(solutions):]
            if not (c.cell_type == "markdown" and c.source.startswith(WORKED))]


def with_exercises(nb: nbformat.NotebookNode, section: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """``nb`` with its exercise section replaced by ``section``, outputs kept where a source is unchanged."""
    start = section_start(nb)
    old = {(c.cell_type, c.source): c for c in nb.cells[start:]}
    cells = []
    for kind, source in section:
        cell = old.get((kind, source)) or (nbformat.v4.new_code_cell(source) if kind == "code"
                                           else nbformat.v4.new_markdown_cell(source))
        cells.append(cell)
    nb.cells = nb.cells[:start] + cells
    return nb


def pairs(directory: Path = NOTEBOOK_DIR) -> list[tuple[Path, Path]]:
    """(notebook, its solutions) for every numbered notebook."""
    return [(p, directory / "solutions" / p.name) for p in sorted(directory.glob("[0-9][0-9]_*.ipynb"))]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = []
    for notebook, solutions in pairs():
        nb = nbformat.read(notebook, as_version=4)
        section = student_section(nbformat.read(solutions, as_version=4))
        current = [(c.cell_type, c.source) for c in nb.cells[section_start(nb):]]
        if current == section:
            continue
        stale.append(notebook.name)
        if not check:
            nbformat.write(with_exercises(nb, section), notebook)
            print(f"{notebook}: exercises written from {solutions}")
    if check and stale:
        print("exercise sections differ from their solutions (make exercises): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
