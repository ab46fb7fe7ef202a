"""What a committed notebook keeps: the text outputs of the cells marked ``# NBVAL_CHECK_OUTPUT``
(small and deterministic: nbval compares them in CI) and nothing else.

``python -m tools.notebook_outputs [NOTEBOOK ...]`` (``make notebooks``) executes
the notebooks and writes them back under that rule.  Run on all of them, it starts from no kept runs
(``notebooks/runs`` removed), as a learner's first pass would, writes how long each took to
``assets/times.json``, whence ``make figures`` writes them into the README, and then runs the
exercises' solutions (``notebooks/solutions``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARK = "# NBVAL_CHECK_OUTPUT"
NOTEBOOK_DIR = Path("notebooks")  # from the repository root, where make notebooks runs
TIMES = Path("assets/times.json")


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


def machine() -> str:
    """The CPU's model name and core count, as ``lscpu`` names them."""
    models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
              if line.startswith("model name")] if Path("/proc/cpuinfo").exists() else []
    return f"{models[0] if models else 'an unnamed CPU'}, {os.cpu_count()} cores"


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]]
    every = not paths
    if every:
        shutil.rmtree(NOTEBOOK_DIR / "runs", ignore_errors=True)
    seconds = {}
    for path in paths or sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        seconds[path.stem] = refresh(path)
        print(f"{path.name}: executed in {seconds[path.stem]:.0f} s", flush=True)
    for path in sorted((NOTEBOOK_DIR / "solutions").glob("*.ipynb")) if every else ():
        print(f"solutions/{path.name}: executed in {refresh(path):.0f} s", flush=True)
    if every:
        times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
        TIMES.write_text(json.dumps({**times, "machine": machine(), "notebooks": seconds}, indent=1) + "\n")
