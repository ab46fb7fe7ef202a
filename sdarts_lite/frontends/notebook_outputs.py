"""What a committed notebook keeps: the text outputs of the cells marked ``# NBVAL_CHECK_OUTPUT``
(small and deterministic: nbval compares them in CI) and nothing else.

``python -m sdarts_lite.frontends.notebook_outputs [NOTEBOOK ...]`` (``make notebooks``) executes
the notebooks and writes them back under that rule.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARK = "# NBVAL_CHECK_OUTPUT"
NOTEBOOK_DIR = Path("notebooks")  # from the repository root, where make notebooks runs


def checked(cell) -> bool:
    return cell["cell_type"] == "code" and "".join(cell["source"]).startswith(MARK)


def strip(nb) -> None:
    """Keep the checked cells' stdout and the execution count a top-to-bottom run gives them (nbval
    refuses a reference output without one); drop every other output, count and timestamp."""
    nb.metadata.pop("widgets", None)  # the widget state of the run: large, and a run's, not the code's
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for count, cell in enumerate(code, start=1):
        cell.metadata.pop("execution", None)  # timestamps
        cell.execution_count = count if checked(cell) else None
        cell.outputs = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"] \
            if checked(cell) else []
        for output in cell.outputs:
            output.pop("execution_count", None)


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - started
    strip(nb)
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: executed in {refresh(path):.0f} s", flush=True)
