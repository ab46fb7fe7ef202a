"""NAS-Bench-201 ground truth: how well a cell does when trained for 200 epochs, and its rank.

The benchmark trained all 15,625 cells, but many compute the same function (the operation on
a node that only ``none`` edges read, the order of a node's inputs, ...).  Cells count as one
when they share the benchmark's canonical form (``canonical_form``, its ``UniqueString``: 6,466
classes), and ranks and percentiles are over those classes, so such a rewrite of a cell gets
the same answer.  The canonical form is the benchmark's definition, not a full isomorphism test:
some equal functions (nodes 1 and 2 swapped, say) stay in different classes.

Members of a class were trained separately and their accuracies differ (1,286 of the 1,350
classes with several members differ on CIFAR-10; median spread 0.3 points, mostly training
noise; the largest, up to 6.9, where a conv on a zero node adds its BN's learned constant,
which the canonical form ignores).  A class's accuracy is the mean over its members, the best
estimate for the function they share.  (The two best cells and the all-skip cell are alone in
their classes, so their numbers are the benchmark's own.)

The kit ships no table.  It is read from a path the user gives (``path=`` or $SDARTS_NB201),
else from the copy ``python -m sdarts_lite fetch nb201`` wrote (``nb201_fetch.py``;
``default_path()``): a CSV in the layout of ``nats_bench.csv``, or, with the ``nats_bench``
package installed, the official NATS-Bench topology file, read through its API.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..base.guards import one_of
from ..data.images import default_root
from ..method.spaces import space_of
from ..method.spaces.nb201 import NB201
from ..method.spaces.nb201.genotypes import NUM_NODES, NB201Genotype

ENV_VAR = "SDARTS_NB201"
BENCHMARK_COLUMNS = {  # a dataset by the benchmark's name -> its test-accuracy column of the CSV
    "cifar10": "CIFAR10TestAccuracy200Epochs",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "ImageNet16-120": "ImageNetTestAccuracy200Epochs",
}
COLUMNS = (*BENCHMARK_COLUMNS.values(), "ArchitectureString", "UniqueString")
FETCH = "python -m sdarts_lite fetch nb201"  # the command that gets the table


def default_path() -> Path:
    """Where ``fetch nb201`` writes the table: ``nb201/nats_bench.csv`` under the data root
    ($SDARTS_DATA, else ``~/.cache/sdarts-lite``), beside the datasets."""
    return default_root() / "nb201" / "nats_bench.csv"


def find_table() -> Path | None:
    """The table lookups read when given no path: $SDARTS_NB201 when set (even if absent, so
    that the error names it), else the fetched table when there, else None."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return default_path() if default_path().is_file() else None


def canonical_form(genotype: NB201Genotype | str) -> str:
    """The benchmark's isomorphism-canonical string (NAS-Bench-201's ``to_unique_str`` with
    zeros considered): ``none`` or a zero input gives ``#``, skip_connect passes its input's
    form on, another op wraps it as ``(form)@op``, and a node is its terms sorted and joined."""
    g = NB201Genotype.parse(genotype)
    nodes, ops = ["0"], iter(g.ops)
    for j in range(1, NUM_NODES):
        terms = []
        for i in range(j):
            op = next(ops)
            if op == "none" or nodes[i] == "#":
                terms.append("#")
            else:
                terms.append(nodes[i] if op == "skip_connect" else f"({nodes[i]})@{op}")
        nodes.append("+".join(sorted(terms)))
    return nodes[-1]


@dataclass(frozen=True)
class CellResult:
    """A cell's benchmark answer; every number is its isomorphism class's, per dataset."""

    genotype: str
    unique: str                  # the canonical form (its class)
    members: int                 # cells in the class
    accuracy: dict[str, float]   # test accuracy (%), mean over the class
    rank: dict[str, int]         # 1 = best; classes with equal accuracy share a rank
    percentile: dict[str, float]  # % of classes at or below this one (the best: 100)
    num_classes: int

    def __str__(self) -> str:
        return "; ".join(f"{d} {self.accuracy[d]:.2f}% (rank {self.rank[d]} of {self.num_classes})"
                         for d in BENCHMARK_COLUMNS)


