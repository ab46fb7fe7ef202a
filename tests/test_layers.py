"""The package's layers, read from its import statements: plain data (histories, genotypes, checks)
builds no model, the study runner draws no plot, training a cell does not import the search, and
the model layer imports no plotting or widgets.

The walk is static (``ast``): it follows every ``sdarts_lite`` import, including those made for
annotations only (``if TYPE_CHECKING:``), so it is stricter than what runs.  Importing
``sdarts_lite.a.b`` also runs the ``__init__`` of ``sdarts_lite.a``, which the walk follows too;
it leaves out the top-level ``sdarts_lite/__init__.py``, the public API, which imports everything
on purpose.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = {"sdarts_lite.supernet", *(f"sdarts_lite.spaces.{space}.{part}" for space in ("nb201", "darts")
                                   for part in ("ops", "supernet", "network"))}
DRAWING = {"plotly", "graphviz", "ipywidgets"}


def module_path(root: Path, module: str) -> Path | None:
    """The file of ``module`` under ``root`` (a package's ``__init__.py``), or None."""
    base = root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imports(root: Path, module: str) -> set[str]:
    """The absolute names ``module`` imports (for ``from x import y``: ``x.y`` when that is a
    module of the package, else ``x``)."""
    path = module_path(root, module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                names.add(sub if module_path(root, sub) else base)
    return names


def chain(module: str) -> list[str]:
    """What importing ``module`` runs, the top-level package left out: ``a.b.c`` -> ``a.b``, ``a.b.c``."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(2, len(parts) + 1)]


def reach(root: Path, start: str, package: str = "sdarts_lite") -> set[str]:
    """Every module that importing ``start`` runs, other than ``start`` and the top-level package:
    its parent packages, what they and it import, and so on (third-party packages by their
    top-level name)."""
    todo = [m for m in chain(start) if m != start]
    seen = set(todo)
    todo.append(start)
    while todo:
        for name in imports(root, todo.pop()):
            if not name.startswith(package + "."):
                seen.add(name.split(".")[0])
                continue
            for module in chain(name):
                if module not in seen and module != start and module_path(root, module):
                    seen.add(module)
                    todo.append(module)
    return seen


DATA = ["sdarts_lite.history", "sdarts_lite.genotypes", "sdarts_lite.checks",
        "sdarts_lite.spaces.nb201.genotypes", "sdarts_lite.spaces.darts.genotypes"]


@pytest.mark.parametrize("module", DATA)
def test_plain_data_imports_no_model_and_no_drawing(module):
    reached = reach(ROOT, module)
    assert not reached & MODEL, sorted(reached & MODEL)
    assert not reached & DRAWING, sorted(reached & DRAWING)


def test_the_study_runner_draws_nothing_and_training_does_not_import_the_search():
    assert not reach(ROOT, "sdarts_lite.study") & DRAWING
    assert "sdarts_lite.search" not in reach(ROOT, "sdarts_lite.train")
    assert "sdarts_lite.study" not in reach(ROOT, "sdarts_lite.train")


@pytest.mark.parametrize("module", sorted(MODEL))
def test_the_model_layer_imports_no_plotting_or_widgets(module):
    reached = reach(ROOT, module)
    assert not reached & DRAWING
    assert not {m for m in reached if m.split(".")[-1] in ("viz", "drawing", "reports", "widgets")}


def test_the_walk_finds_an_import_two_steps_away_and_through_a_package_init(tmp_path):
    """The walker on a made-up package whose data module reaches a model the long way round."""
    files = {
        "pkg/__init__.py": "from .model import Net\n",  # the API aggregator: not followed
        "pkg/data.py": "from .sub.shapes import SIZE\nimport numpy as np\n",
        "pkg/sub/__init__.py": "from ..helpers import tidy\n",
        "pkg/sub/shapes.py": "SIZE = 3\n",
        "pkg/helpers.py": "from . import model\n",
        "pkg/model.py": "import torch\nimport plotly.graph_objects as go\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert reach(tmp_path, "pkg.data", package="pkg") == {"pkg.sub", "pkg.sub.shapes", "pkg.helpers",
                                                          "pkg.model", "numpy", "torch", "plotly"}
    # importing a module runs its package's __init__ first, and whatever that imports
    assert reach(tmp_path, "pkg.sub.shapes", package="pkg") == {"pkg.sub", "pkg.helpers", "pkg.model",
                                                                "torch", "plotly"}
    assert reach(tmp_path, "pkg.helpers", package="pkg") == {"pkg.model", "torch", "plotly"}
