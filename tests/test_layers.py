"""The package's layers, read from its import statements: each folder imports only from the folders
below it (``LAYERS``), plain data (histories, genotypes, guards) builds no model, the model layer
draws nothing, and no code outside ``method/spaces/`` asks which space it has.

The walk is static (``ast``): it follows every ``sdarts_lite`` import made when a module is imported,
including those made for annotations only (``if TYPE_CHECKING:``), so it is stricter than what
runs; an import inside a function (a space's builders import its supernet when called) runs later
and is checked by the layer rule alone.  Importing
``sdarts_lite.a.b`` also runs the ``__init__`` of ``sdarts_lite.a``, which the walk follows too;
it leaves out the top-level ``sdarts_lite/__init__.py``, the public API, which imports everything
on purpose.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sdarts_lite"
# The folders, lowest first: a module may import from its own folder and from those before it.
LAYERS = ("base", "data", "method", "run", "evaluation", "analysis", "pictures", "experiments", "exercises",
          "frontends")
MODEL = {f"sdarts_lite.method.spaces.{space}.{part}" for space in ("nb201", "darts")
         for part in ("ops", "supernet", "network")} | {"sdarts_lite.method.spaces.darts.stacked",
                                                        "sdarts_lite.method.spaces.layers"}
DRAWING = {"plotly", "graphviz", "ipywidgets"}
DATA = ["sdarts_lite.run.history", "sdarts_lite.method.spaces", "sdarts_lite.base.guards",
        "sdarts_lite.method.spaces.nb201.genotypes", "sdarts_lite.method.spaces.darts.genotypes"]


def module_path(root: Path, module: str) -> Path | None:
    """The file of ``module`` under ``root`` (a package's ``__init__.py``), or None."""
    base = root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def nodes(tree: ast.AST, at_import: bool):
    """Every node of ``tree``; with ``at_import``, those outside function bodies only."""
    for child in ast.iter_child_nodes(tree):
        yield child
        if not (at_import and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))):
            yield from nodes(child, at_import)


def imports(root: Path, module: str, at_import: bool = False) -> set[str]:
    """The absolute names ``module`` imports (for ``from x import y``: ``x.y`` when that is a
    module of the package, else ``x``); with ``at_import``, only when it is imported."""
    path = module_path(root, module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in nodes(ast.parse(path.read_text()), at_import):
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
        for name in imports(root, todo.pop(), at_import=True):
            if not name.startswith(package + "."):
                seen.add(name.split(".")[0])
                continue
            for module in chain(name):
                if module not in seen and module != start and module_path(root, module):
                    seen.add(module)
                    todo.append(module)
    return seen


def modules() -> list[str]:
    """Every module of the package but its top-level ``__init__``, by dotted name."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [n for n in names if n != "sdarts_lite" and n != "sdarts_lite.__main__"]


def layer(module: str) -> str:
    return module.split(".")[1]


def test_the_package_is_its_layers():
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert folders == sorted(LAYERS)
    assert loose == ["__init__.py", "__main__.py"]


@pytest.mark.parametrize("module", modules())
def test_a_module_imports_only_from_its_layer_and_those_below(module):
    allowed = LAYERS[:LAYERS.index(layer(module)) + 1]
    ours = [m for m in imports(ROOT, module) if m.startswith("sdarts_lite.")]
    above = sorted(m for m in ours if layer(m) not in allowed)
    assert not above, f"{module} imports from a higher layer: {above}"


@pytest.mark.parametrize("module", DATA)
def test_plain_data_imports_no_model_and_no_drawing(module):
    reached = reach(ROOT, module)
    assert not reached & MODEL, sorted(reached & MODEL)
    assert not reached & DRAWING, sorted(reached & DRAWING)


@pytest.mark.parametrize("module", sorted(MODEL | {"sdarts_lite.run.search",
                                                   "sdarts_lite.experiments.study"}))
def test_the_model_layer_and_the_study_runner_draw_nothing(module):
    assert not reach(ROOT, module) & DRAWING


def test_training_a_cell_does_not_import_the_search():
    assert "sdarts_lite.run.search" not in reach(ROOT, "sdarts_lite.evaluation.retrain")


SPACE_NAMES = ("nb201", "darts")


@pytest.mark.parametrize("module", [m for m in modules() if not m.startswith("sdarts_lite.method.spaces")])
def test_no_code_outside_the_spaces_asks_which_space_it_has(module):
    """No comparison with a space's name and no type test of a genotype outside ``method/spaces/``
    (the NAS-Bench-201 table says which space it holds by the space object itself)."""
    tree = ast.parse(module_path(ROOT, module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            texts = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant)]
            assert not set(texts) & set(SPACE_NAMES), f"{module}: {ast.unparse(node)}"
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
            assert not re.search(r"Genotype|Supernet|Network", ast.unparse(node.args[1])), ast.unparse(node)


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


def test_a_history_is_a_plain_record_that_imports_no_space():
    """What a record's cells measure is read through its space in analysis/measures.py."""
    reached = reach(ROOT, "sdarts_lite.run.history")
    assert not {m for m in reached if m.startswith("sdarts_lite.method.spaces")}, sorted(reached)