class NB201Benchmark:
    """The table of all cells: their strings, classes and test accuracies."""

    def __init__(self, archs: Sequence[str], uniques: Sequence[str],
                 accuracies: Mapping[str, Sequence[float]], source: str = ""):
        self.source = source
        self.archs = list(archs)
        self.row = {a: r for r, a in enumerate(self.archs)}
        self.classes, self.class_of = np.unique(np.asarray(uniques), return_inverse=True)
        self.sizes = np.bincount(self.class_of)
        self.cell_acc = {d: np.asarray(accuracies[d], dtype=np.float64) for d in BENCHMARK_COLUMNS}
        self.class_acc = {d: np.bincount(self.class_of, weights=acc) / self.sizes
                          for d, acc in self.cell_acc.items()}
        self.sorted_acc = {d: np.sort(acc) for d, acc in self.class_acc.items()}

    def __len__(self) -> int:
        return len(self.archs)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    space = NB201  # the space whose cells the table holds

    def holds(self, genotype: object) -> bool:
        """Whether ``genotype`` (or its text) is a cell of the table's space."""
        return space_of(genotype) is self.space

    def query(self, genotype: NB201Genotype | str) -> CellResult:
        """Accuracy, rank and percentile of a cell (a string or an NB201Genotype)."""
        key = str(NB201Genotype.parse(genotype))
        if key not in self.row:
            raise ValueError(f"cell {key} is not in the benchmark table {self.source}")
        c = self.class_of[self.row[key]]
        n = self.num_classes
        acc = {d: float(a[c]) for d, a in self.class_acc.items()}
        at_or_below = {d: int(np.searchsorted(self.sorted_acc[d], acc[d], side="right"))
                       for d in BENCHMARK_COLUMNS}
        return CellResult(key, str(self.classes[c]), int(self.sizes[c]), acc,
                          {d: n - k + 1 for d, k in at_or_below.items()},
                          {d: 100.0 * k / n for d, k in at_or_below.items()}, n)

    def accuracies(self, dataset: str = "cifar10", per: str = "cell") -> np.ndarray:
        """Test accuracies (%) of every cell as the benchmark lists them (``per="cell"``, 15,625
        values), or of every isomorphism class (``per="class"``, the values ranks count)."""
        one_of("dataset", dataset, BENCHMARK_COLUMNS)
        one_of("per", per, ("cell", "class"))
        return (self.cell_acc if per == "cell" else self.class_acc)[dataset].copy()


def load_benchmark(path: str | os.PathLike | None = None, missing_ok: bool = False) -> NB201Benchmark | None:
    """The benchmark table at ``path`` (default: ``find_table()``, $SDARTS_NB201 else the fetched
    one): a ``.csv`` in the layout of ``nats_bench.csv``, or anything else through the official
    ``nats_bench`` package.  ``missing_ok``: when there is none, print one line saying how to get
    it and return None."""
    path = path or find_table()
    if not path and missing_ok:
        print(f"no NAS-Bench-201 table: `{FETCH}` gets it (once) to look cells up")
        return None
    if not path:
        raise FileNotFoundError(f"no NAS-Bench-201 table: `{FETCH}` gets it, or pass path= or set {ENV_VAR} "
                                "to a nats_bench.csv file (or to the official NATS-Bench topology file)")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"NAS-Bench-201 table {path} does not exist (check path= or {ENV_VAR})")
    return read_csv(path) if path.suffix.lower() == ".csv" else read_official(path)


def read_csv(path: Path, name: str | None = None) -> NB201Benchmark:
    """A table with the columns of ``nats_bench.csv`` (any order, extra columns ignored);
    ``name``: what errors and ``source`` call it (default: the path)."""
    name = name or str(path)
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    try:
        acc = {d: [float(r[col]) for r in rows] for d, col in BENCHMARK_COLUMNS.items()}
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: an accuracy is not a number ({err})") from None
    return NB201Benchmark([r["ArchitectureString"] for r in rows], [r["UniqueString"] for r in rows],
                          acc, name)


def write_csv(table: NB201Benchmark, path: Path) -> None:
    """``table`` in the layout ``read_csv`` reads, one row per cell in the table's order."""
    uniques = table.classes[table.class_of]
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for r, arch in enumerate(table.archs):
            out.writerow([*(repr(float(table.cell_acc[d][r])) for d in BENCHMARK_COLUMNS), arch, uniques[r]])


def read_official(path: Path) -> NB201Benchmark:
    """All cells through the NATS-Bench API (test accuracy after 200 epochs, seed-averaged)."""
    try:
        import nats_bench
    except ImportError:
        raise ValueError(f"{path} is not a .csv table, and reading the official NATS-Bench files needs "
                         "the nats_bench package (pip install nats_bench)") from None
    api = nats_bench.create(str(path), "tss", fast_mode=True, verbose=False)
    archs = [api.arch(i) for i in range(len(api))]
    acc = {d: [api.get_more_info(i, d, hp="200", is_random=False)["test-accuracy"] for i in range(len(api))]
           for d in BENCHMARK_COLUMNS}
    return NB201Benchmark(archs, [canonical_form(a) for a in archs], acc, f"NATS-Bench ({path})")
